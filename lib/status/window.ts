// The recovery window of a stanza in one repository: from the oldest point a restore can
// reach (where the oldest backup whose WAL the archive holds became consistent) to the
// newest archived WAL, in UTC. `bsync status` shows it, `bsync restore` prints it and
// refuses a target outside it (it lives here, below lib/recovery, so both read it). A pure
// function of pgbackrest info's facts and the primary's pg_stat_archiver; docs/recovery.md
// (The recovery window) says what each end means.
import { zonePrimary } from '../desired/backups.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import { iso } from './times.js';
import type { ArchiverFacts, BackupInfo, HostFacts, RepoFacts } from '../facts/types.js';

export interface WindowStart {
  /** The backup set, where it became consistent (its stop time, ISO 8601 UTC), its stop LSN and last WAL segment. */
  backup: string;
  at: string | null;
  lsn: string | null;
  wal: string | null;
}

export interface WindowEnd {
  /** The newest WAL segment in the archive. */
  wal: string;
  /**
   * Its time, ISO 8601 UTC. `archived`: when the primary archived it (pg_stat_archiver names
   * it) or pgBackRest wrote it into a folder repository, so nothing in it is later. `at
   * least`: pgbackrest info gives no WAL times, so the newest backup's stop time is what
   * the archive is known to reach.
   */
  at: string | null;
  atIs: 'archived' | 'at least';
}

export interface RecoveryWindow {
  from: WindowStart | null;
  to: WindowEnd | null;
  /** The timelines seen at the archive's ends and in the backups the archive serves. */
  timelines: number[];
  /** Valid backups whose WAL (archive start .. stop) the archive does not hold: they cannot be restored. */
  gaps: string[];
}

/** The timeline of a WAL segment's name (its first eight hex digits). */
export function segmentTimeline(segment: string): number {
  return Number.parseInt(segment.slice(0, 8), 16);
}

/** The window's length in seconds, when both ends have a time ([alert] min_window holds it). */
export function windowSeconds(window: RecoveryWindow): number | null {
  if (!window.from?.at || !window.to?.at) return null;
  return Math.max(0, Math.round((Date.parse(window.to.at) - Date.parse(window.from.at)) / 1000));
}

/** The zone's primary: a running PostgreSQL host not in recovery. */
export function primaryOf(zone: Zone, facts: FactsByHost): HostFacts | undefined {
  const primary = zonePrimary(zone.postgresHosts, facts);
  return primary && facts.get(primary.name);
}

/** The backup's WAL, first to last segment, is in the archive's range. */
function walHeld(repo: RepoFacts, backup: BackupInfo): boolean {
  const { archiveMin, archiveMax } = repo;
  if (!archiveMin || !archiveMax || !backup.archiveStart || !backup.archiveStop) return false;
  return archiveMin <= backup.archiveStart && backup.archiveStop <= archiveMax;
}

function gapText(repo: RepoFacts, backup: BackupInfo): string {
  const needs = `${backup.archiveStart ?? '?'} .. ${backup.archiveStop ?? '?'}`;
  return repo.archiveMin && repo.archiveMax
    ? `backup ${backup.label} needs WAL ${needs}, but the archive holds ${repo.archiveMin} .. ${repo.archiveMax}`
    : `backup ${backup.label} needs WAL ${needs}, but the archive holds none`;
}

/**
 * The newest segment's time: when the primary archived it (its pg_stat_archiver names it),
 * else when pgBackRest wrote it into a folder repository, else at least the newest backup's stop.
 */
function windowEnd(repo: RepoFacts, served: BackupInfo[], archiver?: ArchiverFacts | null): WindowEnd | null {
  if (!repo.archiveMax) return null;
  const byArchiver = archiver?.lastArchivedWal?.slice(0, 24) === repo.archiveMax ? archiver.lastArchivedTime : null;
  // A file's modification time is read in whole seconds, cut down: the next second is past it.
  const written = repo.archiveMaxTime === undefined ? undefined : repo.archiveMaxTime + 1;
  const archived = byArchiver ?? written;
  if (archived !== null && archived !== undefined) return { wal: repo.archiveMax, at: iso(archived), atIs: 'archived' };
  return { wal: repo.archiveMax, at: iso(served.at(-1)?.stop), atIs: 'at least' };
}

export function recoveryWindow(repo: RepoFacts | undefined, archiver?: ArchiverFacts | null): RecoveryWindow {
  const valid = (repo?.backups ?? []).filter((backup) => !backup.error);
  if (!repo) return { from: null, to: null, timelines: [], gaps: [] };
  const served = valid.filter((backup) => walHeld(repo, backup));
  const oldest = served[0];
  const segments = [
    repo.archiveMin,
    repo.archiveMax,
    ...served.flatMap((backup) => [backup.archiveStart, backup.archiveStop]),
  ].filter((segment): segment is string => segment !== undefined);
  return {
    from: oldest
      ? { backup: oldest.label, at: iso(oldest.stop), lsn: oldest.lsnStop ?? null, wal: oldest.archiveStop ?? null }
      : null,
    to: served.length > 0 ? windowEnd(repo, served, archiver) : null,
    timelines: [...new Set(segments.map(segmentTimeline))].sort((a, b) => a - b),
    gaps: valid.filter((backup) => !walHeld(repo, backup)).map((backup) => gapText(repo, backup)),
  };
}

/** The window in one line, as status and a restore's plan show it. */
export function windowText(window: RecoveryWindow): string {
  if (!window.from || !window.to) return 'none: no backup whose WAL the archive holds';
  const { from, to } = window;
  const end =
    to.atIs === 'archived'
      ? `${to.at} (${to.wal}, archived then)`
      : `at least ${to.at} (${to.wal}; its time is unknown)`;
  const timelines = `timeline${window.timelines.length === 1 ? '' : 's'} ${window.timelines.join(', ')}`;
  return `${from.at} (backup ${from.backup} consistent) .. ${end}, ${timelines}`;
}
