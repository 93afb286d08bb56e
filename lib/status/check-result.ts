// One result of bsync check, apart from check.ts so that the standby sites' results
// (standby-check.ts) are made of the same type without importing check.ts back.

export type ThresholdName =
  | 'max_full_age'
  | 'max_backup_age'
  | 'min_full_count'
  | 'min_window'
  | 'max_archive_lag'
  | 'max_wal_backlog'
  | 'failed_backup'
  | 'max_replay_lag'
  | 'standby_in_recovery';

export interface CheckResult {
  threshold: ThresholdName;
  stanza: string;
  /** repoN for a repository's thresholds; null for a server's (WAL). */
  repo: string | null;
  /** The server a WAL threshold or a job's outcome was read on. */
  host: string | null;
  state: 'held' | 'broken' | 'unknown';
  /** The threshold: seconds for durations, a count, or true (failed_backup, standby_in_recovery). */
  limit: number | boolean;
  /** What was found (seconds, a count, an exit status); null when unknown or absent. */
  value: number | null;
  /** One line naming stanza, repository or host, and the numbers. */
  message: string;
}

export type Found = Pick<CheckResult, 'state' | 'value'> & { what: string };
