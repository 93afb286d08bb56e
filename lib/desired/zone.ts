// A zone is one stanza: its PostgreSQL hosts and (for SSH repositories) its backup host.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { stanzaFor } from '../config/inventory.js';
import { pgbackrestWord } from '../repositories/index.js';
import type { HostFacts } from '../facts/types.js';

export interface Zone {
  zone: number;
  stanza: string;
  /** What starts its pgbackrest commands: `pgbackrest`, or `env AWS_ROLE_ARN=… pgbackrest` (lib/repositories pgbackrestWord). */
  pgbackrest: string;
  postgresHosts: HostSpec[];
  backupHost?: HostSpec;
  /** The host whose pgBackRest owns the repository: the backup host, else the first postgres host. */
  repoOwner: HostSpec;
}

export function zonesOf(inventory: Inventory): Zone[] {
  const pgbackrest = pgbackrestWord(inventory.repos);
  const numbers = [...new Set(inventory.hosts.map((host) => host.zone))].sort((a, b) => a - b);
  return numbers.flatMap((zone) => {
    const hosts = inventory.hosts.filter((host) => host.zone === zone);
    const postgresHosts = hosts.filter((host) => host.role === 'postgres');
    const backupHost = hosts.find((host) => host.role === 'backup');
    const repoOwner = backupHost ?? postgresHosts[0];
    return repoOwner
      ? [{ zone, stanza: stanzaFor(inventory, zone), pgbackrest, postgresHosts, backupHost, repoOwner }]
      : [];
  });
}

export type FactsByHost = Map<string, HostFacts>;

export function zoneHosts(zone: Zone): HostSpec[] {
  return zone.backupHost ? [...zone.postgresHosts, zone.backupHost] : zone.postgresHosts;
}
