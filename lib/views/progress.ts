// What every command may say while it runs: a line for the person watching, on stderr in
// both forms (a fleet run's cluster sink puts its label before it).
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

export interface ProgressView {
  progress(message: string): void;
}

export function progressView(sink: Sink): ProgressView {
  return { progress: (message) => sink.progress(message) };
}

/** A command that only says lines (unlock): the same in both forms. */
export const PROGRESS_VIEWS: ViewForms<ProgressView> = { text: progressView, json: progressView };
