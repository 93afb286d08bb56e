// `bsync check`: the status report held to the config's [alert] thresholds. Each threshold
// is held, broken, or unknown (what it needs could not be read); exit 2 when one is
// broken, else 1 when one could not be told, else 0: for cron, Nagios/Icinga and CI as is.
// Standby sites have their own two (standby-check.ts).
import type { AlertThresholds } from '../config/inventory.js';
import { durationText } from '../config/durations.js';
import type { CheckResult, Found, ThresholdName } from './check-result.js';
import type { StanzaStatus, StatusReport } from './report.js';
import { standbyResults } from './standby-check.js';
import { jobFailure, stanzaWalServers, type WalBacklogSummary } from './watch.js';

export type { CheckResult, ThresholdName } from './check-result.js';

export interface CheckReport {
  format: 'bsync-check';
  version: 1;
  generatedAt: string;
  configPath: string;
  /** 0 every threshold held, 2 one broken, 1 one could not be told (and none broken). */
  exitCode: 0 | 1 | 2;
  results: CheckResult[];
}

const duration = (key: string, seconds: number) => `${key} = "${durationText(seconds)}"`;

/** pgbackrest info answered for the repository: ok, or no valid backup yet (which counts against a threshold). */
const infoRead = (stanza: StanzaStatus) => stanza.statusCode === 0 || stanza.statusCode === 2;
const unreadable = (stanza: StanzaStatus): Found => ({
  state: 'unknown',
  value: null,
  what: `pgbackrest info could not be read (${stanza.statusMessage.split('\n')[0] || 'no answer'})`,
});

function ageFound(stanza: StanzaStatus, which: 'full' | 'any', max: number): Found {
  if (!infoRead(stanza)) return unreadable(stanza);
  const candidates = which === 'full' ? [stanza.newest.full] : Object.values(stanza.newest);
  const ages = candidates.flatMap((backup) => (backup?.ageSeconds == null ? [] : [backup.ageSeconds]));
  const label = which === 'full' ? 'full backup' : 'backup';
  if (ages.length === 0) return { state: 'broken', value: null, what: `no ${label} at all` };
  const newest = Math.min(...ages);
  return {
    state: newest > max ? 'broken' : 'held',
    value: newest,
    what: `the newest ${label} ended ${durationText(newest)} ago`,
  };
}

/** A repository's thresholds: each one the config sets, on each stanza. */
function repoResults(stanza: StanzaStatus, alert: AlertThresholds): CheckResult[] {
  const { maxFullAgeSeconds, maxBackupAgeSeconds, minFullCount, minWindowSeconds } = alert;
  const checks: Array<[ThresholdName, number | undefined, (limit: number) => string, (limit: number) => Found]> = [
    [
      'max_full_age',
      maxFullAgeSeconds,
      (limit) => duration('max_full_age', limit),
      (limit) => ageFound(stanza, 'full', limit),
    ],
    [
      'max_backup_age',
      maxBackupAgeSeconds,
      (limit) => duration('max_backup_age', limit),
      (limit) => ageFound(stanza, 'any', limit),
    ],
    ['min_full_count', minFullCount, (limit) => `min_full_count = ${limit}`, (limit) => fullCountFound(stanza, limit)],
    ['min_window', minWindowSeconds, (limit) => duration('min_window', limit), (limit) => windowFound(stanza, limit)],
  ];
  return checks.flatMap(([threshold, limit, limitText, find]) => {
    if (limit === undefined) return [];
    const found = find(limit);
    return [
      {
        threshold,
        stanza: stanza.stanza,
        repo: stanza.repo.key,
        host: null,
        state: found.state,
        limit,
        value: found.value,
        message: `${stanza.stanza} ${stanza.repo.key}: ${found.what} (${limitText(limit)})`,
      },
    ];
  });
}

function fullCountFound(stanza: StanzaStatus, min: number): Found {
  if (!infoRead(stanza)) return unreadable(stanza);
  const count = stanza.fullCount;
  return {
    state: count < min ? 'broken' : 'held',
    value: count,
    what: `${count} valid full backup${count === 1 ? '' : 's'}`,
  };
}

function windowFound(stanza: StanzaStatus, min: number): Found {
  if (!infoRead(stanza)) return unreadable(stanza);
  const window = stanza.recoveryWindowSeconds;
  if (window === null) return { state: 'broken', value: null, what: 'no backup: nothing can be restored' };
  return {
    state: window < min ? 'broken' : 'held',
    value: window,
    what: `the recovery window is ${durationText(window)}`,
  };
}

