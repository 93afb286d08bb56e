// A new zone's first data (docs/recovery.md, "A cluster from a backup"): [[zone]] from_backup
// names another zone whose backup is restored into the zone's one server while that server has
// no data yet (it does not run, and its pg_data holds no PG_VERSION). Here: whether it is still
// to come. The declared state then plans only pgBackRest's setup on that host and hands the
// rest on (PendingFirstData); lib/recovery/first-data.ts plans the restore. Once the server
// runs, from_backup has no further effect. A standby site's first data (standby_of,
// lib/desired/standby-site.ts) is pending the same way, and restored as a standby.
import type { FromBackup, HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { read } from '../facts/needs.js';
import type { HostFacts } from '../facts/types.js';
import type { HostResources } from './builder.js';
import type { Zone } from './zone.js';

export type { PendingFirstData } from './builder.js';
import { declarePart } from './part.js';

/** The file every data directory holds: its absence is a folder without data. */
const versionFile = (pgData: string) => `${pgData}/PG_VERSION`;

/** The zone's from_backup, when its host is the zone's one server (or a Patroni member) with pg_data (lib/config/zones.ts refuses the rest). */
export function declaredFromBackup(inventory: Inventory, zone: Zone, host: HostSpec): FromBackup | undefined {
  const from = inventory.fromBackup?.get(zone.zone);
  return from && host.pgData !== undefined && (inventory.patroni || zone.postgresHosts.length === 1) ? from : undefined;
}

/**
 * The part of a zone declared from a backup: whether its first data is still to come. What
 * the restore reads (the server's facts, the layout the host holds) is declared here, so the
 * host's probe asks for it.
 */
export const firstDataPart = (host: HostSpec & { pgData: string }, from: FirstDataKey, patroniConfig?: string) =>
  declarePart(
    'first data from a backup',
    [
      read.postgres,
      read.storedLayout,
      read.stat(versionFile(host.pgData)),
      ...(from.sees ? [read.stat(from.sees)] : []),
      // Under Patroni, the bootstrap goes into its patroni.yml, and Patroni says who leads.
      ...(patroniConfig ? [read.file(patroniConfig), read.patroni] : []),
    ],
    {
      pending: (_out: HostResources, hostFacts: HostFacts) => firstDataPending(host, hostFacts, from),
    },
  );

/** The key that declares a first data, and the zone whose backup it restores. */
export interface FirstDataKey {
  key: 'from_backup' | 'standby_of';
  zone: number;
  /**
   * A posix repository: the source stanza's backup.info, which the host must see in its own
   * mount of the folder (every host mounts one share at the path), or nothing is restored.
   */
  sees?: string;
}

/** A server that does not run, and a data directory without PG_VERSION: the first data is still to come. */
export function firstDataToCome(pgData: string, hostFacts: HostFacts): boolean {
  return !hostFacts.postgres?.running && !hostFacts.files[versionFile(pgData)]?.exists;
}

/** A running server has its data (from_backup has no effect); a stopped one with a data directory is never overwritten. */
function firstDataPending(host: HostSpec & { pgData: string }, hostFacts: HostFacts, from: FirstDataKey): boolean {
  if (hostFacts.postgres?.running) return false;
  if (!firstDataToCome(host.pgData, hostFacts)) {
    throw new HostError(
      host.name,
      `${host.pgData} holds a data directory (PG_VERSION), but PostgreSQL does not answer on port ${host.pgPort}: zone ${host.zone}'s ${from.key} restores only into an empty folder`,
      {
        hint: `bsync never overwrites data: start the server (the zone has its data, and ${from.key} restores nothing), or empty ${host.pgData} to start it from zone ${from.zone}'s backup.`,
      },
    );
  }
  if (from.sees && !hostFacts.files[from.sees]?.exists) {
    throw new HostError(
      host.name,
      `zone ${host.zone}'s ${from.key} reads zone ${from.zone}'s posix repository, but ${from.sees} is not there on ${host.name}: its folder at the path is not the share zone ${from.zone}'s hosts write (or zone ${from.zone} has no stanza there yet)`,
      {
        hint: `Another zone reads a posix repository only where every host mounts the same share at the path: mount it on ${host.name} and plan again, or clone instead (bsync restore --zone ${from.zone} --to HOST).`,
      },
    );
  }
  return true;
}
