// The folders of the machine running bsync where it keeps its own files, after the XDG base
// directory rules: $XDG_CACHE_HOME or ~/.cache for what can be made again (pgBackRest's
// version per host), $XDG_STATE_HOME or ~/.local/state for what cannot (the plan key). A
// variable that is not an absolute path is ignored, as the rules say.
import { homedir } from 'node:os';
import { join } from 'node:path';

const BASES = {
  cache: ['XDG_CACHE_HOME', ['.cache']],
  state: ['XDG_STATE_HOME', ['.local', 'state']],
} as const;

/** bsync's folder of that kind: `<base>/bsync`. */
export function bsyncDir(kind: keyof typeof BASES, env: NodeJS.ProcessEnv = process.env): string {
  const [variable, fallback] = BASES[kind];
  const given = env[variable];
  return join(given?.startsWith('/') ? given : join(homedir(), ...fallback), 'bsync');
}
