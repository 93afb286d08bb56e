// An S3 repository: a bucket (and a path in it) every host of the stanza reaches itself.
// Its options are listed once: the lines of pgbackrest.conf and the location flags of
// `pgbackrest info` are both made from them. Secrets go to the conf file only.
//
// Keys: "shared" (an access key and its secret, in the conf), or keyless: "auto" (the
// instance's role, from the EC2 instance metadata service) and "web-id" (a web identity
// token traded at STS for a role's temporary credentials). pgBackRest reads web-id's role
// and token file from AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, never from its conf, so
// the type gives them as `environment`: every pgbackrest command bsync writes or runs gets
// them (docs/config.md, "Keyless S3").
import type { Secret } from '../secret.js';
import {
  STORAGE_OPTIONS,
  type StorageAccess,
  declaredVersioned,
  storageOf,
  storageOptions,
  storageSchema,
} from './storage.js';
import type { AddProblem, RepoType } from './types.js';
import { repoPrefix, tableOf } from './types.js';

export type S3KeyType = 'shared' | 'auto' | 'web-id';

/** [repo.s3] as the Inventory holds it. */
export interface S3Repo extends StorageAccess {
  bucket: string;
  endpoint: string;
  region: string;
  keyType: S3KeyType;
  /** With key_type "shared" only (the config refuses them otherwise). */
  key?: Secret;
  keySecret?: Secret;
  /** auto: the instance profile's role name (absent: the one the metadata service names). */
  role?: string;
  /** web-id: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE of every pgbackrest process. */
  roleArn?: string;
  tokenFile?: string;
  /** Server-side encryption with this KMS key (repoN-s3-kms-key-id). */
  kmsKeyId?: string;
}

/** Which keys each key type needs and refuses (after the schema found the table sound). */
const KEYS_OF: Record<S3KeyType, { needs: string[]; refuses: string[] }> = {
  shared: { needs: ['key', 'key_secret'], refuses: ['role', 'role_arn', 'token_file'] },
  auto: { needs: [], refuses: ['key', 'key_secret', 'role_arn', 'token_file'] },
  'web-id': { needs: ['role_arn', 'token_file'], refuses: ['key', 'key_secret', 'role'] },
};

const WHY: Record<string, string> = {
  key: 'the access key',
  key_secret: 'the secret access key',
  role: "the instance profile's role, which the metadata service gives",
  role_arn: 'the role a web identity token is traded for',
  token_file: 'the web identity token',
};

/** AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE with web-id, where pgBackRest reads them; nothing otherwise. */
function webIdEnvironment(keyType: unknown, roleArn: unknown, tokenFile: unknown): Array<[string, string]> {
  if (keyType !== 'web-id' || typeof roleArn !== 'string' || typeof tokenFile !== 'string') return [];
  return [
    ['AWS_ROLE_ARN', roleArn],
    ['AWS_WEB_IDENTITY_TOKEN_FILE', tokenFile],
  ];
}

/** key_type's rules: each type's own keys, and no key of another (a key pair beside auto would be a lie). */
export function checkS3Keys(table: Record<string, unknown>, path: string, add: AddProblem): void {
  const keyType = (table.key_type as S3KeyType | undefined) ?? 'shared';
  const named = keyType === 'shared' ? 'key_type = "shared" (the default)' : `key_type = "${keyType}"`;
  for (const key of KEYS_OF[keyType].needs)
    if (table[key] === undefined) add(`${path}.${key}`, 'is required', `With ${named}, ${WHY[key]} is ${path}.${key}.`);
  for (const key of KEYS_OF[keyType].refuses)
    if (table[key] !== undefined)
      add(
        `${path}.${key}`,
        `does not go with ${named}: ${
          keyType === 'shared'
            ? `${WHY[key]} is for key_type = "${key === 'role' ? 'auto' : 'web-id'}"`
            : `pgBackRest gets temporary credentials itself (${keyType === 'auto' ? 'from the instance metadata service' : 'from STS'}) and reads no ${key === 'key' ? 'access key' : key === 'key_secret' ? 'secret access key' : key}`
        }`,
        `Remove ${path}.${key}${keyType === 'shared' ? `, or set key_type = "${key === 'role' ? 'auto' : 'web-id'}"` : ''}.`,
      );
}

/**
 * A bucket name with dots under host-style URIs is a host name of several labels, which the
 * endpoint's wildcard certificate (*.s3.amazonaws.com) does not cover: pgBackRest refuses it
 * while it verifies TLS.
 */
function checkBucketDots(table: Record<string, unknown>, path: string, add: AddProblem): void {
  const bucket = table.bucket as string | undefined;
  const uriStyle = (table.uri_style as string | undefined) ?? 'host';
  if (!bucket?.includes('.') || uriStyle !== 'host' || table.verify_tls === false) return;
  add(
    `${path}.bucket`,
    `"${bucket}" holds dots, and with uri_style = "host" (the default) and verify_tls on the bucket is part of the host name, which the endpoint's certificate does not cover: pgBackRest refuses it`,
    `Set ${path}.uri_style = "path", or use a bucket name without dots.`,
  );
}

