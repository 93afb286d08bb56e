// bsync status: read-only, no lease, no secret read; the usual one round trip per host.
import { statusMetrics } from '../status/metrics.js';
import { statusReport, type StatusReport } from '../status/report.js';
import { watchNeeds } from '../status/watch.js';
import type { ClusterContext, ClusterTarget } from './fleet.js';
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';
import { gatherFacts, openSession, usingFacts } from '../operations/session.js';

/** The status report of a cluster's selected hosts (status, check): their facts and the outcome files. */
export async function readStatus(target: ClusterTarget, context: ClusterContext): Promise<StatusReport> {
  const session = await openSession(target.inventory, context.selection, {
    slots: context.slots,
    extraNeeds: watchNeeds,
  });
  try {
    const facts = await gatherFacts(session);
    return usingFacts(session, facts, (checked) =>
      statusReport(
        session.inventory,
        checked,
        session.selected.map((host) => host.name),
      ),
    );
  } finally {
    session.close();
  }
}

export async function statusCommand(options: GlobalOptions & { promFile?: string }): Promise<number> {
  return runCommand(
    options,
    { name: 'status', promFile: options.promFile, readOnly: true },
    async (target, view, context) => {
      const report = await readStatus(target, context);
      view.status(report);
      return { code: 0, success: true, metrics: statusMetrics(report) };
    },
  );
}
