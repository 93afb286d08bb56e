// Facts are what a host reports about itself: plain data, no opinion about what anyone wants.

export type OsFamily = 'debian' | 'rhel' | 'unknown';

export interface OsFacts {
  id: string;
  versionId: string;
  family: OsFamily;
  /** The command name of PID 1: `systemd` means systemctl manages services. */
  pid1: string;
  /** The cores the host's processes may use (nproc); absent where the host did not tell, and in older recordings. */
  cpus?: number;
  /** Physical memory (MemTotal). */
  memoryBytes?: number;
}

export interface UserFacts {
  uid: number;
  gid: number;
  group: string;
  home: string;
  shell: string;
}

/** A file or folder as found: absent, or its owner, group, mode and (for files) content. */
export interface FileFacts {
  exists: boolean;
  /** A link to a folder counts as the folder; any other link is 'other' (never written through). */
  kind?: 'file' | 'dir' | 'other';
  /** What stat calls it (`regular file`, `directory`, `fifo`, `symbolic link`, …), for messages. */
  type?: string;
  owner?: string;
  group?: string;
  /** Octal permission bits as four digits, e.g. `0640`. */
  mode?: string;
  content?: string;
}

interface PgSetting {
  setting: string;
  source: string;
  sourcefile: string | null;
  sourceline: number | null;
  pendingRestart: boolean;
  context: string;
}

/** One line of pg_file_settings: what the configuration files say, applied or not. */
export interface PgFileSetting {
  name: string;
  setting: string;
  sourcefile: string;
  sourceline: number;
  applied: boolean;
  error: string | null;
}

export interface PgRole {
  login: boolean;
  replication: boolean;
  /** The stored verifier (SCRAM-SHA-256$…), never a clear-text password. */
  password: string | null;
  memberOf: string[];
}

export interface PostgresFacts {
  /** false when psql could not reach the server; `error` says why. */
  running: boolean;
  error?: string;
  versionNum: number;
  inRecovery: boolean;
  settings: Record<string, PgSetting>;
  fileSettings: PgFileSetting[];
  roles: Record<string, PgRole>;
  configFile: string;
  hbaFile: string;
  dataDirectory: string;
  /** Contents as the server reads them (pg_read_file). */
  configContent: string;
  hbaContent: string;
  /** The cluster's system identifier (pg_control_system()): a new one after initdb, as after a dump and restore or pg_upgrade. Absent in recordings made before bsync read it. */
  systemId?: string;
  /** A primary's current WAL position (`0/3000060`); absent in recovery and in recordings made before bsync read it. */
  currentLsn?: string;
  /** null on a server that does not report it (not running). */
  archiver?: ArchiverFacts | null;
  /** pg_wal as the running server lists it; absent in recordings made before bsync read it. */
  walBacklog?: WalBacklogFacts;
  /** What a server in recovery replayed; absent on a primary, and in recordings made before bsync read it. */
  replay?: ReplayFacts;
  /**
   * The running server's binary folder (its postmaster's executable's folder):
   * /usr/pgsql-15/bin on PGDG, /usr/lib/postgresql/15/bin on Debian. Absent when /proc
   * did not tell (recordings made before bsync read it, too); layoutProblem says why.
   */
  binDir?: string;
  /** The systemd unit whose cgroup holds the postmaster, when it is a postgresql* unit. */
  serviceUnit?: string;
  layoutProblem?: string;
}

export interface BackupInfo {
  label: string;
  type: string;
  error: boolean;
  /** Unix seconds, as pgbackrest info reports them. */
  start?: number;
  stop?: number;
  /** pgBackRest's id of the database the backup is of (RepoFacts.database.id when it is of the current one). */
  databaseId?: number;
  /** Bytes of the database restored from this backup. */
  size?: number;
  /** Bytes this backup added to the repository (compressed, deduplicated against its prior). */
  repoDelta?: number;
  /** The WAL segments this backup needs. */
  archiveStart?: string;
  archiveStop?: string;
  /** The WAL positions (`0/2000028`) where the backup started and where it became consistent. */
  lsnStart?: string;
  lsnStop?: string;
  /** PostgreSQL major version of the backed-up cluster (`15`). */
  pgVersion?: string;
}

/** pg_stat_archiver of a running server: how WAL archiving is going. */
export interface ArchiverFacts {
  archivedCount: number;
  lastArchivedWal: string | null;
  /** Unix seconds, or null when nothing was archived since the statistics were reset. */
  lastArchivedTime: number | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedTime: number | null;
}

/** What waits in pg_wal to be archived (pg_ls_archive_statusdir's *.ready), and what pg_wal holds (pg_ls_waldir). */
export interface WalBacklogFacts {
  /** Files marked ready for the archiver and not archived yet. */
  readyCount: number;
  /** The first of them by name (what the archiver takes next), and the oldest mark's time (unix seconds); null when none wait. */
  oldestReady: string | null;
  oldestReadyTime: number | null;
  /** Bytes of the files in pg_wal (segments, history and backup files; not archive_status). */
  walBytes: number;
}

/** A standby's replay: pg_last_wal_replay_lsn, pg_last_xact_replay_timestamp, and the WAL segment size to place the one in a segment. */
export interface ReplayFacts {
  /** The end of the last WAL record replayed (`0/5000060`); null when the server does not say. */
  lsn: string | null;
  /** When the last transaction replayed was committed on its primary (unix seconds); null before one was replayed since the server started. */
  at: number | null;
  /** wal_segment_size in bytes. */
  segmentBytes: number;
}

