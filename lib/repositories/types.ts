// A repository type: where a repository lives, what pgBackRest needs to reach it, and what
// the config says of it (its table, defaults, checks, secrets). One module per type (ssh.ts,
// s3.ts, azure.ts, posix.ts), registered in index.ts; the rest of bsync asks the type, never
// `repo.type === ...`. This floor sits below lib/config, which asks it while loading a
// config, so it reads repositories and hosts through the small shapes below (config's Repo
// and HostSpec have them).
import { lookupOption } from '../pgbackrest-options/index.js';
import type { Secret } from '../secret.js';

/** A pgbackrest.conf value a repository type gives: a secret as `{ secret }`, which only ever reaches pgbackrest.conf. */
export type RepoOptionValue = string | number | { secret: Secret };

/** What a type reads of a repository (lib/config's Repo). */
export interface RepoRef {
  /** The N of pgBackRest's repoN-* options. */
  key: number;
  type: string;
  /** Its type's own table ([repo.s3]), as the type's `table.convert` made it. */
  table?: unknown;
  /** An ssh repository reached through pgBackRest's TLS server instead of SSH. */
  transport?: 'tls';
}

/** What a type reads of a host (lib/config's HostSpec). */
export interface RepoHost {
  name: string;
  role: 'postgres' | 'backup';
  sshPort: number;
}

export interface RepoHostContext<H extends RepoHost = RepoHost> {
  host: H;
  /** The zone's backup host, when the stanza has an ssh repository. */
  backupHost?: H;
  /** The OS user pgBackRest runs as on a host (lib/facts/probe.ts pgbackrestUser). */
  userOf: (host: H) => string;
  /** With transport = "tls": the port of the TLS servers ([tls].port). */
  tlsPort?: number;
}

/** A JSON Schema fragment, as schemas/bsync.schema.json holds it. */
export type JsonSchema = Record<string, unknown>;

/** Adds a problem of the config at a key path (lib/config/problems.ts). */
export type AddProblem = (path: string, message: string, hint?: string) => void;

/** What config read for a table before converting it: its secrets and CA certificate. */
export interface TableValues {
  /** The secret at a key of the table (one whose schema is a secret), read from env, file or inline. */
  secret(key: string): Secret;
  /** The text of the table's CA file (`caFile`), when it names one. */
  caCert?: string;
  /** A path of the config made absolute (relative to its folder, `~` the user's home). */
  local(path: string): string;
}

/** What is wrong with a secret's content, in words that never quote it. */
export interface SecretProblem {
  message: string;
  hint?: string;
}

/** A type's own table in the config, [repo.<name>]; required with that type, refused with any other. */
export interface RepoTable<T = unknown> {
  /** Its JSON Schema: schemas/bsync.schema.json's `definitions.repo.properties.<name>` is made from it. */
  schema: JsonSchema & { required: string[]; properties: Record<string, JsonSchema> };
  /** The key that names a CA certificate on the machine running bsync (read, checked, copied to hosts). */
  caFile?: string;
  /** What the schema cannot check, on a table the schema found sound. */
  check?(table: Record<string, unknown>, path: string, add: AddProblem): void;
  /**
   * For a secret key whose value goes into a file of its own on the hosts (`keyFile`), not
   * into pgbackrest.conf: the check of its content, which replaces the conf's rules for it.
   */
  secretFile?(key: string, table: Record<string, unknown>): ((value: string) => SecretProblem | null) | undefined;
  /** The table (schema-valid, checked) as the Inventory holds it. */
  convert(table: Record<string, unknown>, values: TableValues): T;
  /**
   * The environment variables pgBackRest must run with for a (schema-valid) table, which
   * config checks across repositories: pgBackRest reads each once, so two must agree.
   */
  environment?(table: Record<string, unknown>): Array<[string, string]>;
}

