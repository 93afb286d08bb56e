// What a restore or a clone checks before anything stops: that the repository can be read,
// the backup set that reaches the target, the window's upper end, the WAL from the set on,
// the space, and (a restore) that the zone's pgBackRest setup is as bsync.toml says.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import type { SpaceFacts } from '../facts/space.js';
import type { BackupInfo, HostFacts, RepoFacts } from '../facts/types.js';
import type { Resource } from '../resources/types.js';
import { neededBytes } from '../verify/targets.js';
import { lsnValue, targetText, type RecoveryTarget } from './target.js';
import { windowText, type RecoveryWindow } from '../status/window.js';

const GiB = 1024 ** 3;
export const size = (bytes: number) =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`;
export const when = (seconds: number | undefined) =>
  seconds === undefined ? 'an unknown time' : new Date(seconds * 1000).toISOString();

/** The repository the restore reads, as the repository's owner reports it; refused when it cannot serve. */
export function readableRepo(inventory: Inventory, zone: Zone, facts: FactsByHost, key: number): RepoFacts {
  if (!inventory.repos.some((repo) => repo.key === key)) {
    throw new BsyncError(`--repo ${key}: the stanza has no repo${key}`, {
      hint: `Repositories: ${inventory.repos.map((repo) => `repo${repo.key} (${repo.type})`).join(', ')}`,
    });
  }
  const repo = facts.get(zone.repoOwner.name)?.repos?.find((entry) => entry.key === key);
  if (!repo || repo.statusCode === null || repo.unreadable) {
    throw new BsyncError(
      `repo${key} of ${zone.stanza} cannot be read from ${zone.repoOwner.name}: ${repo?.statusMessage || 'no answer'}`,
      {
        hint: 'A wrong or missing cipher passphrase, an unreachable repository or a missing stanza looks like this; nothing was stopped. Check with bsync status.',
      },
    );
  }
  return repo;
}

/** The backup set that reaches the target, or why none does. */
export function chooseBackup(
  repo: RepoFacts,
  request: { set?: string; target: RecoveryTarget },
  stanza: string,
): BackupInfo {
  const valid = repo.backups.filter((backup) => !backup.error);
  if (request.set !== undefined) {
    const asked = valid.find((backup) => backup.label === request.set);
    if (!asked) {
      throw new BsyncError(`--set ${request.set}: repo${repo.key} holds no valid backup set of that label`, {
        hint: `Valid sets: ${valid.map((backup) => backup.label).join(', ') || 'none'}`,
      });
    }
    return asked;
  }
  if (valid.length === 0) throw new BsyncError(`repo${repo.key} holds no valid backup of ${stanza} yet`);
  const { target } = request;
  if (target.type === 'time') {
    const before = valid.filter((backup) => backup.stop !== undefined && backup.stop * 1000 <= target.ms);
    if (before.length === 0) {
      throw new BsyncError(
        `--target ${targetText(target)} is before the recovery window: the oldest backup of repo${repo.key} became consistent at ${when(valid[0].stop)}`,
        {
          hint: 'A point before the oldest backup cannot be recovered; choose a later time. bsync status lists the backups.',
        },
      );
    }
    return before.at(-1)!;
  }
  if (target.type === 'lsn') {
    const before = valid.filter(
      (backup) => backup.lsnStop !== undefined && lsnValue(backup.lsnStop) <= lsnValue(target.lsn),
    );
    if (before.length === 0) {
      throw new BsyncError(
        `--target ${targetText(target)} is before the recovery window: the oldest backup of repo${repo.key} became consistent at LSN ${valid[0].lsnStop ?? 'unknown'}`,
      );
    }
    return before.at(-1)!;
  }
  // A transaction or a restore point can only be found by replaying WAL: the oldest set has the widest window.
  if (target.type === 'xid' || target.type === 'name') return valid[0];
  return valid.at(-1)!;
}

/** The upper end of the window: nothing past the clock, or what the primary has written. */
export function checkWindowEnd(
  request: { target: RecoveryTarget },
  now: number,
  primary?: { host: HostSpec; facts: HostFacts },
): void {
  const { target } = request;
  const pg = primary?.facts.postgres;
  if (target.type === 'time' && target.ms > now) {
    throw new BsyncError(`--target ${targetText(target)} is in the future (it is ${new Date(now).toISOString()})`, {
      hint: 'A recovery can only stop at a point that has been written.',
    });
  }
  if (target.type === 'lsn' && pg?.running && pg.currentLsn && lsnValue(target.lsn) > lsnValue(pg.currentLsn)) {
    throw new BsyncError(
      `--target ${targetText(target)} is past the end of the recovery window: ${primary!.host.name} has written WAL up to ${pg.currentLsn}`,
    );
  }
}

/**
 * A target inside the recovery window: not before its start (the oldest backup whose WAL the
 * archive holds became consistent), and, when nothing is archived first (no running primary
 * to push its WAL), not past the time the newest archived WAL was archived.
 */
export function checkInWindow(
  request: { target: RecoveryTarget },
  window: RecoveryWindow,
  repoKey: number,
  archivesFirst: boolean,
): void {
  const { target } = request;
  const { from, to } = window;
  const outside = (where: string) =>
    new BsyncError(`--target ${targetText(target)} is ${where} of repo${repoKey}: ${windowText(window)}`, {
      hint: 'Choose a target inside the window (UTC); nothing was stopped. bsync status shows the window.',
    });
  if (target.type === 'time' && from?.at && target.ms < Date.parse(from.at))
    throw outside('before the recovery window');
  if (target.type === 'lsn' && from?.lsn && lsnValue(target.lsn) < lsnValue(from.lsn))
    throw outside('before the recovery window');
  if (target.type === 'time' && !archivesFirst && to?.atIs === 'archived' && to.at && target.ms > Date.parse(to.at))
    throw outside('past the end of the recovery window');
}

/** The WAL from the backup to the archive's end must all be in the repository. */
export function checkWal(repo: RepoFacts, backup: BackupInfo): void {
  if (!backup.archiveStart || !repo.archiveMin || !repo.archiveMax) {
    throw new BsyncError(`repo${repo.key} holds no WAL archive for backup ${backup.label}`, {
      hint: 'Without the WAL from the backup on, no recovery is possible; check archiving with bsync status.',
    });
  }
  if (repo.archiveMin > backup.archiveStart) {
    throw new BsyncError(
      `backup ${backup.label} needs WAL from ${backup.archiveStart}, but repo${repo.key}'s archive starts at ${repo.archiveMin}`,
      { hint: 'That WAL has expired; choose a newer set (--set) or a later target.' },
    );
  }
}

