// What `pgbackrest version` said on a host, kept on the machine running bsync: running it
// costs the host ~10 ms of CPU (it loads all its libraries), more than all other probes but
// psql together. The probe runs it again whenever the answer could differ: the binary on
// PATH is another file or was touched (device, inode, size, mtime, ctime), the dynamic
// linker's cache changed (package managers run ldconfig when libraries come or go), or the
// answer is older than MAX_AGE_MS (what neither shows, a library removed by hand, is found
// within that). Failures are never kept: a pgBackRest that does not run is asked every time.
// A missing, unreadable or corrupt cache only means the version is asked.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { bsyncDir } from '../user-dirs.js';
import type { HostFacts } from './types.js';

export interface KnownVersion {
  /** What the probe's stat printed for the binary and /etc/ld.so.cache. */
  identity: string;
  version: string;
}

interface Entry extends KnownVersion {
  checkedAt: number;
}

export const MAX_AGE_MS = 60 * 60 * 1000;

function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(bsyncDir('cache', env), 'pgbackrest-version');
}

/** One file per host (as bsync reaches it), so hosts gathered in parallel never share one. */
function entryPath(inventory: Inventory, host: HostSpec, env: NodeJS.ProcessEnv): string {
  const where = `${inventory.ssh.user}@${host.address}:${inventory.ssh.port}`;
  return join(cacheDir(env), `${createHash('sha256').update(where).digest('hex').slice(0, 32)}.json`);
}

export function readKnownVersion(
  inventory: Inventory,
  host: HostSpec,
  now = Date.now(),
  env = process.env,
): KnownVersion | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryPath(inventory, host, env), 'utf8')) as Partial<Entry>;
    const fresh = typeof entry.checkedAt === 'number' && entry.checkedAt <= now && now - entry.checkedAt < MAX_AGE_MS;
    if (
      !fresh
      || typeof entry.identity !== 'string'
      || !/^[0-9: ]+$/.test(entry.identity)
      || typeof entry.version !== 'string'
      || !/^\S+$/.test(entry.version)
    )
      return undefined;
    return { identity: entry.identity, version: entry.version };
  } catch {
    return undefined;
  }
}

/** Keeps a version the host has just reported (not one it was answered from the cache). */
export function rememberVersion(
  inventory: Inventory,
  host: HostSpec,
  facts: HostFacts,
  known: KnownVersion | undefined,
  now = Date.now(),
  env = process.env,
): void {
  const { pgbackrestVersion: version, pgbackrestIdentity: identity } = facts;
  if (version === null || !identity || (known?.identity === identity && known.version === version)) return;
  const path = entryPath(inventory, host, env);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir(env), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, JSON.stringify({ identity, version, checkedAt: now } satisfies Entry), { mode: 0o600 });
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
    // A cache that cannot be written costs the next run one `pgbackrest version`, nothing more.
  }
}
