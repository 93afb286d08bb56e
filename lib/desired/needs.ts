// Which facts a host's probe script asks for: the reads its parts declare, the same parts
// its role's builder adds its resources from (postgresHostParts, backupHostParts; each part
// declared with its adders, lib/desired/part.ts). Every plan checks it read nothing else
// (usingFacts, lib/operations/session.ts), and test/unit/needs.test.ts runs the planner on recorded
// facts that hold nothing else.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { FactNeeds } from '../facts/needs.js';
import { backupHostParts } from './backup-host.js';
import { partsNeeds } from './part.js';
import { postgresHostParts } from './postgres-host.js';
import { zonesOf } from './zone.js';

export function hostNeeds(inventory: Inventory, host: HostSpec): FactNeeds {
  const zone = zonesOf(inventory).find((candidate) => candidate.zone === host.zone);
  if (!zone) throw new BsyncError(`host ${host.name}: zone ${host.zone} has no hosts`);
  return partsNeeds(
    host.role === 'backup' ? backupHostParts(inventory, zone, host) : postgresHostParts(inventory, zone, host),
  );
}
