// An S3 repository: a bucket (and a path in it) every host of the stanza reaches itself.
// Its options are listed once: the lines of pgbackrest.conf and the location flags of
// `pgbackrest info` are both made from them. Secrets go to the conf file only.
import type { S3Repo } from '../config/inventory.js';
import type { RepoType } from './types.js';
import { repoPrefix, storageOptions } from './types.js';

const s3Of = (repo: { s3?: S3Repo }) => repo.s3 as S3Repo;

export const s3RepoType: RepoType = {
  name: 's3',
  locationOptions(repo) {
    const s3 = s3Of(repo);
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
  caCert: (repo) => s3Of(repo).caCert,
  secrets: (repo) => [s3Of(repo).key, s3Of(repo).keySecret],
};
