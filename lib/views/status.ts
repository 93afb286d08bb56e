// bsync status's view: the report, rendered for a person (escaped here: the report holds
// host text as it is) or as it is, one JSON document (schemas/status.schema.json).
import { printable } from '../printable.js';
import type { StatusReport } from '../status/report.js';
import { renderStatusText } from '../status/render-text.js';
import type { ViewForms } from './view-for.js';

export interface StatusView {
  status(report: StatusReport): void;
}

export const STATUS_VIEWS: ViewForms<StatusView> = {
  text: (sink) => ({ status: (report) => sink.text(printable(renderStatusText(report))) }),
  json: (sink) => ({ status: (report) => sink.json(report) }),
};
