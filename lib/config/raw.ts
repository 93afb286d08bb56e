// The config in the shape the schema guarantees, before defaults. Where the schema found
// problems, checks read only the parts it found sound (ConfigProblems.sound).
import type { BackupFrom } from './inventory.js';
import type { SecretSpec } from './secrets.js';

export interface RawConfig {
  cluster: { name: string; pg_version?: number; stanza?: string; backup_from?: BackupFrom };
  ssh?: {
    user?: string;
    port?: number;
    identity?: string;
    /** An encrypted identity's passphrase: never inline (the schema allows env and file only). */
    passphrase?: Exclude<SecretSpec, string>;
    known_hosts?: string;
    connect_timeout?: number;
  };
  /** [repo] or [[repo]]: made a list before the schema sees it (normalizeRepos). */
  repo?: RawRepo[];
  backup_user?: { enabled?: boolean; name?: string; password?: SecretSpec };
  /** The role a streaming standby site connects as (docs/config.md, "[replication_user]"). */
  replication_user?: { name?: string; password?: SecretSpec };
  /** The CA of transport = "tls" (docs/config.md, "TLS between the hosts"). */
  tls?: { ca_cert?: string; ca_key?: SecretSpec; days?: number; port?: number };
  schedule?: RawSchedule;
  patroni?: {
    config?: string;
    access?: 'patronictl' | 'rest';
    rest_port?: number;
    create_replica_methods?: Array<'pgbackrest' | 'basebackup'>;
  };
  verify?: {
    hosts?: string[];
    path?: string;
    query?: string;
    amcheck?: boolean;
    recovery_point?: boolean;
    timeout?: number;
  };
  alert?: {
    max_full_age?: string;
    max_backup_age?: string;
    max_archive_lag?: string;
    max_replay_lag?: string;
    max_wal_backlog?: number;
    min_full_count?: number;
    min_window?: string;
    failed_backup?: boolean;
  };
  /** [pgbackrest.global], [pgbackrest.stanza] and command sections such as [pgbackrest."global:archive-push"]. */
  pgbackrest?: Record<string, Record<string, unknown> | undefined>;
  /** [[zone]]: settings of one zone (lib/config/zones.ts). */
  zone?: Array<{
    id: number;
    from_backup?: { zone: number; target?: string; repo?: number };
    standby_of?: { zone: number; repo?: number; stream?: boolean };
  }>;
  host: Array<{
    name: string;
    address?: string;
    role: 'postgres' | 'backup';
    zone?: number;
    ssh_port?: number;
    backup_address?: string;
    pg_data?: string;
    pg_port?: number;
  }>;
}

/** [schedule] or a repository's schedule: cron expressions; incr has no default (no incremental job). */
export interface RawSchedule {
  full?: string;
  diff?: string;
  incr?: string;
}

export interface RawRepo {
  /** A registered repository type's name (lib/repositories/index.ts). */
  type?: string;
  path?: string;
  user?: string;
  /** ssh repositories: how the backup host and the PostgreSQL hosts reach each other. */
  transport?: 'ssh' | 'tls';
  cipher_type?: 'aes-256-cbc' | 'none';
  cipher_pass?: SecretSpec;
  cipher_pass_store?: string;
  retention?: {
    full?: number;
    full_type?: 'count' | 'time';
    diff?: number;
    archive?: number;
    archive_type?: 'full' | 'diff' | 'incr';
  };
  schedule?: RawSchedule;
  /** A type's own table ([repo.s3]), under its type's name: the type's module reads it. */
  [table: string]: unknown;
}
