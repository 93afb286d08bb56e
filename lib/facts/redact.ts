// `bsync facts` prints what hosts hold, minus what is secret there.
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF } from './paths.js';
import { isRepoKeyFile, redactPgbackrestConf } from '../repositories/index.js';
import { redactPgpass } from '../formats/pgpass.js';
import type { HostFacts } from './types.js';

export function redactFacts(facts: HostFacts): HostFacts {
  const copy = structuredClone(facts);
  for (const [path, file] of Object.entries(copy.files)) {
    if (file.content === undefined) continue;
    if (path === PGBACKREST_CONF || path === LEGACY_PGBACKREST_CONF) file.content = redactPgbackrestConf(file.content);
    else if (path.endsWith('/.pgpass')) file.content = redactPgpass(file.content);
    else if (isRepoKeyFile(path)) file.content = '(sensitive)';
  }
  for (const role of Object.values(copy.postgres?.roles ?? {})) {
    if (role.password !== null) role.password = '(sensitive)';
  }
  return copy;
}
