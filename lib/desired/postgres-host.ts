// Everything a PostgreSQL host of a zone gets (docs/resources.md, "PostgreSQL hosts"), in dependency order.
import { backupRolePassword, type HostSpec, type Inventory } from '../config/inventory.js';
import { BsyncError, HostError } from '../errors.js';
import { asyncSpoolPath } from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { needsOf, type FactNeeds } from '../facts/needs.js';
import { directoryNeeds, planDirectory } from '../resources/directory.js';
import { redactConninfoPasswords } from '../formats/host-secrets.js';
import { planEditedFile } from '../resources/file.js';
import { desiredHba } from '../resources/pg-hba.js';
import { asAdoption } from '../resources/managed-lines.js';
import { planRole } from '../resources/pg-role.js';
import {
  editPostgresqlConf,
  postgresNeeds,
  overridesOf,
  planOverride,
  planReload,
  planRestart,
  psqlStep,
  settingsNotInEffect,
} from '../resources/pg-settings.js';
import { addBackups, backupsNeeds, standbyTest, zonePrimary } from './backups.js';
import type { StanzaSecrets } from './cipher.js';
import { addRepoCaFiles, addRepoFolders, repoFilesNeeds } from './repo-files.js';
import type { ResourceRef } from '../resources/types.js';
import { HostResources } from './builder.js';
import {
  addPgbackrestConf,
  addPgbackrestDirs,
  addPgpass,
  addPgpassNeeds,
  pgbackrestFilesNeeds,
} from './pgbackrest-files.js';
import {
  patroniNeeds,
  planPatroniConfig,
  planPatroniRestart,
  planSettingsArrive,
} from '../resources/patroni-config.js';
import { resourceAddress } from '../resources/types.js';
import { patroniYmlNeeds, planReplicaMethods } from '../resources/patroni-local.js';
import type { PostgresFacts } from '../facts/types.js';
import { checkServerVersion, serverLayout } from './layout.js';
import { serviceStep } from '../resources/pg-service.js';
import { confSections, globalSection, stanzaSection } from './pgbackrest.js';
import { addSshResources, sshResourcesNeeds, userGroup } from './ssh-resources.js';
import type { FactsByHost, Zone } from './zone.js';

function archiveSettings(stanza: string): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: `pgbackrest --stanza=${stanza} archive-push %p`,
    restore_command: `pgbackrest --stanza=${stanza} archive-get %f "%p"`,
  };
}

/** The address a PostgreSQL host sees the backup host connect from (pg_hba.conf): backup_address, else its address. */
function backupAddressSeenBy(host: HostSpec, backup: HostSpec): string {
  return host.backupAddress ?? backup.address;
}

/**
 * The facts postgresHostResources reads of the host, along the same decisions: what the
 * host's one probe script asks for (lib/desired/needs.ts).
 */
export function postgresHostNeeds(inventory: Inventory, zone: Zone, host: HostSpec): FactNeeds {
  const user = pgbackrestUser(inventory, host);
  const spool = asyncSpoolPath(inventory);
  return needsOf([
    ...(zone.backupHost ? sshResourcesNeeds(user) : []),
    ...pgbackrestFilesNeeds(user),
    ...(spool !== null ? [directoryNeeds(spool)] : []),
    ...repoFilesNeeds(inventory, host),
    // The settings, the backup role and pg_hba.conf are read from the server.
    postgresNeeds,
    ...(inventory.patroni ? [patroniNeeds] : []),
    ...(inventory.patroni?.createReplicaMethods ? [patroniYmlNeeds(inventory.patroni.config)] : []),
    ...addPgpassNeeds(inventory, user),
    ...(zone.backupHost ? [] : backupsNeeds(user)),
  ]);
}

