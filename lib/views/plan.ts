// bsync plan's view (and show's, and restore's and backup's with --out): the plan, and
// lines on stderr while it is made. Text: the plan as renderPlanText writes it, host text
// escaped before the renderer adds its colours; JSON: the plan as it is, one document.
import { renderPlanText, type Style } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import { printableValue } from '../printable.js';
import { progressView, type ProgressView } from './progress.js';
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

export interface PlanView extends ProgressView {
  plan(plan: Plan): void;
}

/** A plan for a person; apply's text view shows it so too. */
export function planText(plan: Plan, style: Style): string {
  return renderPlanText(printableValue(plan), style);
}

export function textPlanView(sink: Sink, style: Style): PlanView {
  return { ...progressView(sink), plan: (plan) => sink.text(planText(plan, style)) };
}

export function jsonPlanView(sink: Sink): PlanView {
  return { ...progressView(sink), plan: (plan) => sink.json(plan) };
}

export const PLAN_VIEWS: ViewForms<PlanView> = { text: textPlanView, json: jsonPlanView };