export interface RepoType {
  name: string;
  /** What it is, after `name: ` in the schema's description of repo.type. */
  describe: string;
  /** repo.path when the config gives none; absent: the role's /home/backrest. */
  defaultPath?: string;
  /** What pgBackRest sees as repoN-type (absent: the name), for the option rules config checks. */
  pgbackrestType?: string;
  table?: RepoTable;
  /**
   * The repoN-* options bsync writes from the type's table, as a regex of the name after
   * `repoN-`: refused in [pgbackrest.*], the table says them.
   */
  managedOptions?: string;
  /**
   * Options (after `repoN-`) that hold secrets and that pgBackRest's option tables do not
   * mark secure (lib/facts/redact.ts hides those): hidden in plans and `bsync facts` too.
   */
  secretOptions?: string[];
  /**
   * The repoN-* options that say where the repository is, in a host's pgbackrest.conf
   * (path, retention and cipher are every type's and come after these).
   */
  locationOptions<H extends RepoHost>(repo: RepoRef, ctx: RepoHostContext<H>): Array<[string, RepoOptionValue]>;
  /** Options only the backup command reads (after the location ones in pgbackrest.conf, never on info's command line). */
  backupOptions?<H extends RepoHost>(repo: RepoRef, ctx: RepoHostContext<H>): Array<[string, RepoOptionValue]>;
  /**
   * The repository is a folder on hosts of this role, so backup.info can be looked for as
   * a file there (an ssh repository on its backup host, a posix one on PostgreSQL hosts).
   */
  folderOn?: RepoHost['role'];
  /**
   * An object store: whether its bucket is declared versioned (`versioned = true`), which a
   * restore at a repository time needs (pgBackRest's repo-target-time). Absent for folders.
   */
  versioned?(repo: RepoRef): boolean;
  /** The certificate of the CA that signed the endpoint's, copied to every host that uses the repository. */
  caCert?(repo: RepoRef): string | undefined;
  /**
   * A secret pgBackRest reads from a file named in the conf rather than from the conf (gcs's
   * service account key): bsync keeps it at `repoFilePath(repo, name)` on every host whose
   * pgbackrest.conf names the repository, the pgBackRest user's, 0600; where `secret` gives
   * none (another key type), a file left there is removed.
   */
  keyFile?: { name: string; secret(repo: RepoRef): Secret | undefined };
  /** Secrets the repository's options carry (they reach hosts in pgbackrest.conf, or in its `keyFile`, only). */
  secrets(repo: RepoRef): Secret[];
  /**
   * The key of its table an option comes from (after `repoN-`), where `tableKeyOf`'s rule of
   * names does not find it (azure's `storage-host` is `endpoint`).
   */
  tableKeys?: Record<string, string>;
  /**
   * Environment variables every pgbackrest process needs for this repository (pgBackRest
   * reads them from no conf): bsync puts them before each pgbackrest command it writes
   * (archive_command, restore_command, cron, Patroni's replica method) or runs.
   */
  environment?(repo: RepoRef): Array<[string, string]>;
}

/** The keys of a table whose values are secrets: those its schema makes one ({ env }, { file } or inline). */
export function secretKeys(table: RepoTable): string[] {
  return Object.entries(table.schema.properties)
    .filter(([, schema]) => schema.$ref === '#/definitions/secret')
    .map(([key]) => key);
}

/**
 * The key of a type's table that makes bsync write an option (after `repoN-`), so a host
 * whose pgBackRest lacks it is refused at that key path (`repo.s3.key_type`): the type's
 * `tableKeys`, else the option's name without `<type>-` or `storage-` in snake case
 * (`s3-kms-key-id` → `kms_key_id`) where the table has that key; undefined otherwise.
 */
export function tableKeyOf(type: RepoType, option: string): string | undefined {
  const own = type.tableKeys?.[option];
  if (own !== undefined) return own;
  const key = option.replace(new RegExp(`^(${type.name}|storage)-`), '').replaceAll('-', '_');
  return type.table && Object.hasOwn(type.table.schema.properties, key) ? key : undefined;
}

/** The table of a repository of this module's type, as its `convert` made it. */
export const tableOf = <T>(repo: RepoRef) => repo.table as T;

/** `repoN-` for a repository: the prefix of each of its options. */
export const repoPrefix = (repo: RepoRef) => `repo${repo.key}-`;

/** A file of a repository's own in /etc/pgbackrest: `<type>-<name>`, `repoN-<type>-<name>` for N > 1. */
export function repoFilePath(repo: RepoRef, name: string): string {
  return repo.key === 1
    ? `/etc/pgbackrest/${repo.type}-${name}`
    : `/etc/pgbackrest/repo${repo.key}-${repo.type}-${name}`;
}

/** Where a repository's CA certificate goes on hosts (repo1 of type s3 keeps the name it always had). */
export const caPath = (repo: RepoRef) => repoFilePath(repo, 'ca.crt');

/** A name of something a repository has of its own (its first backup, its passphrase): repo1 keeps the bare name. */
export function perRepo(name: string, repo: RepoRef): string {
  return repo.key === 1 ? name : `${name}:repo${repo.key}`;
}

/**
 * The options as `--key=value` flags, without bsync's secrets and without what pgBackRest
 * refuses on a command line (its secure options, such as repo-azure-account): pgBackRest
 * reads those from the conf. A key type stays with the key it describes, in the conf too:
 * the wanted `azure-key-type=sas` beside the conf's shared key made pgBackRest read that key
 * as a SAS query and print it in its error.
 */
export function locationFlags(options: Array<[string, RepoOptionValue]>): string[] {
  return options.flatMap(([key, value]) =>
    typeof value === 'object' || lookupOption(key)?.info.secure || /-key-type$/.test(key)
      ? []
      : [`--${key}=${String(value)}`],
  );
}
