// How an object store is reached over TLS, the same keys for every such type (s3, azure, gcs):
// uri_style, port, verify_tls, ca_file in its table, pgBackRest's storage-* options on hosts.
import type { JsonSchema, RepoOptionValue, RepoRef, TableValues } from './types.js';
import { caPath, repoPrefix } from './types.js';

/** The storage keys as the Inventory holds them. */
export interface StorageAccess {
  uriStyle: 'host' | 'path';
  port?: number;
  verifyTls: boolean;
  /** Absolute path of a CA file on the machine running bsync, and its content, copied to each host. */
  caFile?: string;
  caCert?: string;
  /** The bucket keeps earlier versions of its objects (the operator says so; bsync does not ask the bucket). */
  versioned?: boolean;
}

/**
 * The storage keys of a table, after its own; `uriStyle` describes uri_style where a type
 * says more, `false` leaves it out (gcs has no URI styles).
 */
export function storageSchema(uriStyle?: string | false): Record<string, JsonSchema> {
  return {
    ...(uriStyle === false
      ? {}
      : { uri_style: { enum: ['host', 'path'], default: 'host', ...(uriStyle ? { description: uriStyle } : {}) } }),
    port: { $ref: '#/definitions/port' },
    verify_tls: { type: 'boolean', default: true },
    ca_file: {
      $ref: '#/definitions/localPath',
      description: 'A CA certificate on the machine running bsync; copied to each host.',
    },
    versioned: {
      type: 'boolean',
      default: false,
      description:
        'The bucket has versioning on, so bsync restore --repo-target-time can read it as it was at a time (pgBackRest 2.54 and later). bsync does not ask the bucket.',
    },
  };
}

/** The repoN-* options (after `repoN-`) the storage keys set: bsync's, refused in [pgbackrest.*]. */
export const STORAGE_OPTIONS = 'storage-(port|verify-tls|ca-file|host)';

/** The storage keys of a schema-valid table, with defaults; its CA file read by config. */
export function storageOf(table: Record<string, unknown>, values: TableValues): StorageAccess {
  const caFile = table.ca_file ? values.local(table.ca_file as string) : undefined;
  return {
    uriStyle: (table.uri_style as StorageAccess['uriStyle'] | undefined) ?? 'host',
    ...(table.port ? { port: table.port as number } : {}),
    verifyTls: (table.verify_tls as boolean | undefined) ?? true,
    ...(caFile ? { caFile, caCert: values.caCert! } : {}),
    ...(table.versioned === true ? { versioned: true } : {}),
  };
}

/** RepoType.versioned of an object store whose table holds the storage keys. */
export const declaredVersioned = (repo: RepoRef): boolean => (repo.table as StorageAccess).versioned === true;

/**
 * The storage options of an object store (port, TLS verification, CA file), written only
 * where they differ from pgBackRest's defaults, so a conf written by hand compares the same.
 */
export function storageOptions(
  repo: RepoRef,
  storage: Pick<StorageAccess, 'port' | 'verifyTls' | 'caCert'>,
): Array<[string, RepoOptionValue]> {
  const p = repoPrefix(repo);
  const options: Array<[string, RepoOptionValue]> = [];
  if (storage.port !== undefined) options.push([`${p}storage-port`, storage.port]);
  if (!storage.verifyTls) options.push([`${p}storage-verify-tls`, 'n']);
  if (storage.caCert !== undefined) options.push([`${p}storage-ca-file`, caPath(repo)]);
  return options;
}
