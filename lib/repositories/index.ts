// The repository types bsync knows, by name: adding one is a module plus a line here
// (docs/architecture.md, "Adding things"). Config, its schema, facts and desired all ask
// this registry, so a type registered here is accepted everywhere at once.
import { shq } from '../formats/shell.js';
import type { Secret } from '../secret.js';
import { azureRepoType } from './azure.js';
import { gcsRepoType } from './gcs.js';
import { posixRepoType } from './posix.js';
import { s3RepoType } from './s3.js';
import { sshRepoType } from './ssh.js';
import type { RepoRef, RepoType } from './types.js';

const REPO_TYPES = new Map<string, RepoType>();

/**
 * Adds a type (in this order: the schema's enum and messages list them so); returns what
 * takes it away again, for a test that registers one of its own.
 */
export function registerRepoType(type: RepoType): () => void {
  if (REPO_TYPES.has(type.name)) throw new Error(`repository type "${type.name}" is registered twice`);
  REPO_TYPES.set(type.name, type);
  return () => REPO_TYPES.delete(type.name);
}

for (const type of [sshRepoType, s3RepoType, azureRepoType, posixRepoType, gcsRepoType]) registerRepoType(type);

/** The registered types, in the order they were registered. */
export function repoTypes(): RepoType[] {
  return [...REPO_TYPES.values()];
}

/** A repository's type (by name: the schema lets only registered names through). */
export function repoType(repo: Pick<RepoRef, 'type'>): RepoType {
  return REPO_TYPES.get(repo.type)!;
}

/** Every repository is an object store: every PostgreSQL host of the config reaches each the same way. */
export function objectStoresOnly(repos: Array<Pick<RepoRef, 'type'>>): boolean {
  return repos.every((repo) => repoType(repo).folderOn === undefined);
}

/** Every secret of every repository (cipher passphrases and storage keys), for redaction. */
export function repoSecrets(repos: Array<RepoRef & { cipherPass: Secret | 'auto' | null }>): Secret[] {
  return repos.flatMap((repo) => [
    ...(typeof repo.cipherPass === 'object' && repo.cipherPass !== null ? [repo.cipherPass] : []),
    ...repoType(repo).secrets(repo),
  ]);
}

/**
 * The environment every pgbackrest process of the config runs with (its repositories'
 * `environment`, config has checked they agree), in the order the repositories name them.
 */
export function pgbackrestEnvironment(repos: RepoRef[]): Array<[string, string]> {
  const seen = new Map<string, string>();
  for (const repo of repos)
    for (const [name, value] of repoType(repo).environment?.(repo) ?? []) if (!seen.has(name)) seen.set(name, value);
  return [...seen];
}

/**
 * The word that starts every pgbackrest command bsync writes or runs: `pgbackrest`, or with
 * the environment its repositories need, `env NAME=value … pgbackrest` (env, not a shell
 * assignment: Patroni runs its replica method without a shell).
 */
export function pgbackrestWord(repos: RepoRef[]): string {
  const environment = pgbackrestEnvironment(repos);
  if (environment.length === 0) return 'pgbackrest';
  return ['env', ...environment.map(([name, value]) => shq(`${name}=${value}`)), 'pgbackrest'].join(' ');
}

/** Whether a host's file is a repository's key file (`keyFile`, repoFilePath): `bsync facts` shows none of its content. */
export function isRepoKeyFile(path: string): boolean {
  const match = /^\/etc\/pgbackrest\/(?:repo[0-9]+-)?([a-z0-9]+)-(.+)$/.exec(path);
  return match !== null && repoTypes().some((type) => type.name === match[1] && type.keyFile?.name === match[2]);
}
