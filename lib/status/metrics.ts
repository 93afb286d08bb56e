// The status report as Prometheus metrics: what an alert rule needs (backup age per type,
// archive failures, stanza status), with stanza and repo as labels.
import type { Metric, Sample } from '../metrics/prom.js';
import { BACKUP_TYPES, type StanzaStatus, type StatusReport } from './report.js';
import type { StandbySiteStatus } from './standby-sites.js';
import { stanzaWalServers, type JobSummary, type WalBacklogSummary } from './watch.js';

/** One sample per stanza and repository, where `pick` knows a value. */
function stanzaSamples(report: StatusReport, pick: (stanza: StanzaStatus) => number | null): Sample[] {
  return report.stanzas.flatMap((stanza) => {
    const value = pick(stanza);
    return value === null ? [] : [{ labels: { stanza: stanza.stanza, repo: stanza.repo.key }, value }];
  });
}

/** An ISO 8601 time as unix seconds; null when unknown. */
const seconds = (at: string | null | undefined) => (at ? Date.parse(at) / 1000 : null);

/** Both ends of the recovery window, per stanza and repository. */
function windowMetrics(report: StatusReport): Metric[] {
  return [
    {
      name: 'bsync_recovery_window_start_seconds',
      help: 'Oldest point a restore can reach (unix seconds): where the oldest backup whose WAL the archive holds became consistent.',
      type: 'gauge',
      samples: stanzaSamples(report, (stanza) => seconds(stanza.window.from?.at)),
    },
    {
      name: 'bsync_recovery_window_end_seconds',
      help: 'Time of the newest archived WAL (unix seconds): when the primary archived it or it was written into a folder repository, else the newest backup stop time as a lower bound.',
      type: 'gauge',
      samples: stanzaSamples(report, (stanza) => seconds(stanza.window.to?.at)),
    },
  ];
}

export function statusMetrics(report: StatusReport): Metric[] {
  const perBackup = (
    pick: (value: NonNullable<StatusReport['stanzas'][number]['newest']['full']>) => number | null,
  ): Sample[] =>
    report.stanzas.flatMap((stanza) =>
      BACKUP_TYPES.flatMap((type) => {
        const backup = stanza.newest[type];
        const value = backup ? pick(backup) : null;
        return value === null ? [] : [{ labels: { stanza: stanza.stanza, repo: stanza.repo.key, type }, value }];
      }),
    );
  const perStanza = (pick: (stanza: StanzaStatus) => number | null) => stanzaSamples(report, pick);
  const perArchiver = (
    pick: (archiving: NonNullable<StatusReport['stanzas'][number]['archiving']>) => number | null,
  ): Sample[] =>
    report.stanzas.flatMap((stanza) => {
      const value = stanza.archiving ? pick(stanza.archiving) : null;
      return value === null ? [] : [{ labels: { stanza: stanza.stanza, host: stanza.archiving!.host }, value }];
    });
  return [
    {
      name: 'bsync_backup_age_seconds',
      help: 'Age of the newest valid backup of each type (since it finished).',
      type: 'gauge',
      samples: perBackup((backup) => backup.ageSeconds),
    },
    {
      name: 'bsync_backup_size_bytes',
      help: 'Database size of the newest valid backup of each type.',
      type: 'gauge',
      samples: perBackup((backup) => backup.sizeBytes),
    },
    {
      name: 'bsync_backup_duration_seconds',
      help: 'How long the newest valid backup of each type took.',
      type: 'gauge',
      samples: perBackup((backup) => backup.durationSeconds),
    },
    {
      name: 'bsync_backups',
      help: 'Valid backups in the repository.',
      type: 'gauge',
      samples: perStanza((stanza) => stanza.backupCount),
    },
    {
      name: 'bsync_repo_backup_bytes',
      help: 'What the backups occupy in the repository (WAL not counted).',
      type: 'gauge',
      samples: perStanza((stanza) => stanza.repoSizeBytes),
    },
    {
      name: 'bsync_stanza_status_code',
      help: 'pgbackrest info status code of the stanza (0 ok; -1 could not be read).',
      type: 'gauge',
      samples: perStanza((stanza) => stanza.statusCode ?? -1),
    },
    {
      name: 'bsync_backup_running',
      help: 'Whether a backup of the stanza is running now.',
      type: 'gauge',
      samples: perStanza((stanza) => (stanza.backupRunning ? 1 : 0)),
    },
    ...windowMetrics(report),
    {
      name: 'bsync_archive_archived_total',
      help: 'WAL segments archived by the primary since its statistics were reset (pg_stat_archiver).',
      type: 'counter',
      samples: perArchiver((archiving) => archiving.archivedCount),
    },
    {
      name: 'bsync_archive_failed_total',
      help: 'Failed WAL archive attempts on the primary since its statistics were reset (pg_stat_archiver).',
      type: 'counter',
      samples: perArchiver((archiving) => archiving.failedCount),
    },
    {
      name: 'bsync_archive_last_archived_age_seconds',
      help: 'Seconds since the primary last archived a WAL segment.',
      type: 'gauge',
      samples: perArchiver((archiving) => archiving.lastArchivedAgeSeconds),
    },
    {
      name: 'bsync_archive_failing',
      help: 'Whether the last WAL archive attempt on the primary failed (1) or not (0).',
      type: 'gauge',
      samples: perArchiver((archiving) => (archiving.failing ? 1 : 0)),
    },
    ...jobMetrics(report),
    ...walMetrics(report),
    ...standbyMetrics(report),
  ];
}

