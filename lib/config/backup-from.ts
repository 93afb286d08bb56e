// Backups from a standby: [cluster].backup_from, or backup-standby written by hand in
// [pgbackrest.*]. What a schema cannot check: a standby must exist for a backup to read
// from it, and the two ways of asking must not both be used.
import type { PgbackrestOptions } from './inventory.js';
import { optionValue, tablePath, tablesOf } from './pgbackrest-options.js';
import type { ConfigProblems } from './problems.js';
import type { RawConfig } from './raw.js';

type RawHost = { name: string; role: string; zone?: number };

/** Zones with a single PostgreSQL host: no standby to read from (a zone without any is another check's problem). */
function zonesWithoutStandby(hosts: RawHost[]): Array<{ zone: number; names: string[] }> {
  const zones = [...new Set(hosts.map((host) => host.zone ?? 1))].sort((a, b) => a - b);
  return zones.flatMap((zone) => {
    const names = hosts
      .filter((host) => (host.zone ?? 1) === zone && host.role === 'postgres')
      .map((host) => host.name);
    return names.length === 1 ? [{ zone, names }] : [];
  });
}

const oneHost = (zone: number, names: string[]) => `zone ${zone} has one PostgreSQL host (${names.join(', ')})`;

/**
 * backup-standby = true by hand needs a standby the stanza lists: only a backup host's stanza
 * lists more than one PostgreSQL host (backup_from does the rest itself).
 */
export function checkOptionNeeds(
  options: PgbackrestOptions,
  hosts: RawHost[],
  hasBackupHosts: boolean,
  problems: ConfigProblems,
): void {
  if (optionValue(options, 'backup-standby', 'backup') !== 'y') return;
  const table = tablesOf(options).find(({ options: tableOptions }) =>
    tableOptions.some((option) => option.key === 'backup-standby' && option.values[0] === 'y'),
  )!.table;
  const path = `${tablePath(table)}.backup-standby`;
  if (!hasBackupHosts) {
    problems.add(
      path,
      "needs a standby in the stanza, and without an ssh repository each PostgreSQL host's stanza lists only itself",
      'Use [cluster] backup_from = "standby" instead: bsync then lists the standbys in each PostgreSQL host\'s stanza and lets the hosts reach each other over SSH.',
    );
    return;
  }
  for (const { zone, names } of zonesWithoutStandby(hosts))
    problems.add(
      path,
      `needs a standby in the stanza, but ${oneHost(zone, names)}`,
      'Add the zone\'s standby as a [[host]] with role = "postgres", or remove backup-standby.',
    );
}

/**
 * [cluster].backup_from: refused beside a hand-written backup-standby (whatever either says,
 * one key must decide), and "standby" where a zone has no standby. "prefer" is taken there:
 * that zone's backups read the primary (docs/config.md).
 */
export function checkBackupFrom(
  raw: RawConfig,
  options: PgbackrestOptions,
  hostsSound: boolean,
  problems: ConfigProblems,
): void {
  const backupFrom = raw.cluster.backup_from;
  if (backupFrom === undefined) return;
  for (const { table, options: tableOptions } of tablesOf(options))
    if (tableOptions.some((option) => option.key === 'backup-standby'))
      problems.add(
        `${tablePath(table)}.backup-standby`,
        `cannot go with cluster.backup_from = ${JSON.stringify(backupFrom)}: both say where backups read their files`,
        `Keep [cluster] backup_from (it also lists the standbys and sets up SSH between the hosts where that is needed) and remove backup-standby from [${tablePath(table)}].`,
      );
  if (backupFrom !== 'standby' || !hostsSound) return;
  for (const { zone, names } of zonesWithoutStandby(raw.host))
    problems.add(
      'cluster.backup_from',
      `"standby" needs a standby in every stanza, but ${oneHost(zone, names)}`,
      `Add zone ${zone}'s standby as a [[host]] with role = "postgres", or use backup_from = "prefer" (the primary where there is no standby).`,
    );
}
