// A Patroni zone's first data (docs/recovery.md, "A Patroni zone from a backup"): Patroni
// bootstraps it, not bsync. While the zone has no data (Patroni answers, names no leader, no
// member runs PostgreSQL, no pg_data holds PG_VERSION), every member's patroni.yml gets a
// bootstrap that restores from the source zone's stanza (a custom bootstrap method),
// archive_mode off in the new cluster's dynamic configuration; then the cluster's state in the DCS is removed and Patroni
// bootstraps anew (lib/recovery/first-data.ts). Once a member leads, the bootstrap keys go.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import type { PatroniYmlEntry } from '../resources/patroni-local.js';
import { isPatroniLeader } from './patroni-settings.js';
import type { FactsByHost, Zone } from './zone.js';
import type { FirstDataKey } from './first-data.js';

/** Every key bsync sets in patroni.yml for a bootstrap: removed again once the zone has data. */
export const BOOTSTRAP_KEYS = {
  method: ['bootstrap', 'method'],
  pgbackrest: ['bootstrap', 'pgbackrest'],
  archiveMode: ['bootstrap', 'dcs', 'postgresql', 'parameters', 'archive_mode'],
} as const;

/** The bootstrap keys absent: what patroni.yml holds once the zone has its data. */
export const bootstrapRemoved = (): PatroniYmlEntry[] =>
  Object.values(BOOTSTRAP_KEYS).map((key) => [[...key], undefined]);

/** The member that leads the zone, as its Patroni says. */
function zoneLeader(zone: Zone, facts: FactsByHost): HostSpec | undefined {
  return zone.postgresHosts.find((member) => {
    const patroni = facts.get(member.name)?.patroni;
    return patroni !== undefined && isPatroniLeader(patroni, member);
  });
}

const versionFile = (host: HostSpec) => `${host.pgData}/PG_VERSION`;

/**
 * Whether the zone's first data is still to come: Patroni answers but no member leads, runs
 * PostgreSQL or holds data. A leader means the data is there; the rest is refused, saying why.
 */
export function patroniFirstDataPending(zone: Zone, facts: FactsByHost, from: FirstDataKey): boolean {
  if (zoneLeader(zone, facts)) return false;
  const members = zone.postgresHosts;
  const factsOf = (member: HostSpec) => facts.get(member.name) as HostFacts;
  const running = members.find((member) => factsOf(member).postgres?.running);
  if (running)
    throw new HostError(
      running.name,
      `Patroni names no leader of zone ${zone.zone} while PostgreSQL runs on ${running.name}: Patroni is bootstrapping or electing`,
      { hint: 'Wait until patronictl list names a leader, then plan again.' },
    );
  const answering = members.find((member) => factsOf(member).patroni?.scope);
  if (!answering)
    throw new HostError(
      members[0].name,
      `Patroni does not answer on any member of zone ${zone.zone}: zone ${zone.zone}'s ${from.key} is bootstrapped through a running Patroni`,
      {
        hint: `Start Patroni on the members (with pg_data empty and the cluster's state in the DCS kept, it waits for a leader), then plan again.`,
      },
    );
  const holding = members.find((member) => factsOf(member).files[versionFile(member)]?.exists);
  if (holding)
    throw new HostError(
      holding.name,
      `${holding.pgData} holds a data directory (PG_VERSION), but no member of zone ${zone.zone} runs PostgreSQL: zone ${zone.zone}'s ${from.key} bootstraps only a cluster without data`,
      {
        hint: `bsync never overwrites data: let Patroni start it (the zone has its data, and ${from.key} restores nothing), or empty pg_data on every member to bootstrap the zone from zone ${from.zone}'s backup.`,
      },
    );
  return true;
}

/** The member whose Patroni the bootstrap is run through: the first declared that answers. */
export function bootstrapMember(zone: Zone, facts: FactsByHost): HostSpec {
  return zone.postgresHosts.find((member) => facts.get(member.name)?.patroni?.scope)!;
}

/** A Patroni zone declared from a backup: its key and source, or undefined (a Patroni standby_of is refused by the config). */
export function patroniFirstDataKey(inventory: Inventory, zone: Zone): FirstDataKey | undefined {
  const from = inventory.patroni && inventory.fromBackup?.get(zone.zone);
  return from ? { key: 'from_backup', zone: from.zone } : undefined;
}
