// What PostgreSQL runs with, asked from the server itself over the local socket: the
// settings in effect (pg_settings), what the files say (pg_file_settings), the backup
// role, and the config and hba files as the server reads them. One psql call. Then,
// from the postmaster's pid in postmaster.pid, its executable and cgroup in /proc: the
// binary folder and systemd unit of the server that runs, whatever the OS packaging.
import { asUserInScript, shq } from '../formats/shell.js';
import { psqlCommand } from '../psql.js';
import { FRAMED_STDOUT_NAME, framed, parseJsonOutput, requireFramed, type FramedOutput } from './framed.js';
import type { Probe, ProbeContext } from './probe.js';
import { PG_OS_USER } from './probe.js';
import type { ArchiverFacts, PostgresFacts } from './types.js';
import { HostError } from '../errors.js';

/** The settings bsync manages in postgresql.conf (primary_conninfo: a streaming standby site's), as an SQL list. */
const ARCHIVE_SETTINGS = ['archive_mode', 'archive_command', 'restore_command', 'primary_conninfo']
  .map((name) => `'${name}'`)
  .join(', ');

// The first row is the postmaster's pid (postmaster.pid's first line), for the layout probe.
const FACTS_SQL = `
SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1);
SELECT json_build_object(
  'versionNum', current_setting('server_version_num')::int,
  'inRecovery', pg_is_in_recovery(),
  'systemId', (SELECT system_identifier::text FROM pg_control_system()),
  'currentLsn', CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
  'configFile', current_setting('config_file'),
  'hbaFile', current_setting('hba_file'),
  'dataDirectory', current_setting('data_directory'),
  'configContent', pg_read_file(current_setting('config_file')),
  'hbaContent', pg_read_file(current_setting('hba_file')),
  'settings', (SELECT json_object_agg(name, json_build_object(
      'setting', setting, 'source', source, 'sourcefile', sourcefile, 'sourceline', sourceline,
      'pendingRestart', pending_restart, 'context', context))
    FROM pg_settings WHERE name IN (${ARCHIVE_SETTINGS})),
  'fileSettings', (SELECT coalesce(json_agg(json_build_object(
      'name', name, 'setting', setting, 'sourcefile', sourcefile, 'sourceline', sourceline,
      'applied', applied, 'error', error) ORDER BY seqno), '[]'::json)
    FROM pg_file_settings WHERE name IN (${ARCHIVE_SETTINGS})),
  'roles', (SELECT coalesce(json_object_agg(a.rolname, json_build_object(
      'login', a.rolcanlogin, 'replication', a.rolreplication, 'password', a.rolpassword,
      'memberOf', ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
                        WHERE m.member = a.oid ORDER BY 1))), '{}'::json)
    FROM pg_authid a WHERE a.rolname IN (:'backup_role', :'replication_role')),
  'archiver', (SELECT json_build_object(
      'archivedCount', archived_count, 'lastArchivedWal', last_archived_wal,
      'lastArchivedTime', extract(epoch FROM last_archived_time)::float8,
      'failedCount', failed_count, 'lastFailedWal', last_failed_wal,
      'lastFailedTime', extract(epoch FROM last_failed_time)::float8)
    FROM pg_stat_archiver),
  'walBacklog', (SELECT json_build_object(
      'readyCount', count(*),
      'oldestReady', min(left(name, -6) COLLATE "C"),
      'oldestReadyTime', extract(epoch FROM min(modification))::float8,
      'walBytes', (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()))
    FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'),
  'replay', CASE WHEN pg_is_in_recovery() THEN json_build_object(
      'lsn', pg_last_wal_replay_lsn()::text,
      'at', extract(epoch FROM pg_last_xact_replay_timestamp())::float8,
      'segmentBytes', pg_size_bytes(current_setting('wal_segment_size'))) END
);`;

const CONNECT_TRIES = 8;

/**
 * Whether WAL archiving fails now: the last attempt failed after the last success, so
 * PostgreSQL keeps retrying that segment. Times to the microsecond tell a failure and a
 * later success in the same second apart.
 */
export function archivingFails(archiver: ArchiverFacts | null | undefined): boolean {
  return (
    !!archiver
    && archiver.lastFailedTime !== null
    && (archiver.lastArchivedTime === null || archiver.lastFailedTime > archiver.lastArchivedTime)
  );
}

function backupRole(ctx: ProbeContext): string {
  return ctx.inventory.backupUser.name;
}

/** The streaming role ([replication_user]); the backup role's name again where there is none. */
function replicationRole(ctx: ProbeContext): string {
  return ctx.inventory.replicationUser?.name ?? backupRole(ctx);
}

