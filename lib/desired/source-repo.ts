// Another zone's repository, read from a zone's one server (docs/recovery.md, "A cluster from a
// backup", "A standby site"): while the zone's first data is to come (from_backup, standby_of),
// and for as long as a standby site replays, its host reads the source zone's stanza. An object
// store, or a posix folder every host mounts at the path, it reads as it reads its own. An ssh
// repository is a folder on the source zone's backup host: the reader's pgbackrest.conf points
// there (repo1-host), its pgBackRest user knows that host's key (known_hosts), and the backup
// host's repository user lets the reader's key in (authorized_keys); one way only, the backup
// host never logs in to the reader. The trust lasts while the host reads: for good on a standby
// site, until its first data on a zone from a backup. Meanwhile the zone's own backup host
// makes no stanza, backup or job: there is no primary of the zone to back up yet.
import { stanzaFor, type HostSpec, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { pgbackrestUser } from '../facts/probe.js';
import { repoType } from '../repositories/index.js';
import { resourceAddress, type ResourceRef } from '../resources/types.js';
import { firstDataToCome } from './first-data.js';
import { zonesOf, type FactsByHost, type Zone } from './zone.js';

/** A zone's one server declared to read another zone's repository, and that zone. */
interface Reader {
  host: HostSpec & { pgData: string };
  /** standby_of: it reads for good; from_backup: until its first data. */
  standby: boolean;
  source: number;
}

/** The zone's declared reader (lib/config/zones.ts: one PostgreSQL host with pg_data), if any. */
function readerOf(inventory: Inventory, zone: number): Reader | undefined {
  const of = inventory.standbyOf?.get(zone);
  const source = of?.zone ?? inventory.fromBackup?.get(zone)?.zone;
  const servers = inventory.hosts.filter((host) => host.zone === zone && host.role === 'postgres');
  const pgData = servers[0]?.pgData;
  if (source === undefined || servers.length !== 1 || pgData === undefined) return undefined;
  return { host: { ...servers[0], pgData }, standby: of !== undefined, source };
}

/** Whether the reader reads its source now, by its own facts (a zone from a backup: while its first data is to come). */
function readsNow(reader: Reader, facts: FactsByHost): boolean {
  if (reader.standby) return true;
  const hostFacts = facts.get(reader.host.name);
  if (!hostFacts) {
    throw new BsyncError(
      `zone ${reader.host.zone} reads zone ${reader.source}'s repository until its first data, but ${reader.host.name} was not among the hosts read`,
      { hint: 'Plan the whole config (without --host or --zone).' },
    );
  }
  return firstDataToCome(reader.host.pgData, hostFacts);
}

/** The repositories are reached through the zones' backup hosts (an ssh repository), so reading another zone's takes trust. */
export const throughBackupHosts = (inventory: Inventory) =>
  inventory.repos.some((repo) => repoType(repo).folderOn === 'backup');

/** The backup host a zone's reader reaches for its source's repository (ssh repositories), whether or not it reads now. */
export function sourceBackupHost(inventory: Inventory, zone: Zone): HostSpec | undefined {
  const reader = readerOf(inventory, zone.zone);
  if (!reader || !throughBackupHosts(inventory)) return undefined;
  return zonesOf(inventory).find((candidate) => candidate.zone === reader.source)?.backupHost;
}

/** Whether the zone's server reads another zone's repository now: its own backup host then backs up nothing. */
export function readsSourceNow(inventory: Inventory, zone: Zone, facts: FactsByHost): boolean {
  const reader = readerOf(inventory, zone.zone);
  return reader !== undefined && readsNow(reader, facts);
}

/** The other zones' servers that read this zone's ssh repository now: its backup host lets them in. */
export function repoReaders(inventory: Inventory, zone: Zone, facts: FactsByHost): HostSpec[] {
  if (!zone.backupHost || !throughBackupHosts(inventory)) return [];
  return zonesOf(inventory).flatMap((other) => {
    const reader = readerOf(inventory, other.zone);
    return reader?.source === zone.zone && readsNow(reader, facts) ? [reader.host] : [];
  });
}

/** What a reader's pgBackRest waits for before it reads through `backupHost`: both ends of the trust. */
export function trustReady(inventory: Inventory, backupHost: HostSpec, knownHosts: ResourceRef): ResourceRef[] {
  return [knownHosts, resourceAddress(backupHost.name, 'authorized_keys', pgbackrestUser(inventory, backupHost))];
}

/** The source stanza's backup.info in a posix repository (a folder on the PostgreSQL hosts), which the reader must see too. */
export function sharedFolderInfo(inventory: Inventory, source: number, key: number): string | undefined {
  const repo = inventory.repos.find((candidate) => candidate.key === key);
  if (!repo || repoType(repo).folderOn !== 'postgres') return undefined;
  return `${repo.path}/backup/${stanzaFor(inventory, source)}/backup.info`;
}
