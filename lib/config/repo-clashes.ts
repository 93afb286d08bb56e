// Two repositories on one location: pgBackRest refuses two repositories on one path, and two
// on one bucket (or container) and path would write each other's files. What a location is
// comes from each type: its path (or default) and the required, non-secret keys of its own
// table ([repo.s3]'s bucket, endpoint and region; [repo.azure]'s account and container),
// plus its endpoint when it has one.
import { repoType } from '../repositories/index.js';
import { secretKeys, type AddProblem } from '../repositories/types.js';
import type { Sound } from './problems.js';
import type { RawRepo } from './raw.js';

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
