// What status adds for watching recoverability (issue 31): each scheduled job's last run
// from its outcome file, the WAL waiting in pg_wal to be archived, and the recovery window
// the repository gives. Pure functions of the facts, like the rest of the report.
import type { HostSpec, Inventory, Repo } from '../config/inventory.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import type { NeedsPart } from '../facts/needs.js';
import type { BackupOutcome, HostFacts } from '../facts/types.js';
import { age, iso } from './times.js';

export interface JobSummary {
  type: 'full' | 'diff' | 'incr';
  /** Where its outcome was read; null when no host has one. */
  host: string | null;
  /** none: no run recorded yet; unreadable: the file is not what the job writes (`problem` says why). */
  state: 'none' | 'running' | 'succeeded' | 'failed' | 'unreadable';
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  /** The failed run's last error line (pgBackRest's, or bsync's word on the lock). */
  error: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailureExitCode: number | null;
  /** Seconds since the last success ended. */
  lastSuccessAgeSeconds: number | null;
  /** The last run that ended failed (true while the next one runs, too, until one succeeds); null before any ended. */
  lastEndedFailed: boolean | null;
  problem?: string;
}

export interface WalBacklogSummary {
  host: string;
  role: 'primary' | 'standby';
  /** Segments (and history or backup files) waiting to be archived. */
  readyCount: number;
  oldestReady: string | null;
  /** How long the oldest of them has waited: the archive's lag behind pg_wal. */
  oldestReadyAgeSeconds: number | null;
  walBytes: number;
}

/** The hosts where the zone's scheduled jobs run: its backup host, else each PostgreSQL host (the primary's run, the standbys' skip). */
const jobHosts = (zone: Zone): HostSpec[] => (zone.backupHost ? [zone.backupHost] : zone.postgresHosts);

/** What status and check read beyond the plan's facts: the outcome files, where the jobs run. */
export function watchNeeds(inventory: Inventory, host: HostSpec): NeedsPart[] {
  const runsJobs =
    host.role === 'backup' || !inventory.hosts.some((other) => other.zone === host.zone && other.role === 'backup');
  return runsJobs ? [{ outcomes: true }] : [];
}

/** Whether the last run that ended failed: the later of the last success and the last failure. */
function lastEndedFailed(outcome: BackupOutcome | undefined): boolean | null {
  const failure = outcome?.lastFailure?.endedAt;
  const success = outcome?.lastSuccess?.endedAt;
  if (failure === undefined) return success === undefined ? null : false;
  return success === undefined || failure > success;
}

function jobSummary(
  type: JobSummary['type'],
  found: { host: string; outcome: BackupOutcome } | undefined,
  now: number,
): JobSummary {
  const outcome = found?.outcome;
  const state: JobSummary['state'] = !outcome
    ? 'none'
    : outcome.problem
      ? 'unreadable'
      : outcome.startedAt !== null && outcome.endedAt === null
        ? 'running'
        : outcome.exitCode === 0
          ? 'succeeded'
          : outcome.exitCode === null
            ? 'none'
            : 'failed';
  return {
    type,
    host: found?.host ?? null,
    state,
    startedAt: iso(outcome?.startedAt),
    endedAt: iso(outcome?.endedAt),
    exitCode: outcome?.exitCode ?? null,
    error: state === 'failed' ? (outcome?.error ?? null) : null,
    lastSuccessAt: iso(outcome?.lastSuccess?.endedAt),
    lastFailureAt: iso(outcome?.lastFailure?.endedAt),
    lastFailureExitCode: outcome?.lastFailure?.exitCode ?? null,
    lastSuccessAgeSeconds: age(outcome?.lastSuccess?.endedAt, now),
    lastEndedFailed: lastEndedFailed(outcome),
    ...(outcome?.problem ? { problem: outcome.problem } : {}),
  };
}

/** Each scheduled job of the repository, from the newest outcome any of the zone's job hosts holds. */
export function jobSummaries(zone: Zone, repo: Repo, facts: FactsByHost, now: number): JobSummary[] {
  const types = (['full', 'diff', 'incr'] as const).filter((type) => repo.schedule[type] !== undefined);
  const outcomes = jobHosts(zone).flatMap((host) =>
    (facts.get(host.name)?.backupOutcomes ?? []).map((outcome) => ({ host: host.name, outcome })),
  );
  return types.map((type) => {
    const newest = outcomes
      .filter(({ outcome }) => outcome.stanza === zone.stanza && outcome.repo === repo.key && outcome.type === type)
      .sort((a, b) => (b.outcome.startedAt ?? -1) - (a.outcome.startedAt ?? -1))[0];
    return jobSummary(type, newest, now);
  });
}

/** A server whose pg_wal feeds the archive: the primary, and a standby with archive_mode = always. */
function archivesWal(
  facts: HostFacts | undefined,
): facts is HostFacts & { postgres: NonNullable<HostFacts['postgres']> } {
  const pg = facts?.postgres;
  return !!pg?.running && (!pg.inRecovery || pg.settings.archive_mode?.setting === 'always');
}

export function walBacklogs(zone: Zone, facts: FactsByHost, now: number): WalBacklogSummary[] {
  return zone.postgresHosts.flatMap((host) => {
    const hostFacts = facts.get(host.name);
    const backlog = archivesWal(hostFacts) ? hostFacts.postgres.walBacklog : undefined;
    if (!hostFacts?.postgres || !backlog) return [];
    return [
      {
        host: host.name,
        role: hostFacts.postgres.inRecovery ? 'standby' : 'primary',
        readyCount: backlog.readyCount,
        oldestReady: backlog.oldestReady,
        oldestReadyAgeSeconds: backlog.readyCount > 0 ? age(backlog.oldestReadyTime, now) : 0,
        walBytes: backlog.walBytes,
      },
    ];
  });
}

/** `failed at T (exit N): error`, and whether it runs again now: of a job whose last ended run failed. */
export function jobFailure(job: JobSummary): string {
  const lock = job.lastFailureExitCode === 20 ? ': it waited for the stanza lock in vain' : '';
  const error = job.state === 'failed' && job.error ? `: ${job.error}` : '';
  const again = job.state === 'running' ? `; running again since ${job.startedAt}` : '';
  return `failed at ${job.lastFailureAt} (exit ${job.lastFailureExitCode}${lock})${error}${again}`;
}

/** What needs attention in the jobs: a failed last run, an outcome file bsync cannot read. */
export function jobProblems(repoKey: string, jobs: JobSummary[]): string[] {
  return jobs.flatMap((job) => {
    if (job.lastEndedFailed) return [`the scheduled ${job.type} backup into ${repoKey} ${jobFailure(job)}`];
    if (job.state === 'unreadable')
      return [
        `the outcome of the scheduled ${job.type} backup into ${repoKey} on ${job.host} cannot be read: ${job.problem}`,
      ];
    return [];
  });
}

/** Each stanza once, with its WAL servers: every repository's entry of a stanza holds the same ones. */
export function stanzaWalServers(
  stanzas: Array<{ stanza: string; walBacklog: WalBacklogSummary[] }>,
): Array<{ stanza: string; servers: WalBacklogSummary[] }> {
  const seen = new Set<string>();
  return stanzas.flatMap((entry) => {
    if (seen.has(entry.stanza)) return [];
    seen.add(entry.stanza);
    return [{ stanza: entry.stanza, servers: entry.walBacklog }];
  });
}