export function postgresHostResources(
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: FactsByHost,
  secrets: StanzaSecrets,
): HostResources {
  const hostFacts = facts.get(host.name) as HostFacts;
  const out = new HostResources(host.name);
  const user = pgbackrestUser(inventory, host);
  const group = userGroup(hostFacts, user);
  const backup = zone.backupHost;
  const pg = hostFacts.postgres;
  if (!pg?.running) {
    throw new HostError(host.name, `PostgreSQL does not answer on port ${host.pgPort}: ${pg?.error ?? 'no facts'}`, {
      hint: 'bsync reads the settings PostgreSQL runs with; start PostgreSQL and plan again.',
    });
  }
  checkServerVersion(inventory, host, pg);

  // SSH trust with the backup host (SSH repositories only).
  if (backup) {
    addSshResources(out, hostFacts, user, [
      {
        host: backup.name,
        address: backup.address,
        port: backup.sshPort,
        user: pgbackrestUser(inventory, backup),
        facts: facts.get(backup.name),
      },
    ]);
  }

  const { confDir, logDir } = addPgbackrestDirs(out, hostFacts, user, group);
  // archive-async: archive-push and archive-get queue WAL in the spool folder, as postgres.
  const spool = asyncSpoolPath(inventory);
  if (spool !== null) {
    out.add(
      'directory',
      spool,
      spool,
      planDirectory({ path: spool, owner: user, group, mode: '0750' }, hostFacts.files[spool]),
    );
  }
  const repoDirs = addRepoFolders(out, inventory, host, hostFacts, user, group);
  const caFiles = addRepoCaFiles(out, inventory, hostFacts, confDir);
  const conf = addPgbackrestConf(
    out,
    hostFacts,
    group,
    confSections(
      inventory,
      globalSection(inventory, zone, host, secrets.passes),
      stanzaSection(inventory, zone, [host], facts, false),
    ),
    [confDir, ...caFiles, ...secrets.generators],
  );

  // Archive settings (and, standalone, the hba rule) made effective; the same two addresses either way.
  const { reloaded, restarted } = inventory.patroni
    ? addPatroniSettings(out, inventory, zone, host, facts)
    : addStandaloneSettings(out, zone, host, hostFacts);
  // Replicas from the repository: each member's own patroni.yml, once pgBackRest can restore here.
  const methods = inventory.patroni?.createReplicaMethods;
  if (inventory.patroni && methods) {
    const path = inventory.patroni.config;
    out.add(
      'patroni_yml',
      path,
      `${path} (replica creation)`,
      planReplicaMethods(path, hostFacts.files[path], methods, zone.stanza, hostFacts.patroni?.scope ?? ''),
      [conf],
    );
  }

  // The backup role, its hba rule and .pgpass line.
  const { backupUser } = inventory;
  const password = backupRolePassword(inventory);
  if (password) {
    if (!pg.inRecovery) {
      out.add(
        'pg_role',
        backupUser.name,
        `role ${backupUser.name}`,
        planRole(
          {
            name: backupUser.name,
            password,
            port: host.pgPort,
            memberOf: pg.versionNum >= 150000 ? ['pg_checkpoint'] : [],
          },
          pg.roles[backupUser.name],
        ),
      );
    }
    if (backup && !inventory.patroni) {
      const hba = desiredHba(pg.hbaContent, backupUser.name, [
        { address: backupAddressSeenBy(host, backup), name: backup.name },
      ]);
      out.add(
        'pg_hba',
        undefined,
        pg.hbaFile,
        asAdoption(
          planEditedFile(pg.hbaFile, pg.hbaContent, hba.template, [
            psqlStep(host.pgPort, 'SELECT pg_reload_conf();\n'),
          ]),
          hba.adopted,
        ),
      );
    }
  }
  addPgpass(out, inventory, hostFacts, user, group, [{ host: 'localhost', port: host.pgPort }]);
  // Without a backup host, backups run here: the zone's primary makes the stanza and first
  // backups (stanza-create talks to the running server: it waits for every settings change
  // and restart), and every host gets jobs that do nothing on a standby.
  if (!backup) {
    const inEffect = [reloaded, restarted];
    addBackups(out, inventory, zone, hostFacts, {
      ownsStanza: zonePrimary(zone.postgresHosts, facts)?.name === host.name,
      user,
      stanzaAfter: [conf, logDir, ...repoDirs, ...inEffect],
      firstBackupAfter: inEffect,
      cronAfter: [conf, logDir, ...repoDirs],
      standbyTest: standbyTest(host, pg),
      server: pg,
    });
  }
  return out;
}

/** Standalone: postgresql.conf, overrides removed, then a reload or a restart. */
function addStandaloneSettings(
  out: HostResources,
  zone: Zone,
  host: HostSpec,
  hostFacts: HostFacts,
): { reloaded: ResourceRef; restarted: ResourceRef } {
  const pg = hostFacts.postgres as PostgresFacts;
  const desired = archiveSettings(zone.stanza);
  const pgConf = out.add(
    'postgresql_conf',
    undefined,
    pg.configFile,
    planEditedFile(
      pg.configFile,
      pg.configContent,
      [editPostgresqlConf(pg.configContent, desired)],
      [],
      redactConninfoPasswords,
    ),
  );
  const overrides = overridesOf(pg, desired).map((entry) =>
    out.add(
      'setting_override',
      `${entry.name}@${entry.sourcefile}:${entry.sourceline}`,
      `${entry.sourcefile}:${entry.sourceline}`,
      planOverride(entry, host.pgPort),
      [pgConf],
    ),
  );
  const { reload, restart } = settingsNotInEffect(pg, desired);
  const reloaded = out.add('pg_reload', undefined, 'settings in effect', planReload(reload, host.pgPort), [
    pgConf,
    ...overrides,
  ]);
  const restarted = out.add(
    'pg_restart',
    undefined,
    'settings that need a restart',
    planRestart(restart, serviceStep(hostFacts.os, serverLayout(pg), 'restart')),
    [pgConf, ...overrides, reloaded],
  );
  return { reloaded, restarted };
}

