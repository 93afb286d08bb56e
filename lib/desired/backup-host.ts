// Everything a zone's backup host gets (docs/resources.md, "Backup hosts"): the repository user and folder,
// SSH trust with every PostgreSQL host, pgbackrest.conf listing them, .pgpass, the
// stanza and its first full backup, and the backup schedule.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { PGBACKREST_LOG_DIR, pgpassPath } from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { desiredCrontab, planCrontab } from '../resources/crontab.js';
import { planDirectory } from '../resources/directory.js';
import { planOsUser } from '../resources/os-user.js';
import { planPgpass } from '../resources/pgpass.js';
import { planFirstBackup, planStanza } from '../resources/stanza.js';
import { resourceAddress, type Part, type ResourceKind, type ResourceRef } from '../resources/types.js';
import { HostResources } from './builder.js';
import { addPgbackrestConf, addPgbackrestDirs } from './pgbackrest-files.js';
import { globalSection, stanzaSection } from './pgbackrest.js';
import { absolutePath, addSshResources, userGroup } from './ssh-resources.js';
import type { FactsByHost, Zone } from './zone.js';

function backupCommands(stanza: string): { full: string; diff: string } {
  return {
    full: `pgbackrest --stanza=${stanza} --type=full backup`,
    diff: `pgbackrest --stanza=${stanza} --type=diff backup`,
  };
}

export function backupHostResources(
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: FactsByHost,
  cipherPass: Part | null,
  cipherAddress?: ResourceRef,
): HostResources {
  const hostFacts = facts.get(host.name) as HostFacts;
  const out = new HostResources(host.name);
  const user = pgbackrestUser(inventory, host);
  const group = userGroup(hostFacts, user);

  const osUser = out.add('os_user', user, `user ${user}`, planOsUser(user, hostFacts.users[user]));
  const repoDir = out.add(
    'directory',
    inventory.repo.path,
    inventory.repo.path,
    planDirectory(
      { path: inventory.repo.path, owner: user, group, mode: '0750' },
      hostFacts.files[inventory.repo.path],
    ),
    [osUser],
  );
  const ssh = addSshResources(
    out,
    hostFacts,
    user,
    zone.postgresHosts.map((pgHost) => ({
      host: pgHost.name,
      address: pgHost.address,
      port: pgHost.sshPort,
      user: pgbackrestUser(inventory, pgHost),
      facts: facts.get(pgHost.name),
    })),
    osUser,
  );

  const { confDir, logDir } = addPgbackrestDirs(out, hostFacts, user, group, [osUser]);
  const conf = addPgbackrestConf(
    out,
    hostFacts,
    group,
    [
      globalSection(inventory, cipherPass, [['repo1-hardlink', 'y']]),
      stanzaSection(inventory, zone, zone.postgresHosts, facts, true),
    ],
    [confDir, osUser, cipherAddress],
  );

  const { backupUser } = inventory;
  if (backupUser.enabled && backupUser.password) {
    const pgpass = absolutePath(pgpassPath(user), hostFacts, user);
    out.add(
      'pgpass',
      user,
      pgpass,
      planPgpass(
        { path: pgpass, owner: user, group },
        hostFacts.files[pgpassPath(user)],
        zone.postgresHosts.map((pgHost) => ({ host: pgHost.name, port: pgHost.pgPort })),
        backupUser.name,
        backupUser.password,
      ),
      [ssh.knownHosts],
    );
  }

  // stanza-create reads every PostgreSQL host through SSH: it waits for both ends to be
  // configured and trusting each other, and for every settings change and restart there
  // (a server restarting answers "unable to find primary cluster"). The first backup also
  // needs WAL archiving in effect on every PostgreSQL host (check runs first).
  const onPostgres = (kind: ResourceKind, name?: string) =>
    zone.postgresHosts.map((pgHost) => resourceAddress(pgHost.name, kind, name));
  const ofPgbackrestUser = (kind: ResourceKind) =>
    zone.postgresHosts.map((pgHost) => resourceAddress(pgHost.name, kind, pgbackrestUser(inventory, pgHost)));
  const stanza = out.add(
    'stanza',
    zone.stanza,
    `stanza ${zone.stanza}`,
    planStanza(zone.stanza, user, hostFacts.repo),
    [
      conf,
      repoDir,
      logDir,
      ssh.keypair,
      ssh.knownHosts,
      ...ofPgbackrestUser('authorized_keys'),
      ...onPostgres('pgbackrest_conf'),
      ...onPostgres('legacy_pgbackrest_conf'),
      ...onPostgres('directory', PGBACKREST_LOG_DIR),
      ...onPostgres('pg_reload'),
      ...onPostgres('pg_restart'),
    ],
  );
  const firstBackup = out.add(
    'first_backup',
    zone.stanza,
    `first full backup of ${zone.stanza}`,
    planFirstBackup(zone.stanza, user, hostFacts.repo),
    [
      stanza,
      ssh.authorizedKeys,
      ...ofPgbackrestUser('known_hosts'),
      ...onPostgres('pg_reload'),
      ...onPostgres('pg_restart'),
    ],
  );

  const schedule = backupCommands(zone.stanza);
  const crontab = hostFacts.crontabs[user] ?? null;
  out.add(
    'crontab',
    user,
    `crontab of ${user}`,
    planCrontab(
      user,
      crontab,
      desiredCrontab(
        crontab,
        [
          { schedule: inventory.schedule.full, command: schedule.full, id: `full:${zone.stanza}` },
          { schedule: inventory.schedule.diff, command: schedule.diff, id: `diff:${zone.stanza}` },
        ],
        zone.stanza,
      ),
    ),
    [firstBackup, osUser],
  );
  return out;
}
