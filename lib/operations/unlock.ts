// A host's apply lease cleared by hand (bsync unlock): a session on that host alone.
import { clearLease } from '../apply/lease.js';
import type { Inventory } from '../config/inventory.js';
import { openSession } from './session.js';

/** What clearing `leaseId` on `host` says (cleared, or held by another). */
export async function unlockHost(source: string | Inventory, host: string, leaseId: string): Promise<string> {
  const session = await openSession(source, { hosts: [host] }, { onlySelected: true });
  try {
    return await clearLease(session.connections.get(host)!, leaseId);
  } finally {
    session.close();
  }
}
