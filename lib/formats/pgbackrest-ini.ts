// pgbackrest.conf read the way pgBackRest reads it (src/common/ini.c, iniParse): lines
// split at \n and trimmed (so CRLF is fine); a line that is empty or starts with `#` is a
// comment, and only a whole line can be one; `[name]` opens a section; otherwise the text
// before the first `=` is the key and everything after it, trimmed, is the value: `#`,
// `;` and further `=` belong to the value. A repeated key makes a list.
// What it cannot hold follows: a newline, a NUL, or white space at either end of a value.
import { hide, type Mask } from './mask.js';

export type PgbackrestIni = Map<string, Map<string, string[]>>;

/** The sections and their keys, or null where pgBackRest would refuse the file (FormatError). */
export function parsePgbackrestIni(text: string): PgbackrestIni | null {
  const sections: PgbackrestIni = new Map();
  let section: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) return null;
      const name = line.slice(1, -1);
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      continue;
    }
    const equals = line.indexOf('=');
    const key = equals < 0 ? '' : line.slice(0, equals).trim();
    if (section === null || key === '') return null;
    const values = section.get(key) ?? [];
    values.push(line.slice(equals + 1).trim());
    section.set(key, values);
  }
  return sections;
}

/** Why pgbackrest.conf cannot hold this value exactly, or null when it round-trips. */
export function pgbackrestValueProblem(value: string): string | null {
  if (value === '') return 'it is empty';
  if (/[\n\r]/.test(value)) return 'it holds a line break';
  if (value.includes('\0')) return 'it holds a NUL byte';
  if (value.trim() !== value) return 'it starts or ends with white space, which pgBackRest trims';
  return null;
}

/**
 * Hides the values of the keys `isSecret` names in a pgbackrest.conf text (for plans and
 * facts output; which keys is lib/facts/redact.ts's to say, from pgBackRest's option tables).
 */
export function redactConf(text: string, isSecret: (key: string) => boolean, mask: Mask = hide): string {
  // Lines as pgBackRest splits them (only at \n), so no other line break can carry a secret
  // past the redaction; commented-out secrets are hidden too.
  return text
    .split('\n')
    .map((line) => {
      const equals = line.indexOf('=');
      if (equals < 0) return line;
      const key = line.slice(0, equals).trim().replace(/^#\s*/, '');
      if (!isSecret(key)) return line;
      const value = line.slice(equals + 1);
      return `${line.slice(0, equals + 1)}${/^[ \t]*/.exec(value)![0]}${mask(value.trim())}`;
    })
    .join('\n');
}
