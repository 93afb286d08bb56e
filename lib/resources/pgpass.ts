// .pgpass lines for the backup role: one per PostgreSQL host, found again by their
// host, port, database and user fields and replaced (never appended twice).
import { Secret as SecretValue, type Secret } from '../config/inventory.js';
import { PG_DATABASE } from '../facts/probe.js';
import type { FileFacts } from '../facts/types.js';
import { planFile } from './file.js';
import { asAdoption, mergeManagedLines, type MergeResult } from './managed-lines.js';
import type { Change } from './types.js';
import type { NeedsPart } from '../facts/needs.js';
import { pgpassPath } from '../facts/paths.js';

// libpq (passwordFromFile): fields are separated by unescaped `:`, and `\` escapes the
// next character in every field, the password included; a line ends at \n (a trailing \r
// is stripped); a line that starts with `#` is a comment.
const escapeField = (field: string) => field.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

/** Characters SASLprep (RFC 4013, used by libpq's SCRAM) maps to nothing: the verifier bsync makes would not match. */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: single code points (RFC 3454 table B.1) as escapes, each matched on its own
const SASLPREP_DROPPED = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/;

/** Why a .pgpass line and a SCRAM verifier cannot carry this password exactly, or null. */
export function pgpassPasswordProblem(password: string): string | null {
  if (/[\n\r]/.test(password)) return 'it holds a line break, which would split its .pgpass line';
  if (password.includes('\0')) return 'it holds a NUL byte, which libpq cannot read';
  if (SASLPREP_DROPPED.test(password))
    return "it holds an invisible character (soft hyphen, zero-width space, BOM, …) that SCRAM's SASLprep drops";
  return null;
}

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
    planFile({ ...file, mode: '0600', redact: redactPgpass, content: merged.template }, actual),
    merged.adopted,
  );
}

/** The fields of a .pgpass line as libpq reads them: split at unescaped `:`, escapes removed. */
export function pgpassFields(line: string): string[] {
  const fields: string[] = [''];
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (char === '\\' && i + 1 < line.length) fields[fields.length - 1] += line[++i];
    else if (char === ':' && fields.length < 5) fields.push('');
    else fields[fields.length - 1] += char;
  }
  return fields;
}

/** Hides the password field of every line. */
export function redactPgpass(text: string): string {
  return text.replace(
    /^((?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:).*$/gm,
    (_, head) => `${head}(sensitive)`,
  );
}

/** The user's .pgpass, by libpq's rules. */
export const pgpassNeeds = (user: string): NeedsPart => ({
  users: [user],
  files: [{ path: pgpassPath(user), readContent: true }],
});
