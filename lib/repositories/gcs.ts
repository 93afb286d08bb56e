// A Google Cloud Storage repository: a bucket (and a path in it) every host of the stanza
// reaches itself. With key_type "service" pgBackRest reads a service account's key from a
// file (repoN-gcs-key is its path), so the key is a file bsync keeps on each host that runs
// pgBackRest for the stanza (keyFile), the pgBackRest user's, 0600; "token" is a bearer token
// in pgbackrest.conf (for emulators); "auto" asks the GCE instance's metadata server.
import type { Secret } from '../secret.js';
import { type StorageAccess, declaredVersioned, storageOf, storageOptions, storageSchema } from './storage.js';
import type { RepoType, SecretProblem } from './types.js';
import { repoFilePath, repoPrefix, tableOf } from './types.js';

/** pgBackRest's default endpoint. */
const GCS_ENDPOINT = 'storage.googleapis.com';
/** The key file's name after `[repoN-]gcs-` in /etc/pgbackrest. */
const KEY_FILE = 'key.json';

/** [repo.gcs] as the Inventory holds it. */
export interface GcsRepo extends Omit<StorageAccess, 'uriStyle'> {
  bucket: string;
  endpoint: string;
  keyType: 'service' | 'token' | 'auto';
  /** The service account's key (JSON) or a token; none with key_type auto. */
  key?: Secret;
  userProject?: string;
}

/** What a service account key must hold for pgBackRest: it signs a JWT with private_key for client_email and posts it to token_uri. */
export function serviceKeyProblem(text: string): SecretProblem | null {
  const hint = 'Give the JSON key file of a service account, as `gcloud iam service-accounts keys create` writes it.';
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    return { message: 'the service account key is not JSON', hint };
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key))
    return { message: 'the service account key is not a JSON object', hint };
  const fields = key as Record<string, unknown>;
  const missing = ['client_email', 'private_key', 'token_uri'].filter(
    (field) => typeof fields[field] !== 'string' || fields[field] === '',
  );
  if (missing.length > 0) return { message: `the service account key has no ${missing.join(', ')}`, hint };
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(fields.private_key as string))
    return { message: "the service account key's private_key is not a PEM private key", hint };
  if (!/^https:\/\/[^/\s]+/.test(fields.token_uri as string))
    return {
      message: "the service account key's token_uri is not an https:// URL (pgBackRest reaches it over TLS)",
      hint,
    };
  return null;
}

export const gcsRepoType: RepoType = {
  name: 'gcs',
  describe: 'a Google Cloud Storage bucket',
  table: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['bucket'],
      properties: {
        bucket: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$',
          'x-expected': 'a GCS bucket name (lower-case letters, digits, dots, hyphens and underscores)',
        },
        endpoint: {
          $ref: '#/definitions/endpoint',
          description: `The storage service's host name; absent: ${GCS_ENDPOINT}.`,
        },
        key_type: {
          enum: ['service', 'auto', 'token'],
          default: 'service',
          description:
            "service: a service account's JSON key (a file bsync installs on the hosts); auto: the GCE instance's own service account; token: a bearer token (emulators).",
        },
        key: {
          $ref: '#/definitions/secret',
          description: 'The service account\'s JSON key, or a token with key_type = "token"; none with "auto".',
        },
        user_project: {
          type: 'string',
          pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
          'x-expected': 'a Google Cloud project ID (6-30 lower-case letters, digits and hyphens)',
          description:
            'The project billed for requests to a Requester Pays bucket (repoN-gcs-user-project: pgBackRest 2.55 has it, 2.45 not).',
        },
        ...storageSchema(false),
      },
    },
    caFile: 'ca_file',
    check(table, path, add) {
      const keyType = (table.key_type as string | undefined) ?? 'service';
      if (keyType === 'auto' && table.key !== undefined)
        add(
          `${path}.key`,
          'key_type "auto" takes no key: pgBackRest asks the instance\'s metadata server for a token',
          'Remove key, or set key_type = "service" for a service account key.',
        );
      if (keyType !== 'auto' && table.key === undefined)
        add(
          `${path}.key`,
          `key_type "${keyType}" needs a key`,
          keyType === 'service'
            ? 'Add key = { file = "..." } naming the service account\'s JSON key.'
            : 'Add key = { env = "..." } with the token.',
        );
    },
    secretFile: (key, table) =>
      key === 'key' && ((table.key_type as string | undefined) ?? 'service') === 'service'
        ? serviceKeyProblem
        : undefined,
    convert: (table, values): GcsRepo => {
      const { uriStyle: _, ...storage } = storageOf(table, values);
      return {
        bucket: table.bucket as string,
        endpoint: (table.endpoint as string | undefined) ?? GCS_ENDPOINT,
        keyType: (table.key_type as GcsRepo['keyType'] | undefined) ?? 'service',
        ...(table.key !== undefined ? { key: values.secret('key') } : {}),
        ...(table.user_project ? { userProject: table.user_project as string } : {}),
        ...storage,
      };
    },
  },
  // repoN-storage-host/port are not read for gcs by 2.45 (the endpoint carries the port).
  managedOptions: 'gcs-.*|storage-(verify-tls|ca-file)',
  keyFile: {
    name: KEY_FILE,
    secret: (repo) => {
      const gcs = tableOf<GcsRepo>(repo);
      return gcs.keyType === 'service' ? gcs.key : undefined;
    },
  },
  locationOptions(repo) {
    const gcs = tableOf<GcsRepo>(repo);
    const p = repoPrefix(repo);
    const options: ReturnType<RepoType['locationOptions']> = [
      [`${p}type`, 'gcs'],
      [`${p}gcs-bucket`, gcs.bucket],
    ];
    // Written only when not pgBackRest's defaults, so a conf written by hand compares the same.
    if (gcs.keyType !== 'service') options.push([`${p}gcs-key-type`, gcs.keyType]);
    if (gcs.keyType === 'service') options.push([`${p}gcs-key`, repoFilePath(repo, KEY_FILE)]);
    if (gcs.keyType === 'token') options.push([`${p}gcs-key`, { secret: gcs.key! }]);
    const endpoint = gcs.port === undefined ? gcs.endpoint : `${gcs.endpoint}:${gcs.port}`;
    if (endpoint !== GCS_ENDPOINT) options.push([`${p}gcs-endpoint`, endpoint]);
    if (gcs.userProject !== undefined) options.push([`${p}gcs-user-project`, gcs.userProject]);
    return [...options, ...storageOptions(repo, { ...gcs, port: undefined })];
  },
  versioned: declaredVersioned,
  caCert: (repo) => tableOf<GcsRepo>(repo).caCert,
  secrets: (repo) => {
    const key = tableOf<GcsRepo>(repo).key;
    return key ? [key] : [];
  },
};
