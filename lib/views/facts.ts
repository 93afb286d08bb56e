// bsync facts' view: the gathered facts, secrets redacted, are JSON in both forms (they
// are read by machines and by people alike), so the one form serves both.
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

export interface FactsView {
  facts(facts: Record<string, unknown>): void;
}

function factsView(sink: Sink): FactsView {
  return { facts: (facts) => sink.json(facts) };
}

export const FACTS_VIEWS: ViewForms<FactsView> = { text: factsView, json: factsView };
