// The Inventory is what lib/config makes of bsync.toml: validated, defaulted, with
// relative paths resolved and secrets read. Everything after lib/config reads only this.
import type { Diagnostic } from '../diagnostics.js';
import type { RecoveryTarget } from '../recovery-target.js';
import type { Secret } from '../secret.js';

export { Secret } from '../secret.js';

type HostRole = 'postgres' | 'backup';

export interface HostSpec {
  /** The name other hosts use for it (pgN-host, repo1-host, known_hosts). */
  name: string;
  /** Where bsync connects; defaults to name. */
  address: string;
  role: HostRole;
  zone: number;
  /** The port its sshd listens on: bsync connects there, and pgBackRest on the other hosts too. */
  sshPort: number;
  /** postgres hosts: the backup host's address as this host sees it connect (pg_hba.conf); absent: the backup host's address. */
  backupAddress?: string;
  /** postgres hosts: data directory (absent: the running server's, from facts) and port. */
  pgData?: string;
  pgPort: number;
}

/** [cluster].backup_from: pgBackRest's backup-standby n, y or prefer. */
export type BackupFrom = 'primary' | 'standby' | 'prefer';

/** A repository type's name (lib/repositories/ holds one module per type, registered by name). */
export type RepoTypeName = string;

/** One repository of every stanza: [repo], or one of the [[repo]] tables (repo1, repo2, … in that order). */
export interface Repo {
  /** The N of pgBackRest's repoN-* options. */
  key: number;
  type: RepoTypeName;
  path: string;
  cipherType: 'aes-256-cbc' | 'none';
  /** A passphrase, 'auto' (adopt what the stanza's hosts share, else generate), or null with cipherType none. */
  cipherPass: Secret | 'auto' | null;
  /** With "auto": the local folder where generated passphrases are kept (<stanza>.cipher_pass, repoN: <stanza>.repoN.cipher_pass). */
  cipherPassStore?: string;
  /**
   * repoN-retention-*: full (a count, or days with fullType "time") and diff are always
   * written; fullType, archive and archiveType only when the config sets them.
   */
  retention: {
    full: number;
    fullType?: 'count' | 'time';
    diff: number;
    archive?: number;
    archiveType?: 'full' | 'diff' | 'incr';
  };
  /** When its backups run: the repository's own, else [schedule]'s; no incr, no incremental job. */
  schedule: Schedule;
  /** An ssh repository reached through pgBackRest's TLS server (transport = "tls"); absent: over SSH. */
  transport?: 'tls';
  /** Its type's own table ([repo.s3]) as the type's module made it (lib/repositories/); absent when the type has none. */
  table?: unknown;
  /**
   * An object store's location, as messages name it (`s3 bucket "b", ..., path "/p"`): two
   * clusters of a fleet must not keep one stanza there. Absent for a folder repository.
   */
  sharedLocation?: string;
}

/** Cron schedules of the backup types; incr is optional (no incremental job without it). */
export interface Schedule {
  full: string;
  diff: string;
  incr?: string;
}

/** One pgBackRest option of [pgbackrest.global] or [pgbackrest.stanza], as pgbackrest.conf writes it. */
export interface PgbackrestOption {
  /** The key in pgbackrest.conf: `process-max`, `repo1-bundle`. */
  key: string;
  /** Its name in pgBackRest's option table (`repo-bundle`), for the version check. */
  name: string;
  /** One line each (list and hash options take several); booleans are y/n. */
  values: string[];
}

/** A command section: [pgbackrest."global:archive-push"] is [global:archive-push], [pgbackrest."stanza:backup"] is [<stanza>:backup]. */
export interface CommandSection {
  scope: 'global' | 'stanza';
  /** The pgBackRest command whose options the section holds. */
  command: string;
  options: PgbackrestOption[];
}

/** The tables, each sorted by key; command sections sorted by scope (global first), then command. */
export interface PgbackrestOptions {
  global: PgbackrestOption[];
  stanza: PgbackrestOption[];
  commands: CommandSection[];
}

