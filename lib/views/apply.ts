// bsync apply's view (and restore's and backup's): the plan it carries out, its actions'
// progress on stderr, and what became of them. Text shows the plan before apply asks and
// the report after; JSON shows both at the end, one document (schemas/), since a machine
// reads the plan with its results.
import { timingsText, type OperationTimings } from '../apply/timings.js';
import type { Style } from '../plan/render-text.js';
import type { ActionResult, Plan, PlanAction } from '../plan/types.js';
import { printable } from '../printable.js';
import { applyProgress, type ApplyProgress } from './apply-progress.js';
import { planText } from './plan.js';
import { progressView, type ProgressView } from './progress.js';
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

/** What apply did; with --json, this object as it is. `interrupted` is absent when nothing was to be done. */
export interface ApplyOutcome {
  plan: Plan;
  results: ActionResult[];
  interrupted?: boolean;
  /** A restore's or clone's phase timings. */
  timings?: OperationTimings;
}

/** What became of the plan's actions: the outcome but its plan, which the view was given first. */
export type ApplyResults = Omit<ApplyOutcome, 'plan'>;

export interface ApplyView extends ProgressView {
  /** The plan apply carries out, known before it asks: text shows it now, JSON with the results. */
  planned(plan: Plan): ApplyingView;
}

/** What apply shows of the plan it was given. */
export interface ApplyingView {
  /** While its actions run: a line per host (on stderr in both forms). */
  running(): ApplyProgress;
  /** What became of its actions; with none, `results` is empty. */
  report(results: ApplyResults): void;
}

export function textApplyView(sink: Sink, style: Style): ApplyView {
  return {
    ...progressView(sink),
    planned: (plan) => {
      sink.text(planText(plan, style));
      return {
        running: () => applyProgress(plan, sink),
        // With no actions the plan above already said "No changes."; there is no report.
        report: ({ results, timings }) => {
          if (plan.actions.length > 0) sink.text(applyReport(results, plan.actions));
          if (timings) sink.text(`${timingsText(timings)}\n`);
        },
      };
    },
  };
}

export function jsonApplyView(sink: Sink): ApplyView {
  return {
    ...progressView(sink),
    planned: (plan) => ({
      running: () => applyProgress(plan, sink),
      report: (results) => sink.json({ plan, ...results }),
    }),
  };
}

export const APPLY_VIEWS: ViewForms<ApplyView> = { text: textApplyView, json: jsonApplyView };

export function applyReport(results: ActionResult[], actions: PlanAction[] = []): string {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const lines = results
    .filter((result) => result.status !== 'done')
    .map((result) => `  ${result.status}: ${result.address}${result.message ? `: ${result.message}` : ''}`);
  const stopped = ['not started', 'interrupted']
    .filter((status) => count(status) > 0)
    .map((status) => `, ${count(status)} ${status}`)
    .join('');
  const complete = results.every((result) => result.status === 'done');
  const head = `Apply ${complete ? 'complete' : 'incomplete'}: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped, ${count('deferred')} deferred${stopped}.`;
  // A line of its own, so the head reads as it always did.
  const adopting = new Set(actions.filter((action) => action.action === 'adopt').map((action) => action.address));
  const adopted = results.filter((result) => result.status === 'done' && adopting.has(result.address)).length;
  const taken =
    adopted > 0
      ? [`Adopted: ${adopted} of them took over lines bsync did not write; it manages them from now on.`]
      : [];
  return `${printable([...lines, head, ...taken].join('\n'))}\n`;
}
