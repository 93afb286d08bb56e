// Reads the config file as TOML; a syntax error names the file, line and column.
import { readFileSync } from 'node:fs';
import TOML from '@iarna/toml';
import { ConfigError } from '../errors.js';

export function readConfigText(path: string): string {
  try {
    // Editors on Windows start UTF-8 files with a byte-order mark; TOML readers skip it.
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ConfigError(`cannot read the config: ${why}`, {
      where: path,
      hint: 'Name the config with -c/--config (default ./bsync.toml).',
    });
  }
}

export function parseToml(text: string, path: string): Record<string, unknown> {
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
