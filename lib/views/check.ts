// bsync check's view: the broken thresholds, one line each, for a person; the whole report
// as one JSON document for a machine.
import { printable } from '../printable.js';
import { renderCheckText, type CheckReport } from '../status/check.js';
import type { ViewForms } from './view-for.js';

export interface CheckView {
  check(report: CheckReport): void;
}

export const CHECK_VIEWS: ViewForms<CheckView> = {
  text: (sink) => ({ check: (report) => sink.text(printable(renderCheckText(report))) }),
  json: (sink) => ({ check: (report) => sink.json(report) }),
};
