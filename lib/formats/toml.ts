// The one way bsync writes TOML (bsync init's bsync.toml): values as TOML reads them back
// exactly, whatever they hold, and comments that stay comments. A value a host reported
// (a data directory, a bucket name) goes through here and nowhere else, so no quote, line
// break or `#` in it can end a string, start a key or open a table.

/** What the writer takes: strings, whole numbers, booleans, lists and inline tables of them. */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

// TOML's basic strings escape ", \ and every control character (U+0000-U+001F, U+007F);
// the Unicode line and paragraph separators and bidi controls are escaped too, so the file
// reads in an editor as it parses.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const ESCAPED = /["\\\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** `\uXXXX`: how a basic string writes a character, and how a comment shows one it cannot hold. */
const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A TOML basic string: "…" with escapes, on one line. */
export function tomlString(value: string): string {
  // A lone surrogate has no UTF-8 form: the file would read back U+FFFD (text decoded from a host never holds one).
  if (LONE_SURROGATE.test(value)) throw new Error('tomlString: the text holds a lone UTF-16 surrogate');
  return `"${value.replace(ESCAPED, (char) => SHORT[char] ?? unicodeEscape(char))}"`;
}

/** A key as written left of `=`: bare when TOML allows it, else quoted. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A value on one line. Numbers must be whole and within TOML's 64 bits (bsync.toml has no floats). */
export function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`tomlValue: ${value} is not a whole number TOML holds exactly`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${tomlKey(key)} = ${tomlValue(item)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** `key = value`, with a comment after it when one is given. */
export function tomlLine(key: string, value: TomlValue, comment?: string): string {
  const line = `${tomlKey(key)} = ${tomlValue(value)}`;
  return comment === undefined ? line : `${line}  ${tomlComment(comment)}`;
}

/**
 * `# text`, one comment line per line of text. A comment holds no control character but
 * tab: each other one (and the separators an editor breaks lines at) is shown as `\uXXXX`,
 * so a line break in the text starts a new comment line, never a key.
 */
export function tomlComment(text: string): string {
  return text
    .split('\n')
    .map((line) => `# ${line.replace(COMMENT_UNSAFE, unicodeEscape)}`.trimEnd())
    .join('\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const COMMENT_UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
