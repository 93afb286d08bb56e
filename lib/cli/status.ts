// bsync status: read-only, no lease; the usual one round trip per host.
import { statusMetrics } from '../status/metrics.js';
import { statusReport } from '../status/report.js';
import { watchNeeds } from '../status/watch.js';
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';
import { gatherFacts, openSession, usingFacts } from './session.js';

export async function statusCommand(options: GlobalOptions & { promFile?: string }): Promise<number> {
  return runCommand(
    options,
    { name: 'status', promFile: options.promFile, readOnly: true },
    async (target, view, context) => {
      const session = await openSession(target.inventory, context.selection, {
        slots: context.slots,
        extraNeeds: watchNeeds,
      });
      try {
        const facts = await gatherFacts(session);
        const report = usingFacts(session, facts, (checked) =>
          statusReport(
            session.inventory,
            checked,
            session.selected.map((host) => host.name),
          ),
        );
        view.status(report);
        return { code: 0, success: true, metrics: statusMetrics(report) };
      } finally {
        session.close();
      }
    },
  );
}
