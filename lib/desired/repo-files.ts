// What the repositories need on a host besides pgbackrest.conf: the folder of each folder
// repository kept there (ssh on the backup host, posix on PostgreSQL hosts) and the CA
// certificate of each object store whose endpoint a private CA signed.
import type { HostSpec, Inventory, Repo } from '../config/inventory.js';
import type { NeedsPart } from '../facts/needs.js';
import type { HostFacts } from '../facts/types.js';
import { directoryNeeds, planDirectory } from '../resources/directory.js';
import { fileNeeds, planFile } from '../resources/file.js';
import type { ResourceRef } from '../resources/types.js';
import { repoType } from '../repositories/index.js';
import { caPath } from '../repositories/types.js';
import type { HostResources } from './builder.js';

/** The folder repositories kept on a host of this role. */
function foldersOn(inventory: Inventory, host: HostSpec): Repo[] {
  return inventory.repos.filter((repo) => repoType(repo).folderOn === host.role);
}

/** Each repository whose endpoint has a CA certificate of its own, with it. */
function caCerts(inventory: Inventory): Array<{ repo: Repo; cert: string }> {
  return inventory.repos.flatMap((repo) => {
    const cert = repoType(repo).caCert?.(repo);
    return cert === undefined ? [] : [{ repo, cert }];
  });
}

/** What addRepoFolders and addRepoCaFiles read. */
export function repoFilesNeeds(inventory: Inventory, host: HostSpec): NeedsPart[] {
  return [
    ...foldersOn(inventory, host).map((repo) => directoryNeeds(repo.path)),
    ...caCerts(inventory).map(({ repo }) => fileNeeds(caPath(repo))),
  ];
}

/** Each folder repository on this host: `user` 0750, after `after`. */
export function addRepoFolders(
  out: HostResources,
  inventory: Inventory,
  host: HostSpec,
  facts: HostFacts,
  user: string,
  group: string,
  after: Array<ResourceRef | undefined> = [],
): ResourceRef[] {
  return foldersOn(inventory, host).map((repo) =>
    out.add(
      'directory',
      repo.path,
      repo.path,
      planDirectory({ path: repo.path, owner: user, group, mode: '0750' }, facts.files[repo.path]),
      after,
    ),
  );
}

/** Each repository's CA certificate (root 0644) in /etc/pgbackrest, after that folder. */
export function addRepoCaFiles(
  out: HostResources,
  inventory: Inventory,
  facts: HostFacts,
  confDir: ResourceRef,
): ResourceRef[] {
  return caCerts(inventory).map(({ repo, cert }) => {
    const path = caPath(repo);
    return out.add(
      'repo_ca',
      `repo${repo.key}`,
      path,
      planFile({ path, owner: 'root', group: 'root', mode: '0644', content: [cert] }, facts.files[path]),
      [confDir],
    );
  });
}
