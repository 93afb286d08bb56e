// `bsync status`: what an operator asks every morning, per stanza and repository — the
// newest backup of each type, how old and large it is, the WAL archive's range, how
// archiving goes on the primary, whether a backup runs now; a standby site as a standby of
// its source's stanza (standby-sites.ts). A pure function of the facts
// gathered in the usual single round trip per host; nothing is changed, no lease taken.
import type { Inventory, Repo, RepoTypeName } from '../config/inventory.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { archivingFails } from '../facts/postgres.js';
import type { BackupInfo, HostFacts } from '../facts/types.js';
import { primaryOf, recoveryWindow, windowSeconds, type RecoveryWindow } from './window.js';
import { jobProblems, jobSummaries, walBacklogs, type JobSummary, type WalBacklogSummary } from './watch.js';
import { age, iso } from './times.js';
import { standbySites, type StandbySiteStatus } from './standby-sites.js';

export const BACKUP_TYPES = ['full', 'diff', 'incr'] as const;
type BackupType = (typeof BACKUP_TYPES)[number];

export interface BackupSummary {
  label: string;
  /** ISO 8601 times, and seconds. */
  startedAt: string | null;
  finishedAt: string | null;
  ageSeconds: number | null;
  durationSeconds: number | null;
  sizeBytes: number | null;
  repoSizeBytes: number | null;
}

interface ArchivingSummary {
  /** The primary whose pg_stat_archiver this is. */
  host: string;
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  lastArchivedAgeSeconds: number | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** The last attempt failed: nothing was archived since the last failure. */
  failing: boolean;
}

export interface StanzaStatus {
  stanza: string;
  zone: number;
  repo: { key: string; type: RepoTypeName; path: string; readBy: string };
  /** pgbackrest info's status: 0 ok, 1 missing stanza path, 2 no valid backups, …; null when info could not run. */
  statusCode: number | null;
  statusMessage: string;
  backupRunning: boolean;
  newest: Record<BackupType, BackupSummary | null>;
  backupCount: number;
  fullCount: number;
  /** Seconds from the oldest valid backup's end to the newest archived WAL (lib/status/watch.ts); null without a backup. */
  recoveryWindowSeconds: number | null;
  /** Each scheduled job's last run, from its outcome file where the jobs run. */
  jobs: JobSummary[];
  /** WAL waiting to be archived on the primary (and standbys with archive_mode = always). */
  walBacklog: WalBacklogSummary[];
  /** What the backups occupy in the repository (each backup's stored delta; WAL not counted). */
  repoSizeBytes: number;
  walArchive: { min: string | null; max: string | null };
  /** The window a restore from this repository can reach, in UTC. */
  window: RecoveryWindow;
  archiving: ArchivingSummary | null;
  /** Why this stanza needs attention, in words; empty when all is well. */
  problems: string[];
}

export interface StatusReport {
  format: 'bsync-status';
  version: 1;
  generatedAt: string;
  configPath: string;
  stanzas: StanzaStatus[];
  /** The zones declared standby_of: no stanza of their own, each a standby of its source's (standby-sites.ts). */
  standbySites: StandbySiteStatus[];
}

function summary(backup: BackupInfo, now: number): BackupSummary {
  return {
    label: backup.label,
    startedAt: iso(backup.start),
    finishedAt: iso(backup.stop),
    ageSeconds: age(backup.stop, now),
    durationSeconds: backup.start !== undefined && backup.stop !== undefined ? backup.stop - backup.start : null,
    sizeBytes: backup.size ?? null,
    repoSizeBytes: backup.repoDelta ?? null,
  };
}

function archiving(primary: HostFacts | undefined, now: number): ArchivingSummary | null {
  const archiver = primary?.postgres?.archiver;
  if (!primary || !archiver) return null;
  const failing = archivingFails(archiver);
  return {
    host: primary.host,
    archivedCount: archiver.archivedCount,
    failedCount: archiver.failedCount,
    lastArchivedWal: archiver.lastArchivedWal,
    lastArchivedAt: iso(archiver.lastArchivedTime),
    lastArchivedAgeSeconds: age(archiver.lastArchivedTime, now),
    lastFailedWal: archiver.lastFailedWal,
    lastFailedAt: iso(archiver.lastFailedTime),
    failing,
  };
}

function stanzaStatus(zone: Zone, wanted: Repo, facts: FactsByHost, now: number): StanzaStatus {
  const repo = facts.get(zone.repoOwner.name)?.repos?.find((entry) => entry.key === wanted.key);
  const valid = (repo?.backups ?? []).filter((backup) => !backup.error);
  const newest = Object.fromEntries(
    BACKUP_TYPES.map((type) => {
      const last = valid.filter((backup) => backup.type === type).at(-1);
      return [type, last ? summary(last, now) : null];
    }),
  ) as Record<BackupType, BackupSummary | null>;
  const primary = primaryOf(zone, facts);
  const window = recoveryWindow(repo, primary?.postgres?.archiver);
  const status: StanzaStatus = {
    stanza: zone.stanza,
    zone: zone.zone,
    repo: { key: `repo${wanted.key}`, type: wanted.type, path: wanted.path, readBy: zone.repoOwner.name },
    statusCode: repo?.statusCode ?? null,
    statusMessage: repo?.statusMessage ?? 'not read',
    backupRunning: repo?.backupRunning === true,
    newest,
    backupCount: valid.length,
    fullCount: valid.filter((backup) => backup.type === 'full').length,
    jobs: jobSummaries(zone, wanted, facts, now),
    walBacklog: walBacklogs(zone, facts, now),
    repoSizeBytes: valid.reduce((total, backup) => total + (backup.repoDelta ?? 0), 0),
    walArchive: { min: repo?.archiveMin ?? null, max: repo?.archiveMax ?? null },
    window,
    recoveryWindowSeconds: windowSeconds(window),
    archiving: archiving(primary, now),
    problems: [],
  };
  if (status.statusCode !== 0)
    status.problems.push(
      `pgbackrest info: ${status.statusCode === null ? 'could not be read' : `status ${status.statusCode}`}: ${status.statusMessage.split('\n')[0]}`,
    );
  if (!primary) status.problems.push('no running primary found: archiving not reported');
  for (const gap of status.window.gaps) status.problems.push(`a gap in the WAL archive: ${gap}`);
  if (status.archiving?.failing)
    status.problems.push(
      `WAL archiving fails: ${status.archiving.lastFailedWal} failed at ${status.archiving.lastFailedAt}`,
    );
  status.problems.push(...jobProblems(status.repo.key, status.jobs));
  return status;
}

export function statusReport(
  inventory: Inventory,
  facts: FactsByHost,
  hosts: string[],
  now = Date.now() / 1000,
): StatusReport {
  const zones = zonesOf(inventory).filter(
    (zone) => hosts.includes(zone.repoOwner.name) || zone.postgresHosts.some((host) => hosts.includes(host.name)),
  );
  return {
    format: 'bsync-status',
    version: 1,
    generatedAt: new Date(now * 1000).toISOString(),
    configPath: inventory.configPath,
    stanzas: zones
      .filter((zone) => !inventory.standbyOf?.has(zone.zone))
      .flatMap((zone) => inventory.repos.map((repo) => stanzaStatus(zone, repo, facts, now))),
    standbySites: standbySites(inventory, zones, facts, now),
  };
}
