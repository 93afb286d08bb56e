// Files that ship with bsync (schemas/, package.json), found from both the sources (tests
// run them directly) and the build in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function projectFile(relative: string): string {
  for (const up of ['../', '../../']) {
    const candidate = fileURLToPath(new URL(`${up}${relative}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`bsync is missing its own file ${relative}; reinstall it`);
}

/** The installed package's version, as `bsync --version` prints it. */
export function packageVersion(): string {
  const version: unknown = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')).version;
  if (typeof version !== 'string') throw new Error("bsync's package.json has no version; reinstall it");
  return version;
}
