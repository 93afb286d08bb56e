// Every metric bsync writes, in one list: each writer's `name` is typed by it, so a metric
// renamed or added in a writer fails tsc until this list says so, and the shipped alert
// rules and dashboard (monitoring/) are checked against it (test/unit/monitoring.test.ts).

export const METRIC_NAMES = [
  // the run itself (every command with --prom-file; lib/metrics/prom.ts)
  'bsync_run_success',
  'bsync_run_duration_seconds',
  'bsync_run_timestamp_seconds',
  // bsync plan (lib/plan/metrics.ts)
  'bsync_drift_actions',
  'bsync_drift_host_actions',
  'bsync_adopt_host_actions',
  'bsync_backup_problems',
  // bsync status (lib/status/metrics.ts)
  'bsync_backup_age_seconds',
  'bsync_backup_size_bytes',
  'bsync_backup_duration_seconds',
  'bsync_backups',
  'bsync_repo_backup_bytes',
  'bsync_stanza_status_code',
  'bsync_backup_running',
  'bsync_recovery_window_start_seconds',
  'bsync_recovery_window_end_seconds',
  'bsync_archive_archived_total',
  'bsync_archive_failed_total',
  'bsync_archive_last_archived_age_seconds',
  'bsync_archive_failing',
  'bsync_backup_job_running',
  'bsync_backup_job_failed',
  'bsync_backup_job_last_success_timestamp_seconds',
  'bsync_backup_job_last_failure_timestamp_seconds',
  'bsync_wal_ready_files',
  'bsync_wal_oldest_ready_age_seconds',
  'bsync_wal_bytes',
  'bsync_standby_running',
  'bsync_standby_in_recovery',
  'bsync_standby_last_replay_timestamp_seconds',
  'bsync_standby_behind_archive',
  'bsync_standby_replay_lag_seconds',
  // bsync verify (lib/verify/report.ts)
  'bsync_verify_success',
  'bsync_verify_duration_seconds',
  'bsync_verify_restore_seconds',
  'bsync_verify_phase_seconds',
  'bsync_verify_restored_bytes',
  'bsync_verify_scratch_bytes',
  'bsync_verify_backup_age_seconds',
  // a restore or clone's phase timings (lib/apply/timings.ts)
  'bsync_operation_phase_seconds',
  'bsync_operation_duration_seconds',
  // a run over several configs (lib/cli/fleet.ts)
  'bsync_cluster_success',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];
