// The stanza in the repositories and each one's first full backup, run from the host where
// backups run. Both are decided from the repositories' own state, so an apply that was
// interrupted after stanza-create still takes its backups next time.
import { shq } from '../formats/shell.js';
import type { RepoFacts } from '../facts/types.js';
import type { Change } from './types.js';
import type { NeedsPart } from '../facts/needs.js';

/** stanza-create makes the stanza in every repository at once (it takes no --repo). */
export function planStanza(stanza: string, user: string, repos: RepoFacts[]): Change | null {
  const missing = repos.filter((repo) => !repo.backupInfoExists);
  // A repository that could not be read may hold the stanza: stanza-create would fail on it,
  // and the health check names it; the others already have what they need or wait for it.
  if (missing.length === 0 || repos.some((repo) => repo.unreadable)) return null;
  return {
    action: 'create',
    reason:
      repos.length === 1
        ? 'the repository holds no backup.info for this stanza'
        : `${missing.map((repo) => `repo${repo.key}`).join(' and ')} ${missing.length === 1 ? 'holds' : 'hold'} no backup.info for this stanza`,
    steps: [{ user, command: `pgbackrest --stanza=${shq(stanza)} --log-level-console=warn stanza-create` }],
  };
}

function hasValidBackup(repo: RepoFacts | undefined): boolean {
  return (repo?.backups ?? []).some((backup) => !backup.error);
}

/** `--repo=N` when the stanza has several repositories: each backup names where it goes. */
export function repoFlag(key: number, several: boolean): string {
  return several ? ` --repo=${key}` : '';
}

export function planFirstBackup(
  stanza: string,
  user: string,
  repo: RepoFacts | undefined,
  key = 1,
  several = false,
): Change | null {
  if (hasValidBackup(repo)) return null;
  // info could not be read but backup.info is there, or the repository did not answer: do not guess, take no second backup.
  if (repo?.backupInfoExists && repo.statusCode === null) return null;
  if (repo?.unreadable) return null;
  return {
    action: 'create',
    reason: several ? `repo${key} holds no valid backup of the stanza yet` : 'the stanza holds no valid backup yet',
    fields: [{ name: 'type', after: 'full' }],
    steps: [
      { user, command: `pgbackrest --stanza=${shq(stanza)} --log-level-console=warn check` },
      {
        user,
        command: `pgbackrest --stanza=${shq(stanza)}${repoFlag(key, several)} --log-level-console=warn --type=full backup`,
      },
    ],
  };
}

/** stanza and first_backup: what each repository holds (pgbackrest info). */
export const stanzaNeeds: NeedsPart = { repos: true };
