// The repository types bsync knows, by name: adding one is a module plus a line here
// (docs/architecture.md, "Adding a repository type").
import type { Inventory, Repo, RepoTypeName, Secret } from '../config/inventory.js';
import { azureRepoType } from './azure.js';
import { posixRepoType } from './posix.js';
import { s3RepoType } from './s3.js';
import { sshRepoType } from './ssh.js';
import type { RepoType } from './types.js';

const REPO_TYPES: Record<RepoTypeName, RepoType> = {
  ssh: sshRepoType,
  s3: s3RepoType,
  azure: azureRepoType,
  posix: posixRepoType,
};

export function repoType(repo: Repo): RepoType {
  return REPO_TYPES[repo.type];
}

/** Every secret of every repository (cipher passphrases and storage keys), for redaction. */
export function repoSecrets(inventory: Inventory): Secret[] {
  return inventory.repos.flatMap((repo) => [
    ...(typeof repo.cipherPass === 'object' && repo.cipherPass !== null ? [repo.cipherPass] : []),
    ...repoType(repo).secrets(repo),
  ]);
}
