// Runs a verify on its host: optionally a WAL marker on the primary first (written,
// switched and archived), then the restore script (lib/verify/script.ts) in one exec.
// What the host printed is read only from the script's framed steps.
import { psqlCommand } from '../psql.js';
import { sumPhases } from '../resources/phases.js';
import { PG_OS_USER } from '../facts/probe.js';
import { firstLine } from '../facts/framed.js';
import { asUser } from '../formats/shell.js';
import type { HostConnection } from '../transport/types.js';
import { parseVerifyOutput, verifyScript, type VerifyJob, type VerifyStep } from '../verify/script.js';
import { verdict, type RecoveryMarker, type VerifyVerdict } from '../verify/verdict.js';

interface VerifyTarget {
  job: VerifyJob;
  /** The host that restores, and its connection. */
  host: string;
  connection: HostConnection;
  /** With a recovery point: the zone's primary, where the marker is written. */
  primary?: { host: string; connection: HostConnection; port: number };
}

const ARCHIVE_WAIT_SECONDS = 120;

/** Writes a WAL record on the primary, switches WAL and waits until its segment is archived. */
async function writeMarker(primary: NonNullable<VerifyTarget['primary']>): Promise<RecoveryMarker> {
  const psql = psqlCommand(primary.port, '-At -v ON_ERROR_STOP=1');
  const sql = [
    "SELECT m || '|' || pg_walfile_name(m) FROM (SELECT pg_logical_emit_message(false, 'bsync-verify', now()::text) AS m) AS marker;",
    'SELECT pg_switch_wal() IS NOT NULL;',
  ].join('\n');
  const written = await primary.connection.exec(asUser(PG_OS_USER, `${psql} <<'BSYNC_SQL'\n${sql}\nBSYNC_SQL`));
  const match = /^([0-9A-F]+\/[0-9A-F]+)\|([0-9A-F]{24})$/.exec(written.stdout.split('\n')[0]?.trim() ?? '');
  if (written.code !== 0 || !match) {
    return {
      host: primary.host,
      lsn: '',
      wal: '',
      archived: false,
      problem: `could not write the WAL marker: ${firstLine(written.stderr || written.stdout)}`,
    };
  }
  const [, lsn, wal] = match;
  const check = `SELECT coalesce(last_archived_wal >= '${wal}', false) FROM pg_stat_archiver`;
  const wait = `n=0; while [ $n -lt ${ARCHIVE_WAIT_SECONDS} ]; do r=$(${psql} -c "${check}") || exit 2; [ "$r" = t ] && exit 0; n=$((n + 1)); sleep 1; done; exit 3`;
  const archived = await primary.connection.exec(asUser(PG_OS_USER, wait));
  if (archived.code === 0) return { host: primary.host, lsn, wal, archived: true };
  return {
    host: primary.host,
    lsn,
    wal,
    archived: false,
    problem:
      archived.code === 3
        ? `WAL segment ${wal} with the marker was not archived within ${ARCHIVE_WAIT_SECONDS} s`
        : `could not read pg_stat_archiver: ${firstLine(archived.stderr)}`,
  };
}

interface VerifyRun {
  steps: VerifyStep[];
  marker?: RecoveryMarker;
  verdict: VerifyVerdict;
  elapsedSeconds: number;
}

export async function runVerify(target: VerifyTarget): Promise<VerifyRun> {
  const started = Date.now();
  const marker = target.primary ? await writeMarker(target.primary) : undefined;
  const markerSeconds = (Date.now() - started) / 1000;
  let steps: VerifyStep[] = [];
  let transportProblem: string | undefined;
  if (marker?.problem === undefined) {
    try {
      const result = await target.connection.exec('t=$(mktemp) && cat >"$t" && exec bash "$t" </dev/null', {
        stdin: verifyScript(target.job),
      });
      steps = parseVerifyOutput(result.stdout);
      if (steps.length === 0)
        transportProblem = `the verify script reported nothing (exit ${result.code}): ${firstLine(result.stderr.replace(/^\.+/, ''))}`;
    } catch (error) {
      transportProblem = (error as Error).message;
    }
  }
  const decided = verdict(target.job, steps, marker, transportProblem);
  return {
    steps,
    marker,
    verdict: marker
      ? {
          ...decided,
          phases: sumPhases([{ phase: 'archive the WAL written so far', seconds: markerSeconds }, ...decided.phases]),
        }
      : decided,
    elapsedSeconds: (Date.now() - started) / 1000,
  };
}
