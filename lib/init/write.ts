// The config file init writes: a new file only. It is checked before any host is asked
// (no connection for nothing) and created exclusively, so a file that appeared meanwhile
// is not overwritten either.
import { existsSync, writeFileSync } from 'node:fs';
import { BsyncError } from '../errors.js';

const exists = (path: string) =>
  new BsyncError(`${path} exists already: bsync init never overwrites a file`, {
    hint: 'Move it away, or name another file with --out FILE.',
  });

export function refuseExisting(path: string): void {
  if (existsSync(path)) throw exists(path);
}

/** Creates `path` with `text` (0644: the config holds no secret, only where they are). */
export function writeNewConfig(path: string, text: string): void {
  try {
    writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists(path);
    throw new BsyncError(
      `cannot write ${path}: ${code === 'ENOENT' ? 'its folder does not exist' : (error as Error).message}`,
    );
  }
}