/** A sample per item with a value (`pick` gives null for none), labelled by `labels`. */
function labelledSamples<T>(
  items: T[],
  labels: (item: T) => Record<string, string>,
  pick: (item: T) => number | null,
): Sample[] {
  return items.flatMap((item) => {
    const value = pick(item);
    return value === null ? [] : [{ labels: labels(item), value }];
  });
}

/** Each scheduled job's last run (its outcome file), labelled stanza, repo and type. */
function jobMetrics(report: StatusReport): Metric[] {
  const jobs = report.stanzas.flatMap((stanza) => stanza.jobs.map((job) => ({ stanza, job })));
  const perJob = (pick: (job: JobSummary) => number | null): Sample[] =>
    labelledSamples(
      jobs,
      ({ stanza, job }) => ({ stanza: stanza.stanza, repo: stanza.repo.key, type: job.type }),
      ({ job }) => pick(job),
    );
  const seconds = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);
  return [
    {
      name: 'bsync_backup_job_running',
      help: 'Whether the scheduled backup job runs now (or waits for the stanza lock): started, not ended.',
      type: 'gauge',
      samples: perJob((job) => (job.state === 'running' ? 1 : 0)),
    },
    {
      name: 'bsync_backup_job_failed',
      help: 'Whether the last run of the scheduled backup job that ended failed (1) or succeeded (0); a run now does not change it.',
      type: 'gauge',
      samples: perJob((job) => (job.lastEndedFailed === null ? null : job.lastEndedFailed ? 1 : 0)),
    },
    {
      name: 'bsync_backup_job_last_success_timestamp_seconds',
      help: 'When the last successful run of the scheduled backup job ended (unix seconds).',
      type: 'gauge',
      samples: perJob((job) => seconds(job.lastSuccessAt)),
    },
    {
      name: 'bsync_backup_job_last_failure_timestamp_seconds',
      help: 'When the last failed run of the scheduled backup job ended (unix seconds).',
      type: 'gauge',
      samples: perJob((job) => seconds(job.lastFailureAt)),
    },
  ];
}

/** WAL waiting in pg_wal, once per stanza and server. */
function walMetrics(report: StatusReport): Metric[] {
  const servers = stanzaWalServers(report.stanzas).flatMap(({ stanza, servers }) =>
    servers.map((server) => ({ stanza, server })),
  );
  const perServer = (pick: (server: WalBacklogSummary) => number | null): Sample[] =>
    labelledSamples(
      servers,
      ({ stanza, server }) => ({ stanza, host: server.host }),
      ({ server }) => pick(server),
    );
  return [
    {
      name: 'bsync_wal_ready_files',
      help: 'WAL files waiting in pg_wal to be archived (archive_status/*.ready), on the primary and on standbys with archive_mode = always.',
      type: 'gauge',
      samples: perServer((server) => server.readyCount),
    },
    {
      name: 'bsync_wal_oldest_ready_age_seconds',
      help: 'How long the oldest WAL file waiting to be archived has waited (0 when none waits).',
      type: 'gauge',
      samples: perServer((server) => server.oldestReadyAgeSeconds),
    },
    {
      name: 'bsync_wal_bytes',
      help: 'What pg_wal holds (bytes).',
      type: 'gauge',
      samples: perServer((server) => server.walBytes),
    },
  ];
}

/** Each standby site, labelled with the stanza it replays, its repository and its server. */
function standbyMetrics(report: StatusReport): Metric[] {
  const perSite = (pick: (site: StandbySiteStatus) => number | null): Sample[] =>
    labelledSamples(
      report.standbySites,
      (site) => ({ stanza: site.standbyOf.stanza, repo: site.standbyOf.repo, host: site.host }),
      pick,
    );
  const flag = (value: boolean | null) => (value === null ? null : value ? 1 : 0);
  return [
    {
      name: 'bsync_standby_running',
      help: "Whether the standby site's server answers (1) or not (0).",
      type: 'gauge',
      samples: perSite((site) => flag(site.running)),
    },
    {
      name: 'bsync_standby_in_recovery',
      help: "Whether the standby site's server is in recovery (1) or runs as a primary (0); absent when it does not answer.",
      type: 'gauge',
      samples: perSite((site) => flag(site.inRecovery)),
    },
    {
      name: 'bsync_standby_last_replay_timestamp_seconds',
      help: 'When the last transaction the standby site replayed was committed on its source (unix seconds, pg_last_xact_replay_timestamp).',
      type: 'gauge',
      samples: perSite((site) => seconds(site.replayedAt)),
    },
    {
      name: 'bsync_standby_behind_archive',
      help: "Whether the source stanza's newest archived WAL segment is past what the standby site replayed (1) or not (0).",
      type: 'gauge',
      samples: perSite((site) => flag(site.behind)),
    },
    {
      name: 'bsync_standby_replay_lag_seconds',
      help: 'How far the standby site replays behind the archive: 0 once it replayed the newest archived segment, else the age of its last replayed transaction.',
      type: 'gauge',
      samples: perSite((site) => site.replayLagSeconds),
    },
  ];
}
