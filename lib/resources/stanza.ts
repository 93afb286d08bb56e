// The stanza in the repository and its first full backup, run from the host that owns
// the repository. Both are decided from the repository's own state, so an apply that
// was interrupted after stanza-create still takes its backup next time.
import { shq } from '../transport/shell.js';
import type { RepoFacts } from '../facts/types.js';
import type { Change } from './types.js';

export function planStanza(stanza: string, user: string, repo: RepoFacts | undefined): Change | null {
  if (repo?.backupInfoExists) return null;
  return {
    action: 'create',
    reason: 'the repository holds no backup.info for this stanza',
    steps: [{ user, command: `pgbackrest --stanza=${shq(stanza)} --log-level-console=warn stanza-create` }],
  };
}

function hasValidBackup(repo: RepoFacts | undefined): boolean {
  return (repo?.backups ?? []).some((backup) => !backup.error);
}

export function planFirstBackup(stanza: string, user: string, repo: RepoFacts | undefined): Change | null {
  if (hasValidBackup(repo)) return null;
  // info could not be read but backup.info is there: do not guess, take no second backup.
  if (repo?.backupInfoExists && repo.statusCode === null) return null;
  return {
    action: 'create',
    reason: 'the stanza holds no valid backup yet',
    fields: [{ name: 'type', after: 'full' }],
    steps: [
      { user, command: `pgbackrest --stanza=${shq(stanza)} --log-level-console=warn check` },
      { user, command: `pgbackrest --stanza=${shq(stanza)} --log-level-console=warn --type=full backup` },
    ],
  };
}