/** The scheduled jobs' last runs (failed_backup): one result per job. */
function jobResults(stanza: StanzaStatus): CheckResult[] {
  return stanza.jobs.map((job) => {
    const where = `${stanza.stanza} ${stanza.repo.key}: the scheduled ${job.type} backup`;
    const found: Found = job.lastEndedFailed
      ? { state: 'broken', value: job.lastFailureExitCode, what: `${where} ${jobFailure(job)}` }
      : job.state === 'unreadable'
        ? { state: 'unknown', value: null, what: `${where}: its outcome cannot be read: ${job.problem}` }
        : {
            state: 'held',
            value: job.exitCode,
            what: `${where}: ${job.state === 'none' ? 'no run recorded yet' : job.state}`,
          };
    return {
      threshold: 'failed_backup' as const,
      stanza: stanza.stanza,
      repo: stanza.repo.key,
      host: job.host,
      state: found.state,
      limit: true,
      value: found.value,
      message: found.what,
    };
  });
}

/** The WAL thresholds of a stanza's servers. */
function walResults(stanza: { stanza: string; servers: WalBacklogSummary[] }, alert: AlertThresholds): CheckResult[] {
  const { maxArchiveLagSeconds: maxLag, maxWalBacklog: maxCount } = alert;
  const checks: Array<{ threshold: ThresholdName; limit: number; text: string }> = [
    ...(maxLag !== undefined
      ? [{ threshold: 'max_archive_lag' as const, limit: maxLag, text: duration('max_archive_lag', maxLag) }]
      : []),
    ...(maxCount !== undefined
      ? [{ threshold: 'max_wal_backlog' as const, limit: maxCount, text: `max_wal_backlog = ${maxCount}` }]
      : []),
  ];
  return checks.flatMap(({ threshold, limit, text }): CheckResult[] => {
    const base = { threshold, stanza: stanza.stanza, repo: null, limit };
    if (stanza.servers.length === 0)
      return [
        {
          ...base,
          host: null,
          state: 'unknown' as const,
          value: null,
          message: `${stanza.stanza}: no running primary reported its pg_wal (${text})`,
        },
      ];
    return stanza.servers.map((server) => {
      const lag = threshold === 'max_archive_lag';
      const value = lag ? (server.oldestReadyAgeSeconds ?? 0) : server.readyCount;
      const what = lag
        ? server.readyCount === 0
          ? 'nothing waits to be archived'
          : `the oldest WAL file waiting to be archived (${server.oldestReady}) has waited ${durationText(value)}`
        : `${server.readyCount} WAL file${server.readyCount === 1 ? '' : 's'} wait to be archived`;
      return {
        ...base,
        host: server.host,
        state: value > limit ? ('broken' as const) : ('held' as const),
        value,
        message: `${stanza.stanza} on ${server.host} (${server.role}): ${what} (${text})`,
      };
    });
  });
}

export function checkReport(report: StatusReport, alert: AlertThresholds): CheckReport {
  const results = [
    ...report.stanzas.flatMap((stanza) => [
      ...repoResults(stanza, alert),
      ...(alert.failedBackup ? jobResults(stanza) : []),
    ]),
    ...stanzaWalServers(report.stanzas).flatMap((stanza) => walResults(stanza, alert)),
    ...report.standbySites.flatMap((site) => standbyResults(site, alert)),
  ];
  const exitCode = results.some((result) => result.state === 'broken')
    ? 2
    : results.some((result) => result.state === 'unknown')
      ? 1
      : 0;
  return {
    format: 'bsync-check',
    version: 1,
    generatedAt: report.generatedAt,
    configPath: report.configPath,
    exitCode,
    results,
  };
}

/** For people and for Nagios: a line per broken threshold, then per one that could not be told; else one line saying all held. */
export function renderCheckText(check: CheckReport): string {
  const broken = check.results
    .filter((result) => result.state === 'broken')
    .map((result) => `BROKEN: ${result.message}`);
  const unknown = check.results
    .filter((result) => result.state === 'unknown')
    .map((result) => `UNKNOWN: ${result.message}`);
  const held = check.results.length - broken.length - unknown.length;
  const lines = [...broken, ...unknown];
  if (lines.length === 0)
    lines.push(
      check.results.length === 0
        ? 'OK: no threshold to check ([alert] sets none, and failed_backup found no scheduled job)'
        : `OK: all ${held} threshold${held === 1 ? '' : 's'} held`,
    );
  return `${lines.join('\n')}\n`;
}
