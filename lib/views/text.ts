// The text view: what a person reads. Every string here is what the commands printed
// before there were views; change one and the integration suites' expected output with it.
// Everything it prints is escaped here (lib/printable.ts): the values hold host text as it is.
import { timingsText } from '../apply/timings.js';
import { renderPlanText, type Style } from '../plan/render-text.js';
import type { ActionResult, Plan, PlanAction } from '../plan/types.js';
import { printable, printableValue } from '../printable.js';
import { renderCheckText } from '../status/check.js';
import { renderStatusText } from '../status/render-text.js';
import { renderVerifyText } from '../verify/report.js';
import { clusterSection, fleetSummary } from './fleet.js';
import type { Sink } from './sink.js';
import { stderrParts } from './stderr.js';
import type { InitResult, View } from './view.js';

export function textView(style: Style, sink: Sink): View {
  const { errorLine, ...stderr } = stderrParts(sink);
  // Host text (paths, names, addresses, diffs) is escaped before the renderer adds its colours.
  const planText = (plan: Plan) => renderPlanText(printableValue(plan), style);
  return {
    ...stderr,
    plan: (plan) => sink.text(planText(plan)),
    applyPlan: (plan) => sink.text(planText(plan)),
    // With no actions the plan above already said "No changes."; there is no report.
    applyReport: ({ plan, results, timings }) => {
      if (plan.actions.length > 0) sink.text(applyReport(results, plan.actions));
      if (timings) sink.text(`${timingsText(timings)}\n`);
    },
    status: (report) => sink.text(printable(renderStatusText(report))),
    check: (report) => sink.text(printable(renderCheckText(report))),
    verify: (report) => sink.text(printable(renderVerifyText(report))),
    validate: ({ config, hosts, identity }) =>
      sink.text(
        `${config}: valid, ${hosts} host${hosts === 1 ? '' : 's'}.\n${identity ? `  ssh.identity: ${identity}.\n` : ''}`,
      ),
    init: (result) => sink.text(printable(initText(result))),
    facts: (facts) => sink.json(facts),
    cluster: (outcome) => sink.text(clusterSection(outcome)),
    fleet: ({ outcomes, changes }) => sink.text(`${fleetSummary(outcomes, changes)}\n`),
    error: (error) => errorLine(error),
  };
}

function initText({ config, hosts, secretFiles, problems }: InitResult): string {
  const lines = [`Wrote ${config}:`, ...hosts.map((host) => `  ${host.name} (zone ${host.zone}): ${host.found}`)];
  if (problems.length > 0)
    lines.push(
      'Edit it where validate would refuse it:',
      ...problems.map((problem) => `  ${problem.replace(/\n/g, '\n  ')}`),
    );
  if (secretFiles.length > 0)
    lines.push(
      'Create these files (one line each, chmod 600) before bsync validate:',
      ...secretFiles.map((file) => `  ${file.path}: ${file.holds}`),
    );
  lines.push(`Then: bsync validate -c ${config}; bsync plan -c ${config}`);
  return `${lines.join('\n')}\n`;
}

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
