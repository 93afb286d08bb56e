// Which facts a host's probe script asks for: what its role's builder reads
// (postgresHostNeeds beside postgresHostResources, backupHostNeeds beside
// backupHostResources, each added up from the kinds' own declarations in lib/resources/).
// Every plan checks it read nothing else (usingFacts, lib/cli/session.ts), and
// test/unit/needs.test.ts runs the planner on recorded facts that hold nothing else.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { FactNeeds } from '../facts/needs.js';
import { backupHostNeeds } from './backup-host.js';
import { postgresHostNeeds } from './postgres-host.js';
import { zonesOf } from './zone.js';

export function hostNeeds(inventory: Inventory, host: HostSpec): FactNeeds {
  if (host.role === 'backup') return backupHostNeeds(inventory, host);
  const zone = zonesOf(inventory).find((candidate) => candidate.zone === host.zone);
  if (!zone) throw new BsyncError(`host ${host.name}: zone ${host.zone} has no hosts`);
  return postgresHostNeeds(inventory, zone, host);
}
