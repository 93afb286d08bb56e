// A posix repository: a folder on the PostgreSQL hosts themselves (a local disk for a
// single host, or a share such as NFS that every host of the zone mounts at the path).
// posix is pgBackRest's default type, so its conf holds only repoN-path.
import type { RepoType } from './types.js';

export const posixRepoType: RepoType = {
  name: 'posix',
  describe: 'a folder on the PostgreSQL hosts (a local disk, or a share every host of the zone mounts)',
  defaultPath: '/var/lib/pgbackrest',
  folderOn: 'postgres',
  locationOptions: () => [],
  secrets: () => [],
};