export const s3RepoType: RepoType = {
  name: 's3',
  describe: 'an S3-compatible bucket',
  table: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['bucket', 'endpoint', 'region'],
      properties: {
        bucket: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
          'x-expected': 'an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)',
        },
        endpoint: { $ref: '#/definitions/endpoint' },
        region: { type: 'string', pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'a region name such as us-east-1' },
        key_type: {
          enum: ['shared', 'auto', 'web-id'],
          default: 'shared',
          description:
            "shared: key and key_secret; auto: the instance's role (EC2 instance metadata); web-id: role_arn and token_file (STS AssumeRoleWithWebIdentity, as on EKS).",
        },
        key: { $ref: '#/definitions/secret', description: 'The access key (key_type "shared" only).' },
        key_secret: { $ref: '#/definitions/secret', description: 'The secret access key (key_type "shared" only).' },
        role: {
          type: 'string',
          pattern: '^[A-Za-z0-9+=,.@_-]{1,64}$',
          'x-expected': 'an IAM role name (letters, digits and +=,.@_-)',
          description: 'key_type "auto": the instance profile\'s role; absent: the one the metadata service names.',
        },
        role_arn: {
          type: 'string',
          pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$',
          'x-expected': 'an IAM role ARN such as arn:aws:iam::123456789012:role/pgbackrest',
          description: 'key_type "web-id": AWS_ROLE_ARN of every pgbackrest process bsync writes or runs.',
        },
        token_file: {
          $ref: '#/definitions/absolutePath',
          description:
            'key_type "web-id": AWS_WEB_IDENTITY_TOKEN_FILE, the web identity token on each host (bsync does not write it).',
        },
        kms_key_id: {
          type: 'string',
          pattern: '^[A-Za-z0-9][A-Za-z0-9:/_.+=@-]{0,2047}$',
          'x-expected': 'a KMS key id, key ARN, alias/<name> or alias ARN',
          description: 'Server-side encryption (SSE-KMS) of every object pgBackRest writes, with this key.',
        },
        ...storageSchema(),
      },
    },
    caFile: 'ca_file',
    check: (table, path, add) => {
      checkS3Keys(table, path, add);
      checkBucketDots(table, path, add);
    },
    environment: (table) => webIdEnvironment(table.key_type, table.role_arn, table.token_file),
    convert: (table, values): S3Repo => {
      const keyType = (table.key_type as S3KeyType | undefined) ?? 'shared';
      return {
        bucket: table.bucket as string,
        endpoint: table.endpoint as string,
        region: table.region as string,
        keyType,
        ...(keyType === 'shared' ? { key: values.secret('key'), keySecret: values.secret('key_secret') } : {}),
        ...(table.role !== undefined ? { role: table.role as string } : {}),
        ...(table.role_arn !== undefined ? { roleArn: table.role_arn as string } : {}),
        ...(table.token_file !== undefined ? { tokenFile: table.token_file as string } : {}),
        ...(table.kms_key_id !== undefined ? { kmsKeyId: table.kms_key_id as string } : {}),
        ...storageOf(table, values),
      };
    },
  },
  managedOptions: `s3-.*|${STORAGE_OPTIONS}`,
  locationOptions(repo) {
    const s3 = tableOf<S3Repo>(repo);
    const p = repoPrefix(repo);
    const options: ReturnType<RepoType['locationOptions']> = [
      [`${p}type`, 's3'],
      [`${p}s3-bucket`, s3.bucket],
      [`${p}s3-endpoint`, s3.endpoint],
      [`${p}s3-region`, s3.region],
    ];
    // shared is pgBackRest's default: not written, so a conf from before key_type reads the same.
    if (s3.keyType === 'shared')
      options.push([`${p}s3-key`, { secret: s3.key! }], [`${p}s3-key-secret`, { secret: s3.keySecret! }]);
    else options.push([`${p}s3-key-type`, s3.keyType]);
    if (s3.role !== undefined) options.push([`${p}s3-role`, s3.role]);
    options.push([`${p}s3-uri-style`, s3.uriStyle]);
    if (s3.kmsKeyId !== undefined) options.push([`${p}s3-kms-key-id`, s3.kmsKeyId]);
    return [...options, ...storageOptions(repo, s3)];
  },
  environment(repo) {
    const s3 = tableOf<S3Repo>(repo);
    return webIdEnvironment(s3.keyType, s3.roleArn, s3.tokenFile);
  },
  versioned: declaredVersioned,
  caCert: (repo) => tableOf<S3Repo>(repo).caCert,
  secrets: (repo) => {
    const s3 = tableOf<S3Repo>(repo);
    return s3.keyType === 'shared' ? [s3.key!, s3.keySecret!] : [];
  },
};
