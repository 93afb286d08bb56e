// Where a stanza's backups run, whatever the repositories: the stanza (stanza-create, every
// repository at once), each repository's first full backup, and a full, a diff and (when
// scheduled) an incr job per repository in the crontab of the user pgBackRest runs as. The backup host when the stanza
// has one; otherwise each PostgreSQL host, whose jobs do nothing on a standby.
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { HostFacts, PostgresFacts, RepoFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import { cronId, desiredCrontab, planCrontab, type DesiredCronEntry } from '../resources/crontab.js';
import { outdatedRepos, planFirstBackup, planStanza, repoFlag } from '../resources/stanza.js';
import { resourceAddress, type ResourceKind, type ResourceRef } from '../resources/types.js';
import { PGBACKREST_CONF_DIR, PGBACKREST_LOG_DIR } from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import { perRepo } from '../repositories/types.js';
import { shq } from '../formats/shell.js';
import { backupOutcomePath } from '../facts/outcomes.js';
import { planFile } from '../resources/file.js';
import { BACKUP_JOB_PATH, backupJobCommand, backupJobScript } from './backup-job.js';
import type { HostResources } from './builder.js';
import { declarePart } from './part.js';
import type { Zone } from './zone.js';

interface BackupPlace {
  /** Whether this host creates the stanza and takes the first backups (the backup host, or the zone's primary). */
  ownsStanza: boolean;
  /** What stanza-create waits for; the first backups wait for the stanza and `firstBackupAfter`. */
  stanzaAfter: Array<ResourceRef | undefined>;
  firstBackupAfter: Array<ResourceRef | undefined>;
  /** What the crontab waits for besides the first backups. */
  cronAfter: Array<ResourceRef | undefined>;
  /** The zone's primary's PostgreSQL facts: the database the stanza must be for (stanza-upgrade). */
  server?: PostgresFacts;
  /** A shell test that is true on a standby (PostgreSQL hosts without a backup host), so the job skips. */
  standbyTest?: string;
  /** The backups' own options: the processes they read with (lib/desired/processes.ts). */
  backupOptions: string[];
  /** No jobs (bsync's lines for the stanza removed): the zone has no primary to back up yet (lib/desired/source-repo.ts). */
  noJobs?: boolean;
}

/** The repository facts of each configured repository, repo1 first (none read yet: empty ones). */
function reposOf(inventory: Inventory, facts: HostFacts, stanza: string): RepoFacts[] {
  return inventory.repos.map(
    (repo) =>
      facts.repos?.find((entry) => entry.key === repo.key) ?? {
        key: repo.key,
        stanza,
        backupInfoExists: false,
        statusCode: null,
        statusMessage: 'not read',
        backups: [],
      },
  );
}

/** Where the stanza's backups run as `user`: they read the repositories (pgbackrest info), `user`'s crontab and the job script. */
export const backupsPart = (inventory: Inventory, zone: Zone, user: string) =>
  declarePart('backups', [read.repos, read.user(user), read.crontab(user), read.file(BACKUP_JOB_PATH)], {
    add: (out: HostResources, facts: HostFacts, place: BackupPlace) =>
      addBackups(out, inventory, zone, facts, { ...place, user }),
  });

function addBackups(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  facts: HostFacts,
  place: BackupPlace & { user: string },
): void {
  const several = inventory.repos.length > 1;
  const firstBackups: ResourceRef[] = [];
  if (place.ownsStanza) {
    const repos = reposOf(inventory, facts, zone.stanza);
    const outdated = outdatedRepos(repos, place.server);
    const stanza = out.add(
      'stanza',
      zone.stanza,
      `stanza ${zone.stanza}`,
      planStanza(zone, place.user, repos, place.server),
      place.stanzaAfter,
    );
    for (const repo of inventory.repos) {
      firstBackups.push(
        out.add(
          'first_backup',
          perRepo(zone.stanza, repo),
          several ? `first full backup of ${zone.stanza} in repo${repo.key}` : `first full backup of ${zone.stanza}`,
          planFirstBackup(
            zone,
            place.user,
            repos.find((entry) => entry.key === repo.key),
            repo.key,
            several,
            outdated.some((entry) => entry.key === repo.key),
            place.backupOptions,
          ),
          [stanza, ...place.firstBackupAfter],
        ),
      );
    }
  }
  const entries = place.noJobs ? [] : cronEntries(inventory, zone, place.standbyTest, place.backupOptions);
  const crontab = facts.crontabs[place.user] ?? null;
  out.add(
    'crontab',
    place.user,
    `crontab of ${place.user}`,
    planCrontab(place.user, crontab, desiredCrontab(crontab, entries, zone.stanza)),
    [addBackupJob(out, facts), ...firstBackups, ...place.cronAfter],
  );
}

/** The job script the crontab lines call: root's, read and run by the job's user. */
function addBackupJob(out: HostResources, facts: HostFacts): ResourceRef {
  return out.add(
    'backup_job',
    undefined,
    BACKUP_JOB_PATH,
    planFile(
      { path: BACKUP_JOB_PATH, owner: 'root', group: 'root', mode: '0755', content: [backupJobScript()] },
      facts.files[BACKUP_JOB_PATH],
    ),
    [out.address('directory', PGBACKREST_CONF_DIR)],
  );
}

/**
 * The full, diff and (where a schedule asks for one: without it the crontab is what it
 * always was) incr job of each repository, each run by the job script (`scheduledBackup`).
 */
function cronEntries(
  inventory: Inventory,
  zone: Zone,
  standby: string | undefined,
  options: string[],
): DesiredCronEntry[] {
  const several = inventory.repos.length > 1;
  return inventory.repos.flatMap((repo) =>
    (['full', 'diff', 'incr'] as const).flatMap((type) => {
      const schedule = repo.schedule[type];
      if (schedule === undefined) return [];
      const backup = [
        `${zone.pgbackrest} --stanza=${shq(zone.stanza)}${repoFlag(repo.key, several)}`,
        ...options,
        `--type=${type} backup`,
      ].join(' ');
      const command = scheduledBackup(zone.stanza, type, backup, repo.key);
      return [
        { schedule, command: standby ? `${standby} || ${command}` : command, id: cronId(type, zone.stanza, repo.key) },
      ];
    }),
  );
}

/** The file a stanza's scheduled backups lock, one at a time: in pgBackRest's log folder, which bsync keeps owned by the user that runs them. */
export const backupLockPath = (stanza: string) => `${PGBACKREST_LOG_DIR}/${stanza}.bsync-backup.lock`;

/** A scheduled backup's crontab command: the job script (lib/desired/backup-job.ts) with the job's outcome file and the stanza's lock. */
export function scheduledBackup(stanza: string, type: string, backup: string, repoKey = 1): string {
  return backupJobCommand(backupOutcomePath(stanza, type, repoKey), backupLockPath(stanza), backup);
}

/**
 * What a backup host, or a primary reading a standby, waits for on the PostgreSQL hosts it
 * reaches over SSH before stanza-create (which reads every one): its key in their
 * authorized_keys, their pgBackRest set up, and their settings changes and restarts done
 * (a server restarting answers "unable to find primary cluster").
 */
export function reachedHostsReady(inventory: Inventory, hosts: HostSpec[], overSsh = true): ResourceRef[] {
  const on = (kind: ResourceKind, name?: (host: HostSpec) => string) =>
    hosts.map((host) => resourceAddress(host.name, kind, name?.(host)));
  return [
    // Over TLS (transport = "tls") there is no key to wait for: the TLS servers' readiness is the caller's.
    ...(overSsh ? on('authorized_keys', (host) => pgbackrestUser(inventory, host)) : []),
    ...on('pgbackrest_conf'),
    ...on('legacy_pgbackrest_conf'),
    ...on('directory', () => PGBACKREST_LOG_DIR),
    ...on('pg_reload'),
    ...on('pg_restart'),
  ];
}

/**
 * The host that creates the stanza and takes the first backup without a backup host: the
 * zone's primary (the first PostgreSQL host not in recovery), so the choice follows the
 * cluster, not the config order.
 */
export function zonePrimary(hosts: HostSpec[], facts: Map<string, HostFacts>): HostSpec | undefined {
  return hosts.find((host) => facts.get(host.name)?.postgres?.running && !facts.get(host.name)?.postgres?.inRecovery);
}

/**
 * True on a standby, so its jobs exit 0 without trying; on the primary (or when the server
 * does not answer) pgBackRest runs, so its failures reach cron's mail and log.
 */
export function standbyTest(host: HostSpec, pg: PostgresFacts | undefined): string {
  // cron's PATH is minimal and PGDG's psql is off it: the running server's own psql.
  const psql = pg?.binDir ? shq(`${pg.binDir}/psql`) : 'psql';
  return `[ "$(${psql} -XAtq -p ${host.pgPort} -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]`;
}
