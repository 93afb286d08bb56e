// An S3 repository's pgBackRest options, listed once: the lines of pgbackrest.conf
// (desired/) and the location flags of `pgbackrest info` (facts/repo.ts) are both made
// from this table. Secrets go to the conf file only, never onto a command line.
import type { S3Repo, Secret } from '../config/inventory.js';
import { S3_CA_PATH } from '../facts/paths.js';

export type S3OptionValue = string | number | { secret: Secret };

/** The repo1-* options of an S3 repository, in the order pgbackrest.conf lists them. */
export function s3Options(s3: S3Repo): Array<[string, S3OptionValue]> {
  const options: Array<[string, S3OptionValue]> = [
    ['repo1-type', 's3'],
    ['repo1-s3-bucket', s3.bucket],
    ['repo1-s3-endpoint', s3.endpoint],
    ['repo1-s3-region', s3.region],
    ['repo1-s3-key', { secret: s3.key }],
    ['repo1-s3-key-secret', { secret: s3.keySecret }],
    ['repo1-s3-uri-style', s3.uriStyle],
  ];
  if (s3.port !== undefined) options.push(['repo1-storage-port', s3.port]);
  if (!s3.verifyTls) options.push(['repo1-storage-verify-tls', 'n']);
  if (s3.caCert !== undefined) options.push(['repo1-storage-ca-file', S3_CA_PATH]);
  return options;
}

/** The same options as `--key=value` flags, the secrets left out (pgBackRest reads them from the conf). */
export function s3Flags(s3: S3Repo): string[] {
  return s3Options(s3).flatMap(([key, value]) => (typeof value === 'object' ? [] : [`--${key}=${value}`]));
}
