// The stanza in the repositories and each one's first full backup, run from the host where
// backups run. Both are decided from the repositories' own state, so an apply that was
// interrupted after stanza-create still takes its backups next time.
import { shq } from '../formats/shell.js';
import { serverMajor } from '../facts/postgres.js';
import type { PostgresFacts, RepoFacts, StanzaDatabase } from '../facts/types.js';
import type { Change } from './types.js';

/** The database a running server is, as pgBackRest names it in backup.info. */
function serverDatabase(server: PostgresFacts | undefined): Omit<StanzaDatabase, 'id'> | null {
  if (!server?.running || !server.systemId || !server.versionNum) return null;
  return { version: String(serverMajor(server)), systemId: server.systemId };
}

const described = (db: Omit<StanzaDatabase, 'id'>) => `PostgreSQL ${db.version} (system identifier ${db.systemId})`;

/**
 * The repositories whose stanza is for another database than the zone's primary is now:
 * after a major upgrade (dump and restore, pg_upgrade) or a new initdb. stanza-upgrade adds
 * the new one; until then archive-push and backup refuse the server.
 */
export function outdatedRepos(repos: RepoFacts[], server: PostgresFacts | undefined): RepoFacts[] {
  const now = serverDatabase(server);
  if (!now) return [];
  return repos.filter(
    (repo) =>
      repo.backupInfoExists
      && repo.database !== undefined
      && (repo.database.version !== now.version || repo.database.systemId !== now.systemId),
  );
}

/**
 * stanza-create makes the stanza in every repository at once (it takes no --repo), and so
 * does stanza-upgrade; `server` is the zone's primary, whose database the stanza must be for.
 */
/** A stanza and the word its pgbackrest commands start with (lib/desired/zone.ts `pgbackrest`). */
export interface StanzaCommands {
  stanza: string;
  pgbackrest: string;
}

export function planStanza(
  { stanza, pgbackrest }: StanzaCommands,
  user: string,
  repos: RepoFacts[],
  server?: PostgresFacts,
): Change | null {
  const missing = repos.filter((repo) => !repo.backupInfoExists);
  // A repository that could not be read may hold the stanza: stanza-create would fail on it,
  // and the health check names it; the others already have what they need or wait for it.
  if (repos.some((repo) => repo.unreadable)) return null;
  const outdated = outdatedRepos(repos, server);
  const now = serverDatabase(server);
  if (outdated.length > 0 && now && missing.length === 0) {
    const was = outdated[0].database as StanzaDatabase;
    return {
      action: 'update',
      reason: `the stanza is for ${described(was)} and the server is now ${described(now)}: stanza-upgrade adds the new database (the old one's backups stay, restorable to ${was.version}, until retention expires them)`,
      fields: [{ name: 'database', before: described(was), after: described(now) }],
      steps: [{ user, command: `${pgbackrest} --stanza=${shq(stanza)} --log-level-console=warn stanza-upgrade` }],
    };
  }
  if (missing.length === 0) return null;
  return {
    action: 'create',
    reason:
      repos.length === 1
        ? 'the repository holds no backup.info for this stanza'
        : `${missing.map((repo) => `repo${repo.key}`).join(' and ')} ${missing.length === 1 ? 'holds' : 'hold'} no backup.info for this stanza`,
    // A host that had no pgbackrest.conf could not ask the repository (an object store seen
    // from a new server after a major upgrade): stanza-create then meets the old database's
    // stanza and refuses, and the next plan, which can ask, shows stanza-upgrade with both.
    steps: [
      {
        user,
        command: `${pgbackrest} --stanza=${shq(stanza)} --log-level-console=warn stanza-create || { echo ${shq(
          'if the repository holds this stanza for another database (after a major upgrade or a new initdb), bsync plan now shows stanza-upgrade naming both',
        )} >&2; exit 1; }`,
      },
    ],
  };
}

/** A backup that did not fail, of the database the stanza is for now. */
function hasValidBackup(repo: RepoFacts | undefined): boolean {
  const current = repo?.database?.id;
  return (repo?.backups ?? []).some(
    (backup) =>
      !backup.error && (current === undefined || backup.databaseId === undefined || backup.databaseId === current),
  );
}

/** `--repo=N` when the stanza has several repositories: each backup names where it goes. */
export function repoFlag(key: number, several: boolean): string {
  return several ? ` --repo=${key}` : '';
}

export function planFirstBackup(
  commands: StanzaCommands,
  user: string,
  repo: RepoFacts | undefined,
  key = 1,
  several = false,
  upgrading = false,
  /** The backup's own options (its processes). */
  options: string[] = [],
): Change | null {
  if (upgrading) {
    return {
      action: 'create',
      reason: `after stanza-upgrade ${several ? `repo${key}` : 'the stanza'} holds no backup of the new database yet`,
      fields: [{ name: 'type', after: 'full' }],
      steps: firstBackupSteps(commands, user, key, several, options),
    };
  }
  if (hasValidBackup(repo)) return null;
  // info could not be read but backup.info is there, or the repository did not answer: do not guess, take no second backup.
  if (repo?.backupInfoExists && repo.statusCode === null) return null;
  if (repo?.unreadable) return null;
  return {
    action: 'create',
    reason: several ? `repo${key} holds no valid backup of the stanza yet` : 'the stanza holds no valid backup yet',
    fields: [{ name: 'type', after: 'full' }],
    steps: firstBackupSteps(commands, user, key, several, options),
  };
}

/**
 * `check` first, for an early and clear failure when archiving does not work, but only with
 * one repository: check takes no --repo and waits for WAL in every repository, so one that
 * is unreachable would keep the others from their first backup. The backup itself waits for
 * its own WAL in the repository it writes, which proves that one's archiving.
 */
function firstBackupSteps(
  { stanza, pgbackrest }: StanzaCommands,
  user: string,
  key: number,
  several: boolean,
  options: string[],
) {
  return [
    ...(several ? [] : [{ user, command: `${pgbackrest} --stanza=${shq(stanza)} --log-level-console=warn check` }]),
    {
      user,
      command: [
        `${pgbackrest} --stanza=${shq(stanza)}${repoFlag(key, several)} --log-level-console=warn`,
        ...options,
        '--type=full backup',
      ].join(' '),
    },
  ];
}
