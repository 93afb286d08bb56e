// A repository type: where a repository lives and what pgBackRest needs to reach it. One
// module per type (ssh.ts, s3.ts, azure.ts, posix.ts), registered in index.ts; the rest
// of bsync asks the type, never `repo.type === ...`.
import type { HostSpec, Repo, RepoTypeName, Secret, StorageAccess } from '../config/inventory.js';
import { lookupOption } from '../pgbackrest-options/index.js';

/** A pgbackrest.conf value a repository type gives: a secret as `{ secret }`, which only ever reaches pgbackrest.conf. */
export type RepoOptionValue = string | number | { secret: Secret };

export interface RepoHostContext {
  host: HostSpec;
  /** The zone's backup host, when the stanza has an ssh repository. */
  backupHost?: HostSpec;
  /** The OS user pgBackRest runs as on a host (lib/facts/probe.ts pgbackrestUser). */
  userOf: (host: HostSpec) => string;
}

export interface RepoType {
  name: RepoTypeName;
  /**
   * The repoN-* options that say where the repository is, in a host's pgbackrest.conf
   * (path, retention and cipher are every type's and come after these).
   */
  locationOptions(repo: Repo, ctx: RepoHostContext): Array<[string, RepoOptionValue]>;
  /** Options only the backup command reads (after the location ones in pgbackrest.conf, never on info's command line). */
  backupOptions?(repo: Repo, ctx: RepoHostContext): Array<[string, RepoOptionValue]>;
  /**
   * The repository is a folder on hosts of this role, so backup.info can be looked for as
   * a file there (an ssh repository on its backup host, a posix one on PostgreSQL hosts).
   */
  folderOn?: HostSpec['role'];
  /** The certificate of the CA that signed the endpoint's, copied to every host that uses the repository. */
  caCert?(repo: Repo): string | undefined;
  /** Secrets the repository's options carry (they reach hosts in pgbackrest.conf only). */
  secrets(repo: Repo): Secret[];
}

/**
 * The storage options of an object store (port, TLS verification, CA file), written only
 * where they differ from pgBackRest's defaults, so a conf written by hand compares the same.
 */
export function storageOptions(repo: Repo, storage: StorageAccess): Array<[string, RepoOptionValue]> {
  const p = repoPrefix(repo);
  const options: Array<[string, RepoOptionValue]> = [];
  if (storage.port !== undefined) options.push([`${p}storage-port`, storage.port]);
  if (!storage.verifyTls) options.push([`${p}storage-verify-tls`, 'n']);
  if (storage.caCert !== undefined) options.push([`${p}storage-ca-file`, caPath(repo)]);
  return options;
}

/** `repoN-` for a repository: the prefix of each of its options. */
export const repoPrefix = (repo: Repo) => `repo${repo.key}-`;

/** Where a repository's CA certificate goes on hosts (repo1 of type s3 keeps the name it always had). */
export function caPath(repo: Repo): string {
  return repo.key === 1 ? `/etc/pgbackrest/${repo.type}-ca.crt` : `/etc/pgbackrest/repo${repo.key}-${repo.type}-ca.crt`;
}

/** A name of something a repository has of its own (its first backup, its passphrase): repo1 keeps the bare name. */
export function perRepo(name: string, repo: Repo): string {
  return repo.key === 1 ? name : `${name}:repo${repo.key}`;
}

/**
 * The options as `--key=value` flags, without bsync's secrets and without what pgBackRest
 * refuses on a command line (its secure options, such as repo-azure-account): pgBackRest
 * reads those from the conf.
 */
export function locationFlags(options: Array<[string, RepoOptionValue]>): string[] {
  return options.flatMap(([key, value]) =>
    typeof value === 'object' || lookupOption(key)?.info.secure ? [] : [`--${key}=${String(value)}`],
  );
}
