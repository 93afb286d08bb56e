// Reads the config file as TOML; a syntax error names the file, line and column.
import { readFileSync } from 'node:fs';
import TOML from '@iarna/toml';
import { ConfigError } from '../errors.js';

export function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ConfigError(`cannot read the config: ${why}`, {
      where: path,
      hint: 'Name the config with -c/--config (default ./bsync.toml).',
    });
  }
  checkEncoding(bytes, path);
  // Editors on Windows start UTF-8 files with a byte-order mark; TOML readers skip it.
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** TOML is UTF-8: a UTF-16 file (Windows editors, PowerShell's >) or other bytes are named as such, not as a character. */
function checkEncoding(bytes: Buffer, path: string): void {
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0);
  if (utf16)
    throw new ConfigError('TOML syntax error: the file is UTF-16 (it holds NUL bytes); TOML files are UTF-8', {
      where: path,
      hint: `Save it as UTF-8: iconv -f UTF-16 -t UTF-8 ${path} > bsync.toml.utf8, or your editor's encoding setting.`,
    });
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    // The first byte UTF-8 does not allow became U+FFFD (a file may hold U+FFFD itself, which round-trips).
    const line = text.slice(0, Math.max(0, text.indexOf('\uFFFD'))).split('\n').length;
    throw new ConfigError('TOML syntax error: the file is not UTF-8 (a byte that UTF-8 does not allow)', {
      where: `${path}:${line}`,
      hint: "Save it as UTF-8 (iconv -f LATIN1 -t UTF-8, or your editor's encoding setting).",
    });
  }
}

/** TOML's integers are 64-bit; @iarna/toml wraps a longer one round (99999999999999999999 reads as 7766279631452241919). */
function checkIntegerRange(text: string, path: string): void {
  text.split(/\r?\n/).forEach((content, index) => {
    const match = /^\s*([^=#"']+?)\s*=\s*([+-]?[0-9][0-9_]*)\s*(?:#.*)?$/.exec(content);
    if (!match) return;
    const value = BigInt(match[2].replace(/_/g, ''));
    if (value > 9223372036854775807n || value < -9223372036854775808n)
      throw new ConfigError(
        `TOML syntax error: ${match[1]} = ${match[2]} is beyond TOML's 64-bit integers (-9223372036854775808 to 9223372036854775807)`,
        { where: `${path}:${index + 1}`, hint: `here: ${content.trim()}` },
      );
  });
}

export function parseToml(text: string, path: string): Record<string, unknown> {
  checkIntegerRange(text, path);
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    const { line, col, message } = error as { line?: number; col?: number; message: string };
    // @iarna/toml counts lines and columns from 0 and repeats its position in the message.
    const what = message.split('\n')[0].replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    const where = line === undefined ? path : `${path}:${line + 1}:${(col ?? 0) + 1}`;
    const shown = line === undefined ? undefined : text.split('\n')[line];
    throw new ConfigError(`TOML syntax error: ${what}`, {
      where,
      hint: shown === undefined ? undefined : `here: ${shown.trim()}`,
    });
  }
}