/**
 * HA: Patroni's dynamic configuration, changed once per cluster from the current leader
 * (found from Patroni, not assumed), a restart through Patroni where archive_mode needs
 * it, and on every member a wait until it runs with the settings.
 */
function addPatroniSettings(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: FactsByHost,
): { reloaded: ResourceRef; restarted: ResourceRef } {
  const patroniConfig = inventory.patroni!.config;
  const members = zone.postgresHosts;
  const answering = members.filter((member) => facts.get(member.name)?.patroni?.dynamic);
  if (answering.length > 0 && answering.length < members.length) {
    const standalone = members.filter((member) => !answering.includes(member));
    throw new BsyncError(
      `zone ${zone.zone} mixes Patroni members (${answering.map((member) => member.name).join(', ')}) with hosts Patroni does not manage (${standalone.map((member) => member.name).join(', ')})`,
      {
        where: inventory.configPath,
        hint: 'bsync manages a zone either through Patroni or as standalone clusters: put the standalone hosts in a zone of their own config, or bring them under Patroni.',
      },
    );
  }
  for (const member of members) {
    const patroni = facts.get(member.name)?.patroni;
    if (!patroni?.dynamic) {
      throw new HostError(member.name, `Patroni does not answer: ${patroni?.errors.join('; ') || 'no facts'}`, {
        hint: `bsync reads the cluster's configuration with patronictl -c ${patroniConfig}; check that Patroni and its DCS run.`,
      });
    }
  }
  const patroni = facts.get(host.name)!.patroni!;
  const leader = members.find((member) =>
    patroni.members.some(
      (entry) => /leader/i.test(entry.role) && (entry.name === member.name || entry.host === member.address),
    ),
  );
  if (!leader)
    throw new HostError(
      host.name,
      `Patroni reports no leader among ${members.map((member) => member.name).join(', ')}`,
    );

  const desired = archiveSettings(zone.stanza);
  const configAddress = resourceAddress(leader.name, 'patroni_config', patroni.scope);
  const restartAddress = resourceAddress(leader.name, 'pg_restart');
  if (host.name === leader.name) {
    // One pg_hba for every member: each member's view of the backup host's address.
    const backup = zone.backupHost;
    const backupPeers = backup
      ? [...new Set(members.map((member) => backupAddressSeenBy(member, backup)))].map((address) => ({
          address,
          name: backup.name,
        }))
      : [];
    out.add(
      'patroni_config',
      patroni.scope,
      `dynamic configuration of ${patroni.scope}`,
      planPatroniConfig(
        {
          configPath: patroniConfig,
          parameters: { archive_mode: desired.archive_mode, archive_command: desired.archive_command },
          recoveryConf: { restore_command: desired.restore_command },
          pgHba: (current) =>
            desiredHba(
              current.length > 0 ? `${current.join('\n')}\n` : '',
              inventory.backupUser.name,
              inventory.backupUser.enabled ? backupPeers : [],
            ),
        },
        patroni.dynamic!,
      ),
    );
    const notOn = members.filter((member) => facts.get(member.name)?.postgres?.settings.archive_mode?.setting !== 'on');
    out.add(
      'pg_restart',
      undefined,
      `members that need a restart`,
      planPatroniRestart(
        patroniConfig,
        patroni.scope,
        notOn.length === 0
          ? []
          : [{ name: 'archive_mode', before: `off on ${notOn.map((member) => member.name).join(', ')}`, after: 'on' }],
      ),
      [configAddress],
    );
  }
  // Every member has its own pg_restart address, so other hosts can depend on "restarted" per member.
  const restarted =
    host.name === leader.name
      ? restartAddress
      : out.add('pg_restart', undefined, 'restarted through Patroni, from the leader', null, [restartAddress]);
  const pg = facts.get(host.name)!.postgres as PostgresFacts;
  const { reload, restart } = settingsNotInEffect(pg, {
    archive_mode: desired.archive_mode,
    archive_command: desired.archive_command,
  });
  const reloaded = out.add(
    'pg_reload',
    undefined,
    'settings in effect',
    planSettingsArrive(host.pgPort, { archive_mode: desired.archive_mode, archive_command: desired.archive_command }, [
      ...reload,
      ...restart,
    ]),
    [configAddress, restartAddress],
  );
  return { reloaded, restarted };
}
