// .pgpass lines for the backup role: one per PostgreSQL host, found again by their
// host, port and user fields and replaced (never appended twice).
import { Secret as SecretValue, type Secret } from '../config/inventory.js';
import { mergeLines } from './managed-lines.js';
import type { Template } from './types.js';

const escape = (field: string) => field.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

export interface PgpassTarget {
  host: string;
  port: number;
}

export function desiredPgpass(current: string | undefined, targets: PgpassTarget[], user: string, password: Secret): Template {
  const escapedPassword = new SecretValue(escape(password.reveal()), password.source);
  return mergeLines(current, {
    // bsync owns the backup role's lines in this file; other users' lines are not its business.
    isOurs: (line) => !line.startsWith('#') && fields(line)[3] === user,
    wanted: targets.map(({ host, port }) => ({ line: [`${escape(host)}:${port}:*:${escape(user)}:`, { secret: escapedPassword }] })),
  });
}

/** The fields of a .pgpass line, unescaped enough to compare the user name. */
function fields(line: string): string[] {
  return line.split(/(?<!\\):/).map((field) => field.replace(/\\(.)/g, '$1'));
}

/** Hides the password field of every line. */
export function redactPgpass(text: string): string {
  return text.replace(/^((?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:).*$/gm, (_, head) => `${head}(sensitive)`);
}