export function checkSpace(host: HostSpec, dataDirectory: string, backup: BackupInfo, space: SpaceFacts): string {
  const needed = neededBytes(backup.size ?? 0);
  const usable = space.availableBytes + space.usedBytes;
  if (needed > usable) {
    throw new BsyncError(
      `restoring backup ${backup.label} into ${dataDirectory} on ${host.name} needs about ${size(needed)}; ${size(usable)} can be had there (${size(space.availableBytes)} free, ${size(space.usedBytes)} held by the data directory now)`,
      { hint: 'Free space on that file system first; nothing was stopped.' },
    );
  }
  return `needs about ${size(needed)} in ${dataDirectory}; ${size(usable)} can be had there (${size(space.availableBytes)} free + ${size(space.usedBytes)} of current data)`;
}

/** The kinds a restore relies on being as bsync.toml says: pgBackRest's config and the repository's reach. */
const RESTORE_RELIES_ON = new Set([
  'pgbackrest_conf',
  'legacy_pgbackrest_conf',
  'repo_ca',
  'repo_key',
  'cipher_pass',
  'ssh_keypair',
  'authorized_keys',
  'known_hosts',
]);

/** A restore through a config that differs from bsync.toml would read another repository, or none. */
export function checkConverged(setup: Resource[] | undefined, hosts: string[]): void {
  const pending = (setup ?? []).filter(
    (resource) => resource.change !== null && hosts.includes(resource.host) && RESTORE_RELIES_ON.has(resource.kind),
  );
  if (pending.length > 0) {
    throw new BsyncError(
      `the zone is not as bsync.toml says, so a restore cannot trust its pgBackRest setup: ${pending.map((resource) => resource.address).join(', ')}`,
      {
        hint: 'Run bsync plan to see the changes and bsync apply to make them, then plan the restore again; nothing was stopped.',
      },
    );
  }
}
