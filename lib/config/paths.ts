// Paths on the machine running bsync: `~` is that user's home, relative ones start at
// the config file's folder.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export function resolveLocalPath(path: string, configDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(configDir, path);
}
