// An S3 repository: a bucket (and a path in it) every host of the stanza reaches itself.
// Its options are listed once: the lines of pgbackrest.conf and the location flags of
// `pgbackrest info` are both made from them. Secrets go to the conf file only.
import type { Secret } from '../secret.js';
import { STORAGE_OPTIONS, type StorageAccess, storageOf, storageOptions, storageSchema } from './storage.js';
import type { RepoType } from './types.js';
import { repoPrefix, tableOf } from './types.js';

/** [repo.s3] as the Inventory holds it. */
export interface S3Repo extends StorageAccess {
  bucket: string;
  endpoint: string;
  region: string;
  key: Secret;
  keySecret: Secret;
}

export const s3RepoType: RepoType = {
  name: 's3',
  describe: 'an S3-compatible bucket',
  table: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['bucket', 'endpoint', 'region', 'key', 'key_secret'],
      properties: {
        bucket: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
          'x-expected': 'an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)',
        },
        endpoint: { $ref: '#/definitions/hostName' },
        region: { type: 'string', pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'a region name such as us-east-1' },
        key: { $ref: '#/definitions/secret' },
        key_secret: { $ref: '#/definitions/secret' },
        ...storageSchema(),
      },
    },
    caFile: 'ca_file',
    convert: (table, values): S3Repo => ({
      bucket: table.bucket as string,
      endpoint: table.endpoint as string,
      region: table.region as string,
      key: values.secret('key'),
      keySecret: values.secret('key_secret'),
      ...storageOf(table, values),
    }),
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
      [`${p}s3-key`, { secret: s3.key }],
      [`${p}s3-key-secret`, { secret: s3.keySecret }],
      [`${p}s3-uri-style`, s3.uriStyle],
    ];
    return [...options, ...storageOptions(repo, s3)];
  },
  caCert: (repo) => tableOf<S3Repo>(repo).caCert,
  secrets: (repo) => [tableOf<S3Repo>(repo).key, tableOf<S3Repo>(repo).keySecret],
};
