// Status and check read the same report: no lease, no secret read, the usual one round trip
// per host, plus the scheduled jobs' outcome files (watchNeeds).
import type { Inventory } from '../config/inventory.js';
import { statusReport, type StatusReport } from '../status/report.js';
import { watchNeeds } from '../status/watch.js';
import type { Semaphore } from '../semaphore.js';
import type { HostSelection } from './selection.js';
import { gatherFacts, openSession, usingFacts } from './session.js';

/** The status report of a cluster's selected hosts (status, check): their facts and the outcome files. */
export async function readStatus(
  inventory: Inventory,
  context: { selection: HostSelection; slots?: Semaphore },
): Promise<StatusReport> {
  const session = await openSession(inventory, context.selection, {
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
