// .pgpass lines for the backup role: one per PostgreSQL host, found again by their
// host, port, database and user fields and replaced (never appended twice).
import { Secret as SecretValue, type Secret } from '../config/inventory.js';
import { PG_DATABASE } from '../facts/probe.js';
import type { FileFacts } from '../facts/types.js';
import { planFile } from './file.js';
import { asAdoption, mergeManagedLines, type MergeResult } from './managed-lines.js';
import type { Change } from './types.js';
import { escapeField, pgpassFields } from '../formats/pgpass.js';

interface PgpassTarget {
  host: string;
  port: number;
}

/** Whether a field applies to this value as libpq reads it: the same text, or `*`. */
const fieldMatches = (field: string | undefined, value: string) => field === value || field === '*';

/**
 * The backup role's lines: bsync writes `host:port:*:role:password` for each target. A line
 * libpq would use for the same connection (host and port the same or `*`, database `*` or
 * the one pgBackRest connects to, the role by name) is that line, whoever wrote it (the
 * Ansible role writes the database by name): it is taken over in place, since libpq takes
 * the first line that matches and an old password above bsync's would win. The role's lines
 * for other hosts or ports are left alone: they serve connections bsync does not make (a
 * host removed from bsync.toml keeps its line; remove it by hand).
 */
export function desiredPgpass(
  current: string | undefined,
  targets: PgpassTarget[],
  user: string,
  password: Secret,
): MergeResult {
  const escapedPassword = new SecretValue(escapeField(password.reveal()), password.source);
  const fields = (line: string) => (line.startsWith('#') ? [] : pgpassFields(line));
  const isBsyncShape = (line: string) => {
    const [host, port, database, role] = fields(line);
    return (
      database === '*'
      && role === user
      && targets.some((target) => target.host === host && String(target.port) === port)
    );
  };
  return mergeManagedLines(current, {
    isOurs: isBsyncShape,
    wanted: targets.map(({ host, port }) => ({
      line: [`${escapeField(host)}:${port}:*:${escapeField(user)}:`, { secret: escapedPassword }],
      adopts: (existing: string) => {
        const [lineHost, linePort, database, role, secret] = fields(existing);
        return (
          secret !== undefined
          && role === user
          && fieldMatches(lineHost, host)
          && fieldMatches(linePort, String(port))
          && fieldMatches(database, PG_DATABASE)
        );
      },
      describe: `the .pgpass line of ${user} for ${host}:${port}`,
    })),
  });
}

/** The user's .pgpass with the backup role's lines, 0600 as libpq demands; an adoption when it takes over lines. */
export function planPgpass(
  file: { path: string; owner: string; group: string },
  actual: FileFacts | undefined,
  targets: PgpassTarget[],
  user: string,
  password: Secret,
): Change | null {
  const merged = desiredPgpass(actual?.content, targets, user, password);
  return asAdoption(
    planFile({ ...file, mode: '0600', kind: 'pgpass', content: merged.template }, actual),
    merged.adopted,
  );
}
