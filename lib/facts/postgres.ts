// What PostgreSQL runs with, asked from the server itself over the local socket: the
// settings in effect (pg_settings), what the files say (pg_file_settings), the backup
// role, and the config and hba files as the server reads them. One psql call.
import { asUser, shq } from '../transport/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { fromBase64, PG_OS_USER } from './probe.js';
import type { PostgresFacts } from './types.js';

/** The settings bsync manages in postgresql.conf. */
export const ARCHIVE_SETTINGS = ['archive_mode', 'archive_command', 'restore_command'] as const;

const FACTS_SQL = `
SELECT json_build_object(
  'versionNum', current_setting('server_version_num')::int,
  'inRecovery', pg_is_in_recovery(),
  'configFile', current_setting('config_file'),
  'hbaFile', current_setting('hba_file'),
  'dataDirectory', current_setting('data_directory'),
  'configContent', pg_read_file(current_setting('config_file')),
  'hbaContent', pg_read_file(current_setting('hba_file')),
  'settings', (SELECT json_object_agg(name, json_build_object(
      'setting', setting, 'source', source, 'sourcefile', sourcefile, 'sourceline', sourceline,
      'pendingRestart', pending_restart, 'context', context))
    FROM pg_settings WHERE name IN ('archive_mode', 'archive_command', 'restore_command')),
  'fileSettings', (SELECT coalesce(json_agg(json_build_object(
      'name', name, 'setting', setting, 'sourcefile', sourcefile, 'sourceline', sourceline,
      'applied', applied, 'error', error) ORDER BY seqno), '[]'::json)
    FROM pg_file_settings WHERE name IN ('archive_mode', 'archive_command', 'restore_command')),
  'roles', (SELECT coalesce(json_object_agg(a.rolname, json_build_object(
      'login', a.rolcanlogin, 'replication', a.rolreplication, 'password', a.rolpassword,
      'memberOf', ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
                        WHERE m.member = a.oid ORDER BY 1))), '{}'::json)
    FROM pg_authid a WHERE a.rolname = :'backup_role')
);`;

function backupRole(ctx: ProbeContext): string {
  return ctx.inventory.backupUser.name;
}

export const postgresProbe: Probe = {
  name: 'postgres',
  applies: (ctx) => ctx.host.role === 'postgres',
  command: (ctx) => {
    const psql = `psql -X -At -v ON_ERROR_STOP=1 -p ${shq(ctx.host.pgPort)} -d postgres -v backup_role=${shq(backupRole(ctx))}`;
    // A quoted heredoc: the SQL reaches psql untouched by the shell.
    const run = asUser(PG_OS_USER, `${psql} <<'BSYNC_SQL'\n${FACTS_SQL}\nBSYNC_SQL`);
    return `if out=$(${run} 2>&1); then printf 'OK|%s\\n' "$(printf '%s' "$out" | base64 -w0)"; else printf 'ERR|%s\\n' "$(printf '%s' "$out" | base64 -w0)"; fi`;
  },
  parse(output) {
    const line = output.trim();
    if (line.startsWith('OK|')) {
      const parsed = JSON.parse(fromBase64(line.slice(3))) as Omit<PostgresFacts, 'running'>;
      return { postgres: { running: true, ...parsed, settings: parsed.settings ?? {}, roles: parsed.roles ?? {} } };
    }
    const error = line.startsWith('ERR|') ? fromBase64(line.slice(4)).trim() : 'no answer from the probe';
    return { postgres: notRunning(error) };
  },
};

function notRunning(error: string): PostgresFacts {
  return {
    running: false, error, versionNum: 0, inRecovery: false, settings: {}, fileSettings: [], roles: {},
    configFile: '', hbaFile: '', dataDirectory: '', configContent: '', hbaContent: '',
  };
}
