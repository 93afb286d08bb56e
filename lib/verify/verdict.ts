// What a verify run proved, decided from the script's framed steps alone: each check
// with its outcome and a line saying why, the first failed step named with the host's
// own words (pgBackRest's ERROR line first), and whether the scratch folder is gone.
import { sumPhases, type Phase, type PhaseTiming } from '../resources/phases.js';
import type { VerifyJob, VerifyStep, VerifyStepName } from './script.js';

export interface RecoveryMarker {
  host: string;
  /** LSN of the marker record, and the WAL segment that holds it. */
  lsn: string;
  wal: string;
  archived: boolean;
  problem?: string;
}

interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyVerdict {
  ok: boolean;
  failedStep?: VerifyStepName | 'backup' | 'marker' | 'transport';
  message?: string;
  checks: VerifyCheck[];
  restoreSeconds: number | null;
  startSeconds: number | null;
  /** Seconds per phase on the host's clock, from the script's step times. */
  phases: PhaseTiming[];
  databases: string[];
  /** Where the restored server's WAL ended. */
  restoredTo: string | null;
  /** Bytes in the scratch folder with the server up: the run's peak disk use. */
  scratchBytes: number | null;
  leftoversRemoved: boolean;
  /** The scratch folder was removed (null: the script never got that far). */
  cleanedUp: boolean | null;
}

interface ServerReport {
  inRecovery: boolean;
  versionNum: number;
  clusterName: string;
  archiveMode: string;
  listen: string;
  lsn: string;
  databases: string[] | null;
}

function lsnValue(lsn: string): bigint | null {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  return match ? (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`) : null;
}

/** Whether `lsn` is at or past `target`. */
export function lsnAtLeast(lsn: string, target: string): boolean {
  const [have, want] = [lsnValue(lsn), lsnValue(target)];
  return have !== null && want !== null && have >= want;
}

/** The line of a failed command worth showing: pgBackRest's ERROR line, else the first one. */
function hostWords(step: VerifyStep): string {
  const lines = `${step.stderr}\n${step.stdout}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\.+$/.test(line));
  const line = lines.find((candidate) => /ERROR:|FATAL:|error:/.test(candidate)) ?? lines[0] ?? `exit ${step.code}`;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The phase each of the script's steps counts to. */
const STEP_PHASES: Record<VerifyStepName, Phase | undefined> = {
  folder: 'preparation',
  lock: 'preparation',
  leftovers: 'preparation',
  binaries: 'preparation',
  space: 'preparation',
  scratch: 'preparation',
  restore: 'pgBackRest restore',
  port: 'start',
  configure: 'start',
  // Its start waits until recovery to the backup's end (or the marker) is over.
  start: 'start',
  checks: 'checks',
  query: 'checks',
  amcheck: 'checks',
  measure: 'checks',
  cleanup: 'cleanup',
  end: undefined,
};

/** Each step lasts until the next one starts; the phases sum them. */
export function verifyPhases(steps: VerifyStep[]): PhaseTiming[] {
  return sumPhases(
    steps.slice(0, -1).flatMap((step, index) => {
      const phase = STEP_PHASES[step.name];
      return phase ? [{ phase, seconds: Math.max(0, steps[index + 1].startedMs - step.startedMs) / 1000 }] : [];
    }),
  );
}

const seconds = (from?: VerifyStep, to?: VerifyStep) =>
  from && to ? Math.max(0, (to.startedMs - from.startedMs) / 1000) : null;

export function verdict(
  job: VerifyJob,
  steps: VerifyStep[],
  marker: RecoveryMarker | undefined,
  transportProblem?: string,
): VerifyVerdict {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const cleanup = byName.get('cleanup');
  const result: VerifyVerdict = {
    ok: false,
    checks: [],
    databases: [],
    restoredTo: null,
    scratchBytes: /^\d+$/.test(byName.get('measure')?.stdout.trim() ?? '')
      ? Number(byName.get('measure')!.stdout.trim())
      : null,
    restoreSeconds: seconds(byName.get('restore'), byName.get('port')),
    startSeconds: seconds(byName.get('start'), byName.get('checks')),
    phases: verifyPhases(steps),
    leftoversRemoved: byName.get('leftovers')?.stdout.trim() === 'found',
    cleanedUp: cleanup ? cleanup.code === 0 : null,
  };
  if (marker?.problem) return { ...result, failedStep: 'marker', message: `${marker.host}: ${marker.problem}` };
  if (transportProblem) return { ...result, failedStep: 'transport', message: transportProblem };
  const failed = steps.find((step) => step.code !== 0 && step.name !== 'cleanup');
  if (failed) return { ...result, failedStep: failed.name, message: hostWords(failed) };

  const checks = byName.get('checks');
  let server: ServerReport | null = null;
  try {
    server = checks ? (JSON.parse(checks.stdout.trim()) as ServerReport) : null;
  } catch {
    server = null;
  }
  if (!server || typeof server !== 'object') {
    return {
      ...result,
      failedStep: 'checks',
      message: checks
        ? `the restored server's report could not be read: ${checks.stdout.split('\n')[0] ?? ''}`
        : 'the script ended before the checks',
    };
  }
  const databases = server.databases ?? [];
  const check = (name: string, ok: boolean, detail: string) => result.checks.push({ name, ok, detail });
  check(
    'recovery finished',
    server.inRecovery === false,
    server.inRecovery ? 'the server is still in recovery' : `promoted at ${server.lsn}`,
  );
  check(
    'version',
    String(Math.floor(server.versionNum / 10000)) === job.pgVersion,
    `PostgreSQL ${Math.floor(server.versionNum / 10000)}.${server.versionNum % 100}`,
  );
  check(
    'isolated',
    server.clusterName === `bsync-verify-${job.stanza}`
      && server.archiveMode === 'off'
      && server.listen === 'localhost',
    `cluster_name ${server.clusterName}, archive_mode ${server.archiveMode}, listen_addresses ${server.listen}`,
  );
  check('databases', databases.includes('postgres'), databases.length > 0 ? databases.join(', ') : 'none listed');
  if (job.query) {
    const query = byName.get('query');
    check('query', query?.code === 0, query ? query.stdout.split('\n')[0] || '(no rows)' : 'not run');
  }
  if (job.amcheck)
    check(
      'amcheck',
      byName.get('amcheck')?.code === 0,
      byName.get('amcheck') ? 'system catalogs of every database' : 'not run',
    );
  if (marker) {
    const reached = lsnAtLeast(server.lsn, marker.lsn);
    check(
      'recovery point',
      reached,
      reached
        ? `replayed past the marker ${marker.lsn} (in ${marker.wal}) written on ${marker.host}: to ${server.lsn}`
        : `restored only to ${server.lsn}, before the marker ${marker.lsn} (in ${marker.wal}) written on ${marker.host}: WAL between the backup and the marker is missing from the archive`,
    );
  }
  result.databases = databases;
  result.restoredTo = server.lsn;
  const failedCheck = result.checks.find((entry) => !entry.ok);
  if (failedCheck) return { ...result, failedStep: 'checks', message: `${failedCheck.name}: ${failedCheck.detail}` };
  if (result.cleanedUp === false)
    return {
      ...result,
      failedStep: 'cleanup',
      message: `the scratch folder ${byName.get('scratch')?.stdout.trim() || `${job.path}/${job.stanza}.*`} could not be removed`,
    };
  return { ...result, ok: true };
}
