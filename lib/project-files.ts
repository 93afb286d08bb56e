// Files that ship with bsync (schemas/), found from both the sources (tests run them
// directly) and the build in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function projectFile(relative: string): string {
  for (const up of ['../', '../../']) {
    const candidate = fileURLToPath(new URL(`${up}${relative}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`bsync is missing its own file ${relative}; reinstall it`);
}
