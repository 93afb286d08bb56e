// An ssh repository: a folder on the zone's backup host. PostgreSQL hosts reach it
// through pgBackRest's own SSH (repoN-host); the backup host reads and writes it locally.
import type { RepoType } from './types.js';
import { repoPrefix } from './types.js';

export const sshRepoType: RepoType = {
  name: 'ssh',
  describe: 'a dedicated backup host per zone',
  // The folder on the backup host is what pgBackRest there calls posix, its default type.
  pgbackrestType: 'posix',
  folderOn: 'backup',
  locationOptions(repo, { host, backupHost, userOf }) {
    const p = repoPrefix(repo);
    if (host.role === 'backup' || !backupHost) return [];
    return [
      [`${p}host`, backupHost.name],
      ...(backupHost.sshPort === 22 ? [] : [[`${p}host-port`, backupHost.sshPort] as [string, number]]),
      [`${p}host-user`, userOf(backupHost)],
    ];
  },
  // repoN-hardlink as on the backup host, where the backup command reads it: the role
  // writes it on both, so a zone it set up reads the same to bsync.
  backupOptions: (repo) => [[`${repoPrefix(repo)}hardlink`, 'y']],
  secrets: () => [],
};