export const postgresProbe: Probe = {
  name: 'postgres',
  applies: (ctx) => ctx.needs.postgres,
  command: (ctx) => {
    const psql = `${psqlCommand(ctx.host.pgPort, '-At -v ON_ERROR_STOP=1')} -v backup_role=${shq(backupRole(ctx))} -v replication_role=${shq(replicationRole(ctx))}`;
    // A quoted heredoc: the SQL reaches psql untouched by the shell. psql exits 2 when it
    // cannot connect: a server in the middle of a restart (an interrupted apply's, say) gets
    // a few seconds before it counts as down.
    const query = asUserInScript(PG_OS_USER, `${psql} <<'BSYNC_SQL'\n${FACTS_SQL}\nBSYNC_SQL`);
    return [
      framed(
        `n=0; while :; do ${query}\nc=$?; n=$((n + 1)); { [ $c -eq 2 ] && [ $n -lt ${CONNECT_TRIES} ]; } || exit $c; sleep 1; done`,
      ),
      framed(LAYOUT_COMMAND),
    ].join('\n');
  },
  parse(output, ctx) {
    const [psqlLine, layoutLine] = output.split('\n');
    const result = requireFramed(psqlLine, ctx, 'postgres', 'psql');
    // psql exits 2 when it cannot connect: the server is down or refuses, which is a fact, not a fault.
    if (result.code !== 0) {
      // Each connection attempt printed the same lines: say them once.
      const said = [
        ...new Set(
          result.stderr
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        ),
      ].join('\n');
      return { postgres: notRunning(said || result.stdout.trim() || `psql exited ${result.code}`) };
    }
    const rows = result.stdout.trim();
    const parsed = parseJsonOutput<Omit<PostgresFacts, 'running'>>(
      rows.slice(rows.indexOf('\n') + 1),
      ctx,
      'postgres',
      'psql (one JSON object)',
    );
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.versionNum !== 'number') {
      throw new HostError(
        ctx.host.name,
        'probe postgres: expected a JSON object with versionNum from psql, received another JSON value',
      );
    }
    // A standby has no current WAL position of its own, a primary no replay: JSON's null becomes no field.
    if (parsed.currentLsn === null) delete parsed.currentLsn;
    if (parsed.replay === null) delete parsed.replay;
    return {
      postgres: {
        running: true,
        ...parsed,
        settings: parsed.settings ?? {},
        fileSettings: parsed.fileSettings ?? [],
        roles: parsed.roles ?? {},
        archiver: parsed.archiver ?? null,
        ...(parsed.walBacklog ? { walBacklog: parsed.walBacklog } : {}),
        ...(parsed.replay ? { replay: parsed.replay } : {}),
        ...parseLayout(requireFramed(layoutLine, ctx, 'postgres', "the postmaster's /proc entry")),
      },
    };
  },
};

// Run as root after psql: the pid is the first row psql printed (digits only, or nothing is read).
// The shell's own expansion and read, not head and cat: each process is a millisecond of host CPU.
const LAYOUT_COMMAND = [
  "nl='\n'",
  `pid=\${${FRAMED_STDOUT_NAME}%%"$nl"*}`,
  `case "$pid" in ''|*[!0-9]*) echo 'the server reported no postmaster pid' >&2; exit 1 ;; esac`,
  'readlink "/proc/$pid/exe" || exit 1',
  `while IFS= read -r line; do printf '%s\\n' "$line"; done 2>/dev/null <"/proc/$pid/cgroup"; true`,
].join('\n');

/** The binary folder from the executable's path (` (deleted)` after a package upgrade), the unit from the cgroup. */
export function parseLayout(result: FramedOutput): Pick<PostgresFacts, 'binDir' | 'serviceUnit' | 'layoutProblem'> {
  const [exeLine = '', ...cgroup] = result.stdout.split('\n');
  // The folder goes into commands and cron lines: plain path characters only.
  const exe = /^(\/[A-Za-z0-9_.+/-]*)\/postgres(?: \(deleted\))?$/.exec(exeLine.trim());
  if (result.code !== 0 || !exe) {
    return {
      layoutProblem:
        result.stderr.trim()
        || `the postmaster's executable is not a postgres binary: ${JSON.stringify(exeLine.trim())}`,
    };
  }
  // cgroup v2 `0::/system.slice/postgresql-15.service`, v1 `1:name=systemd:/system.slice/…`.
  const unit = cgroup.map((line) => /\/(postgresql[A-Za-z0-9@._-]*\.service)(?:\/|$)/.exec(line)?.[1]).find(Boolean);
  return { binDir: exe[1], ...(unit ? { serviceUnit: unit } : {}) };
}

/** The major version of a running server (150018 -> 15). */
export function serverMajor(pg: Pick<PostgresFacts, 'versionNum'>): number {
  return Math.floor(pg.versionNum / 10000);
}

function notRunning(error: string): PostgresFacts {
  return {
    running: false,
    error,
    versionNum: 0,
    inRecovery: false,
    settings: {},
    fileSettings: [],
    roles: {},
    configFile: '',
    hbaFile: '',
    dataDirectory: '',
    configContent: '',
    hbaContent: '',
  };
}
