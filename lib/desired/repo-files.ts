// What the repositories need on a host besides pgbackrest.conf: the folder of each folder
// repository kept there (ssh on the backup host, posix on PostgreSQL hosts), the CA
// certificate of each object store whose endpoint a private CA signed, and the key file of
// each repository whose type has pgBackRest read a secret from a file (gcs's service account key).
import type { HostSpec, Inventory, Repo } from '../config/inventory.js';
import type { HostFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import { planDirectory } from '../resources/directory.js';
import { planAbsentFile, planFile } from '../resources/file.js';
import type { ResourceRef } from '../resources/types.js';
import { repoType } from '../repositories/index.js';
import { caPath, repoFilePath } from '../repositories/types.js';
import type { Secret } from '../secret.js';
import type { HostResources } from './builder.js';
import { outsideDataDirectory } from './layout.js';
import { declarePart } from './part.js';

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

/** Each repository whose type has a key file, with its path and secret (none: the file must not be there). */
function keyFiles(inventory: Inventory): Array<{ repo: Repo; path: string; secret: Secret | undefined }> {
  return inventory.repos.flatMap((repo) => {
    const keyFile = repoType(repo).keyFile;
    return keyFile ? [{ repo, path: repoFilePath(repo, keyFile.name), secret: keyFile.secret(repo) }] : [];
  });
}

/** The repositories' folders and files on `host`; they read each of them. */
export const repoFilesPart = (inventory: Inventory, host: HostSpec) =>
  declarePart(
    "the repositories' folders and files",
    [
      ...foldersOn(inventory, host).map((repo) => read.stat(repo.path)),
      // A folder kept out of the data directory its server reports.
      ...(foldersOn(inventory, host).length > 0 && host.role === 'postgres' ? [read.postgres] : []),
      ...caCerts(inventory).map(({ repo }) => read.file(caPath(repo))),
      ...keyFiles(inventory).map(({ path }) => read.file(path)),
    ],
    {
      addFolders: (
        out: HostResources,
        facts: HostFacts,
        user: string,
        group: string,
        after: Array<ResourceRef | undefined> = [],
      ) => addRepoFolders(out, inventory, host, facts, user, group, after),
      addFiles: (
        out: HostResources,
        facts: HostFacts,
        confDir: ResourceRef,
        owner: { user: string; group: string },
        after: ResourceRef[] = [],
      ) => addRepoFiles(out, inventory, facts, confDir, owner, after),
    },
  );

/** Each folder repository on this host: `user` 0750, after `after`; never in the data directory its server reports. */
function addRepoFolders(
  out: HostResources,
  inventory: Inventory,
  host: HostSpec,
  facts: HostFacts,
  user: string,
  group: string,
  after: Array<ResourceRef | undefined>,
): ResourceRef[] {
  return foldersOn(inventory, host).map((repo) =>
    out.add(
      'directory',
      repo.path,
      repo.path,
      planDirectory(
        {
          path: outsideDataDirectory(host, facts, repo.path, `repo${repo.key}'s folder`),
          owner: user,
          group,
          mode: '0750',
        },
        facts.files[repo.path],
      ),
      after,
    ),
  );
}

/**
 * The files pgbackrest.conf names, in /etc/pgbackrest after that folder: each repository's CA
 * certificate (root 0644), and its key file (`user` 0600, after `after`: the user's creation),
 * or no key file where the repository's key type reads none (a key left behind is removed).
 */
function addRepoFiles(
  out: HostResources,
  inventory: Inventory,
  facts: HostFacts,
  confDir: ResourceRef,
  owner: { user: string; group: string },
  after: ResourceRef[],
): ResourceRef[] {
  const certs = caCerts(inventory).map(({ repo, cert }) => {
    const path = caPath(repo);
    return out.add(
      'repo_ca',
      `repo${repo.key}`,
      path,
      planFile({ path, owner: 'root', group: 'root', mode: '0644', content: [cert] }, facts.files[path]),
      [confDir],
    );
  });
  const keys = keyFiles(inventory).map(({ repo, path, secret }) =>
    out.add(
      'repo_key',
      `repo${repo.key}`,
      path,
      secret
        ? planFile(
            {
              path,
              owner: owner.user,
              group: owner.group,
              mode: '0600',
              kind: 'repo-key',
              content: [{ secret }, '\n'],
            },
            facts.files[path],
          )
        : planAbsentFile(
            path,
            facts.files[path],
            `repo${repo.key}'s key type reads no key file: a key left there is removed`,
          ),
      [confDir, ...after],
    ),
  );
  return [...certs, ...keys];
}
