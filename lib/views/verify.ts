// bsync verify's view: lines on stderr while the stanzas are verified, then the report,
// rendered for a person (escaped here) or as it is, one JSON document.
import { printable } from '../printable.js';
import { renderVerifyText, type VerifyReport } from '../verify/report.js';
import { progressView, type ProgressView } from './progress.js';
import type { ViewForms } from './view-for.js';

export interface VerifyView extends ProgressView {
  verify(report: VerifyReport): void;
}

export const VERIFY_VIEWS: ViewForms<VerifyView> = {
  text: (sink) => ({ ...progressView(sink), verify: (report) => sink.text(printable(renderVerifyText(report))) }),
  json: (sink) => ({ ...progressView(sink), verify: (report) => sink.json(report) }),
};
