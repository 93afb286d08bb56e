// The shell that waits for a restored server: until recovery has ended (or paused) or a
// standby is consistent, failing at once with the end of the server's log when it stopped.
import type { HostSpec } from '../config/inventory.js';
import { PG_OS_USER } from '../facts/probe.js';
import { REPLAY_PREFIX } from '../facts/progress.js';
import { shq } from '../formats/shell.js';
import { psqlCommand } from '../psql.js';
import { debianClusterOf, pgCtlLog, type ServerLayout } from '../resources/pg-service.js';
import type { Step } from '../resources/types.js';

/** Where the server's own log is, for the message when it does not come up. */
function serverLogOf(layout: ServerLayout): string {
  const cluster = debianClusterOf(layout.configFile);
  return cluster ? `/var/log/postgresql/postgresql-${cluster[0]}-${cluster[1]}.log` : pgCtlLog(layout);
}

/**
 * A shell line that prints how far replay is, as lib/facts/progress.ts reads it: the WAL
 * position replayed and the newest replayed commit's time (nothing while the server does
 * not yet accept connections).
 */
export function replayProgressLine(psql: string): string {
  const sql = `SELECT '${REPLAY_PREFIX} ' || pg_last_wal_replay_lsn() || ' ' || coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::bigint::text, '-') WHERE pg_is_in_recovery()`;
  return `${psql} -c ${shq(sql)} 2>/dev/null`;
}

/**
 * Shell lines that wait until `query` answers t, failing at once with the log's tail when
 * the postmaster is gone; with `progress`, each second's replay position is printed.
 */
export function waitUntil(psql: string, query: string, layout: ServerLayout, progress = false): string[] {
  const pidFile = shq(`${layout.dataDirectory}/postmaster.pid`);
  return [
    'n=0',
    `until [ "$(${psql} -c ${shq(`${query};`)} 2>/dev/null)" = t ]; do`,
    ...(progress ? [`  ${replayProgressLine(psql)}`] : []),
    `  pid=$(head -n 1 ${pidFile} 2>/dev/null)`,
    `  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then echo ${shq(`PostgreSQL stopped during recovery; the end of ${serverLogOf(layout)}:`)} >&2; tail -n 15 ${shq(serverLogOf(layout))} >&2; exit 1; fi`,
    '  n=$((n + 1)); [ "$n" -lt 86400 ] || exit 1',
    '  sleep 1',
    'done',
  ];
}

/**
 * Waits (as postgres, over the local socket) until the server answers and recovery has
 * ended (or paused); fails at once with the log's tail when the postmaster is gone. After a
 * promotion the server must be on a timeline newer than the archive's, and pgBackRest's
 * recovery settings leave postgresql.auto.conf so the next plan finds nothing to change.
 */
export function recoveryWaitSteps(
  host: HostSpec,
  layout: ServerLayout,
  { promote, archiveTimeline, target }: { promote: boolean; archiveTimeline: number; target: string },
): Step[] {
  const psql = `${psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1')}`;
  const done = promote
    ? `SELECT NOT pg_is_in_recovery()`
    : `SELECT pg_is_in_recovery() AND pg_get_wal_replay_pause_state() = 'paused'`;
  const tidy = [
    'restore_command',
    'recovery_target',
    'recovery_target_time',
    'recovery_target_lsn',
    'recovery_target_xid',
    'recovery_target_name',
    'recovery_target_action',
    'recovery_target_timeline',
    'recovery_target_inclusive',
  ]
    // One statement per -c: ALTER SYSTEM cannot run inside the transaction a multi-statement string makes.
    .map((name) => `-c ${shq(`ALTER SYSTEM RESET ${name}`)}`)
    .join(' ');
  const replay: Step = {
    user: PG_OS_USER,
    command: waitUntil(psql, done, layout, true).join('\n'),
    phase: 'WAL replay',
    progress: { reader: 'replay', goal: `target ${target}` },
  };
  if (!promote) return [replay];
  const promoted = [
    `tli=$(${psql} -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')`,
    `[ $((0x$tli)) -gt ${archiveTimeline} ] || { echo "the restored server is on timeline $((0x$tli)), not after the archive's ${archiveTimeline}" >&2; exit 1; }`,
    `echo "timeline $((0x$tli))"`,
    `${psql} -q ${tidy} -c 'SELECT pg_reload_conf()' >/dev/null`,
  ];
  return [replay, { user: PG_OS_USER, command: promoted.join('\n'), phase: 'promotion' }];
}