export interface Inventory {
  /** Absolute path of the config file, for messages. */
  configPath: string;
  cluster: {
    name: string;
    /** The major version every server must run; absent: whatever each server runs (facts). */
    pgVersion?: number;
    /** Set only when [cluster].stanza is given; otherwise stanza is per zone (stanzaFor). */
    stanza?: string;
    /** Where every stanza's backups read their files (docs/config.md, "Backups from a standby"). */
    backupFrom: BackupFrom;
  };
  ssh: {
    user: string;
    /** The default of each host's sshPort. */
    port: number;
    /** Absolute path of a private key, or undefined to use the ssh-agent (SSH_AUTH_SOCK). */
    identity?: string;
    /** Decrypts an encrypted identity ([ssh] passphrase); without it such a key goes through the ssh-agent. */
    passphrase?: Secret;
    /** Absolute path of an OpenSSH known_hosts file. */
    knownHosts: string;
    /** Seconds to wait for a host to answer. */
    connectTimeout: number;
  };
  /** Every repository of each stanza, repo1 first. */
  repos: Repo[];
  /** The OS user that owns the repository on backup hosts (an ssh repository's user). */
  repoUser: string;
  /** The config wrote a single [repo] table (messages name its keys repo.x, not repo[1].x). */
  repoTable: boolean;
  backupUser: {
    enabled: boolean;
    name: string;
    password: Secret | null;
  };
  /** [replication_user]: the role streaming standby sites connect as; absent when the config has no password for it. */
  replicationUser?: {
    name: string;
    password: Secret;
  };
  schedule: Schedule;
  /** With transport = "tls": the CA bsync issues each host's certificate from, and the server's port. */
  tls?: TlsSettings;
  patroni?: {
    config: string;
    access: 'patronictl' | 'rest';
    restPort: number;
    /** How Patroni builds a replica, in order (patroni.yml's create_replica_methods); absent: left as it is. */
    createReplicaMethods?: Array<'pgbackrest' | 'basebackup'>;
  };
  verify: {
    /** Hosts named to restore instead of a zone's default, by zone. */
    hosts: Map<number, string>;
    path: string;
    query?: string;
    amcheck: boolean;
    recoveryPoint: boolean;
    timeoutSeconds: number;
  };
  /** [alert]: what bsync check holds every stanza and repository to; an absent key is not checked. */
  alert: AlertThresholds;
  /** pgBackRest's own options, written into every host's pgbackrest.conf. */
  pgbackrest: PgbackrestOptions;
  hosts: HostSpec[];
  /** [[zone]] from_backup by zone: where a new zone's first data comes from (lib/config/zones.ts); absent: none declared. */
  fromBackup?: Map<number, FromBackup>;
  /** [[zone]] standby_of by zone: the zones that are standby sites of another zone's stanza (lib/config/zones.ts); absent: none. */
  standbyOf?: Map<number, StandbyOf>;
  /** Things worth telling the user that do not stop bsync (an inline secret, say). */
  warnings: Diagnostic[];
}

/** A zone's first data: another zone's backup, restored to a target while the zone has no data yet. */
export interface FromBackup {
  /** The zone whose stanza's backup is restored. */
  zone: number;
  target: RecoveryTarget;
  /** The repository read (repoN). */
  repo: number;
}

/** A standby site: the zone's one server replays another zone's stanza from its repository. */
export interface StandbyOf {
  /** The zone whose stanza is restored and replayed. */
  zone: number;
  /** The repository read (repoN). */
  repo: number;
  /** It also streams from the source zone's primary (standby_of.stream): role, pg_hba rule, primary_conninfo. */
  stream: boolean;
}

/** [alert], durations in seconds. */
export interface AlertThresholds {
  maxFullAgeSeconds?: number;
  maxBackupAgeSeconds?: number;
  maxArchiveLagSeconds?: number;
  /** A standby site's replay behind its source's archive (lib/status/standby-sites.ts). */
  maxReplayLagSeconds?: number;
  maxWalBacklog?: number;
  minFullCount?: number;
  minWindowSeconds?: number;
  /** The last run of a scheduled backup job must not have failed (default true). */
  failedBackup: boolean;
}

/** [tls]: read only with transport = "tls". */
export interface TlsSettings {
  /** The CA certificate's PEM text, read from ca_cert on the machine running bsync. */
  caCert: string;
  /** The CA's private key (PEM): it signs on the machine running bsync and goes nowhere else. */
  caKey: Secret;
  /** Validity of an issued certificate. */
  days: number;
  /** tls-server-port on every host, pgN-host-port and repoN-host-port on the others. */
  port: number;
}

/** How the config names a repository's keys: `repo` for a single [repo] table, `repo[N]` among [[repo]] tables. */
export function repoKeyPath(inventory: Inventory, repo: Repo): string {
  return inventory.repos.length === 1 && inventory.repoTable ? 'repo' : `repo[${repo.key}]`;
}

/**
 * The backup role's password when bsync manages the role (its LOGIN, pg_hba.conf rule and
 * .pgpass lines); null when [backup_user] is off or has no password.
 */
export function backupRolePassword(inventory: Inventory): Secret | null {
  return inventory.backupUser.enabled ? inventory.backupUser.password : null;
}

/** The stanza name of a zone: [cluster].stanza, else `pgedge-<cluster>-<zone>`. */
export function stanzaFor(inventory: Inventory, zone: number): string {
  return inventory.cluster.stanza ?? `pgedge-${inventory.cluster.name}-${zone}`;
}

/**
 * The stanza a host's pgBackRest names: its zone's, but a standby site's server names the
 * stanza it replays (docs/recovery.md, "A standby site"), so that is what its probes read.
 */
export function hostStanza(inventory: Inventory, host: HostSpec): string {
  const of = host.role === 'postgres' ? inventory.standbyOf?.get(host.zone) : undefined;
  return stanzaFor(inventory, of?.zone ?? host.zone);
}