/** The stanza as one repository holds it. */
export interface StanzaDatabase {
  /** pgBackRest's id of it in backup.info (1, then 2 after the first stanza-upgrade, ...). */
  id: number;
  /** PostgreSQL's major version as pgBackRest writes it: `15`, `17`. */
  version: string;
  systemId: string;
}

export interface RepoFacts {
  /** The N of repoN. */
  key: number;
  stanza: string;
  /** backup.info exists in the repository for the stanza. */
  backupInfoExists: boolean;
  /** `pgbackrest info --output=json` status code, or null when info could not run. */
  statusCode: number | null;
  statusMessage: string;
  backups: BackupInfo[];
  /** The repository's cipher as pgbackrest info reports it (`aes-256-cbc`, `none`), when info could read it. */
  cipher?: string;
  /**
   * The database the stanza is for now in this repository (pgbackrest info's newest db
   * entry): stanza-upgrade adds a new one after a major upgrade or a new system identifier.
   */
  database?: StanzaDatabase;
  /** The oldest and newest WAL segment in the archive of the current database, when any. */
  archiveMin?: string;
  archiveMax?: string;
  /**
   * When the newest WAL segment (archiveMax) was written into the repository (unix seconds):
   * read for a folder repository on the host that holds it, as pgbackrest info gives no WAL times.
   */
  archiveMaxTime?: number;
  /** A backup of the stanza holds pgBackRest's lock: one is running now. */
  backupRunning?: boolean;
  /** info was not asked: the host has no pgbackrest.conf (or no user to run it) yet, which the plan puts in place. */
  notAsked?: boolean;
  /** pgBackRest reached for the repository and could not read it (status 99): what it holds is unknown. */
  unreadable?: boolean;
  /** A folder repository on this host: bytes free for its user on its file system (df); absent for object stores, and where df did not tell. */
  freeBytes?: number;
}

/** A scheduled backup job's outcome file (lib/facts/outcomes.ts): times are unix seconds. */
export interface BackupOutcome {
  stanza: string;
  type: 'full' | 'diff' | 'incr';
  /** The N of repoN. */
  repo: number;
  /** The run now or last: started, and (once done) ended with pgBackRest's exit status (20: it waited for the stanza's lock in vain). */
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  /** That run's last error line (pgBackRest's `ERROR: [nnn]: …`, or bsync's word on the lock). */
  error: string | null;
  lastSuccess: { startedAt: number; endedAt: number } | null;
  lastFailure: { startedAt: number; endedAt: number; exitCode: number } | null;
  /** The file is not what bsync's job writes: why, escaped; the fields above are then all null. */
  problem?: string;
}

export interface PatroniMember {
  name: string;
  host: string;
  /** `Leader`, `Replica`, `Sync Standby`, … as patronictl list prints it. */
  role: string;
  state: string;
  pendingRestart: boolean;
}

export interface PatroniFacts {
  scope: string;
  /** The dynamic configuration (DCS), or null when Patroni did not answer. */
  dynamic: Record<string, unknown> | null;
  members: PatroniMember[];
  errors: string[];
}

/** Where one source on the host says the server lives (lib/facts/stored-layout.ts). */
export interface LayoutSource {
  /** bsync's own pgbackrest.conf, postgresql-common's cluster, PGDG's packaged layout, Patroni's configuration. */
  source: 'pgbackrest.conf' | 'postgresql-common' | 'pgdg' | 'patroni';
  /** The file (or PGDG's binary folder) it was read from. */
  file: string;
  /** pgbackrest.conf's pgN that is this host's own server (`pg1`). */
  key?: string;
  dataDirectory?: string;
  port?: number;
  /** The PostgreSQL major version its place names (`15`). */
  major?: string;
  binDir?: string;
  /** postgresql-common's postgresql.conf: a Debian cluster. */
  configFile?: string;
  serviceUnit?: string;
}

/** A server's layout as the host still holds it when the server cannot say; asked by restore only. */
export interface StoredLayoutFacts {
  sources: LayoutSource[];
  /** The packaged binary folders that hold an executable pg_ctl. */
  binDirs: string[];
}

export interface HostFacts {
  host: string;
  os: OsFacts;
  users: Record<string, UserFacts | null>;
  /** Keyed by the path as bsync names it: absolute, or `~user/relative`. */
  files: Record<string, FileFacts>;
  /** User → crontab text; null when the user has none. */
  crontabs: Record<string, string | null>;
  /** The host's own SSH host public keys, `type base64` each. */
  hostKeys: string[];
  pgbackrestVersion: string | null;
  /** Why `pgbackrest version` gave no version, when it did not. */
  pgbackrestProblem?: string;
  /** Which binary gave that version (stat of it and of /etc/ld.so.cache): the key of the controller's cache (facts/version-cache.ts). */
  pgbackrestIdentity?: string;
  postgres?: PostgresFacts;
  /** Each repository of the stanza, as the config lists them (repo1 first), read where backups run. */
  repos?: RepoFacts[];
  patroni?: PatroniFacts;
  /** Asked by restore: where the server lives by the host's files, for a server that is down or whose data is gone. */
  storedLayout?: StoredLayoutFacts;
  /** What the stanza's scheduled backup jobs last did, where they run (the outcome files that exist). */
  backupOutcomes?: BackupOutcome[];
  /** Asked with transport = "tls" only: the TLS server's state, and the host's clock (unix seconds) that certificates expire by. */
  tlsServer?: TlsServerFacts;
  clock?: number;
}

/** How pgBackRest's TLS server runs on a host (transport = "tls"), as its service manager tells. */
export type TlsServerFacts =
  | { manager: 'systemd'; active: boolean; enabled: boolean }
  /** Without systemd: every running `pgbackrest server`, by the uid it runs as. */
  | { manager: 'none'; uids: number[] };
