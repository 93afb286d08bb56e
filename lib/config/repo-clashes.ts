// Two repositories on one location: pgBackRest refuses two repositories on one path, and two
// on one bucket (or container) and path would write each other's files. What a location is
// comes from each type: its path (or default) and the required, non-secret keys of its own
// table ([repo.s3]'s bucket, endpoint and region; [repo.azure]'s account and container),
// plus its endpoint when it has one. And one stanza name kept twice in one object store by
// different PostgreSQL clusters (zones with one [cluster].stanza here; clusters of a fleet in
// lib/cli/fleet-configs.ts): their WAL and backups would mix, and pgBackRest refuses the
// second cluster's (its system identifier is not the stanza's).
import { repoType } from '../repositories/index.js';
import { secretKeys, type AddProblem } from '../repositories/types.js';
import type { Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';

/** The repository's path as bsync writes it: the config's, else its type's default, else ssh's. */
export function repoPathOf(repo: RawRepo): string {
  return repo.path ?? repoType({ type: repo.type ?? 'ssh' }).defaultPath ?? '/home/backrest';
}

/** The keys and values that say where a repository is, in the order they are named. */
function location(repo: RawRepo): Array<[string, string]> {
  const type = repoType({ type: repo.type ?? 'ssh' });
  const parts: Array<[string, string]> = [['path', repoPathOf(repo)]];
  const table = type.table;
  if (!table) return parts;
  const secrets = secretKeys(table);
  const values = (repo[type.name] ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(table.schema.properties)) {
    if (secrets.includes(key) || !(table.schema.required.includes(key) || key === 'endpoint')) continue;
    if (values[key] !== undefined) parts.push([`${type.name}.${key}`, String(values[key])]);
  }
  return parts;
}

/**
 * Where an object store keeps a stanza's files, as `s3 bucket "b", endpoint "e", ..., path "/p"`;
 * undefined for a folder repository (ssh, posix), which is on the zone's own hosts.
 */
export function sharedLocation(repo: RawRepo): string | undefined {
  if (repoType({ type: repo.type ?? 'ssh' }).folderOn) return undefined;
  const [path, ...table] = location(repo);
  return `${repo.type} ${[...table, path].map(([key, value]) => `${key.replace(/^\w+\./, '')} ${JSON.stringify(value)}`).join(', ')}`;
}

/** With [cluster].stanza, every zone's stanza has that one name: two zones must not share an object store. */
export function checkZonesShareStanza(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  add: AddProblem,
  sound: Sound,
): void {
  const stanza = raw.cluster?.stanza;
  if (stanza === undefined || !sound('cluster.stanza', 'host[*].zone', 'host[*].role')) return;
  const zones = [...new Set(raw.host.filter((host) => host.role === 'postgres').map((host) => host.zone ?? 1))].sort(
    (a, b) => a - b,
  );
  if (zones.length < 2) return;
  repos.forEach((repo, index) => {
    const where = sound(repoPath(index)) ? sharedLocation(repo) : undefined;
    if (where === undefined) return;
    add(
      'cluster.stanza',
      `is the stanza of zones ${zones.join(' and ')}, which are different PostgreSQL clusters, and ${repoPath(index)} keeps them in one place (${where}): their WAL and backups would mix, and pgBackRest refuses the second cluster's`,
      `Leave stanza out (each zone then has its own, pgedge-<name>-<zone>), or give each zone its own config with its own stanza.`,
    );
  });
}

export function checkRepoClashes(
  repos: RawRepo[],
  repoPath: (index: number) => string,
  add: AddProblem,
  sound: Sound,
): void {
  const where = repos.map((repo, index) =>
    sound(repoPath(index)) ? `${repo.type ?? 'ssh'} ${JSON.stringify(location(repo))}` : undefined,
  );
  for (let later = 1; later < repos.length; later += 1) {
    const earlier = where.findIndex((place, index) => index < later && place !== undefined && place === where[later]);
    if (earlier < 0) continue;
    const parts = location(repos[later]);
    add(
      `${repoPath(later)}.path`,
      `is the location of ${repoPath(earlier)} too (${parts.map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(', ')}): pgBackRest refuses two repositories on one location, and their backups would overwrite each other`,
      `Give ${repoPath(later)} a path of its own${parts.length > 1 ? ' (or another bucket or container)' : ''}, or remove one of them.`,
    );
  }
}
