// .pgpass as libpq reads it (the format; the backup role's lines are resources/pgpass.ts).
import { hide, type Mask } from './mask.js';

// libpq (passwordFromFile): fields are separated by unescaped `:`, and `\` escapes the
// next character in every field, the password included; a line ends at \n (a trailing \r
// is stripped); a line that starts with `#` is a comment.
export const escapeField = (field: string) => field.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

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
export function redactPgpass(text: string, mask: Mask = hide): string {
  return text.replace(
    /^((?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:(?:[^:\\\n]|\\.)*:)(.*)$/gm,
    (_, head: string, password: string) => `${head}${mask(password)}`,
  );
}
