// Everything a PostgreSQL host of a zone gets (docs/resources.md, "PostgreSQL hosts"), in dependency order.
import { backupProcesses } from './processes.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { asyncSpoolPath } from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import { needsOf, type FactNeeds } from '../facts/needs.js';
import { directoryNeeds, planDirectory } from '../resources/directory.js';
import { postgresNeeds } from '../resources/pg-settings.js';
import { patroniNeeds } from '../resources/patroni-config.js';
import { patroniYmlNeeds, planReplicaMethods } from '../resources/patroni-local.js';
import type { ResourceRef } from '../resources/types.js';
import { addBackupRole } from './backup-role.js';
import { addBackups, backupsNeeds, reachedHostsReady, standbyTest, zonePrimary } from './backups.js';
import { pgPeers } from './backup-from.js';
import { HostResources } from './builder.js';
import type { StanzaSecrets } from './cipher.js';
import { checkServerVersion, outsideDataDirectory } from './layout.js';
import { addPatroniSettings } from './patroni-settings.js';
import {
  addPgbackrestConf,
  addPgbackrestDirs,
  addPgpass,
  addPgpassNeeds,
  pgbackrestFilesNeeds,
} from './pgbackrest-files.js';
import { confSections, globalSection, stanzaSection } from './pgbackrest.js';
import { addRepoFiles, addRepoFolders, repoFilesNeeds } from './repo-files.js';
import { addSshResources, sshPeer, sshResourcesNeeds, userGroup } from './ssh-resources.js';
import { addStandaloneSettings } from './standalone-settings.js';
import { addTlsResources, tlsNeeds, zoneTls } from './tls.js';
import type { FactsByHost, Zone } from './zone.js';

/**
 * The facts postgresHostResources reads of the host, along the same decisions: what the
 * host's one probe script asks for (lib/desired/needs.ts).
 */
export function postgresHostNeeds(inventory: Inventory, zone: Zone, host: HostSpec): FactNeeds {
  const user = pgbackrestUser(inventory, host);
  const spool = asyncSpoolPath(inventory);
  return needsOf([
    ...(zoneTls(inventory, zone)
      ? tlsNeeds(user)
      : zone.backupHost || pgPeers(inventory, zone, host).length
        ? sshResourcesNeeds(user)
        : []),
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
  const pg = runningServer(inventory, host, hostFacts);

  // SSH trust with the backup host (SSH repositories; TLS instead with transport = "tls"), or
  // without one, when backups read a standby, with the zone's other PostgreSQL hosts (this one
  // runs the backup while primary).
  const peers = pgPeers(inventory, zone, host);
  const tls = zoneTls(inventory, zone);
  const trusted = tls ? [] : backup ? [backup] : peers;
  const ssh = trusted.length
    ? addSshResources(
        out,
        hostFacts,
        user,
        trusted.map((other) => sshPeer(inventory, facts, other)),
      )
    : undefined;

  const { confDir, logDir } = addPgbackrestDirs(out, hostFacts, user, group);
  addSpoolFolder(out, inventory, host, hostFacts, { user, group });
  const repoDirs = addRepoFolders(out, inventory, host, hostFacts, user, group);
  const repoFiles = addRepoFiles(out, inventory, hostFacts, confDir, { user, group });
  const conf = addPgbackrestConf(
    out,
    hostFacts,
    group,
    confSections(
      inventory,
      globalSection(inventory, zone, host, secrets.passes, hostFacts.pgbackrestVersion ?? null),
      stanzaSection(inventory, zone, [host, ...peers], facts, host),
    ),
    [confDir, ...repoFiles, ...secrets.generators],
  );
  if (tls) addTlsResources(out, tls, host, hostFacts, { user, group }, { confDir, conf, logDir });

  // Archive settings (and, standalone, the hba rule) made effective; the same two addresses either way.
  const { reloaded, restarted } = inventory.patroni
    ? addPatroniSettings(out, inventory, zone, host, facts)
    : addStandaloneSettings(out, zone, host, hostFacts);
  addReplicaMethods(out, inventory, zone, hostFacts, conf);

  // The backup role, its hba rule and .pgpass line.
  addBackupRole(out, inventory, host, pg, backup);
  addPgpass(out, inventory, hostFacts, user, group, [{ host: 'localhost', port: host.pgPort }]);
  // Without a backup host, backups run here: the zone's primary makes the stanza and first
  // backups (stanza-create talks to the running server: it waits for every settings change
  // and restart), and every host gets jobs that do nothing on a standby.
  if (!backup) {
    const inEffect = [reloaded, restarted];
    addBackups(out, inventory, zone, hostFacts, {
      ownsStanza: zonePrimary(zone.postgresHosts, facts)?.name === host.name,
      user,
      stanzaAfter: [
        conf,
        logDir,
        ...repoDirs,
        ...inEffect,
        // The standbys it reads are reached as a backup host reaches them.
        ...(ssh && peers.length ? [ssh.keypair, ssh.knownHosts, ...reachedHostsReady(inventory, peers)] : []),
      ],
      firstBackupAfter: inEffect,
      cronAfter: [conf, logDir, ...repoDirs],
      standbyTest: standbyTest(host, pg),
      server: pg,
      backupOptions: backupProcesses(
        inventory,
        zone.postgresHosts.map((member) => facts.get(member.name)),
      ).options,
    });
  }
  return out;
}

/** The server's facts, refused unless it answers with a version the config accepts: bsync reads the settings it runs with. */
function runningServer(inventory: Inventory, host: HostSpec, hostFacts: HostFacts): PostgresFacts {
  const pg = hostFacts.postgres;
  if (!pg?.running) {
    throw new HostError(host.name, `PostgreSQL does not answer on port ${host.pgPort}: ${pg?.error ?? 'no facts'}`, {
      hint: 'bsync reads the settings PostgreSQL runs with; start PostgreSQL and plan again.',
    });
  }
  checkServerVersion(inventory, host, pg);
  return pg;
}

/** archive-async: archive-push and archive-get queue WAL in the spool folder, as postgres (never in the data directory). */
function addSpoolFolder(
  out: HostResources,
  inventory: Inventory,
  host: HostSpec,
  hostFacts: HostFacts,
  { user, group }: { user: string; group: string },
) {
  const spool = asyncSpoolPath(inventory);
  if (spool !== null) {
    out.add(
      'directory',
      spool,
      spool,
      planDirectory(
        { path: outsideDataDirectory(host, hostFacts, spool, 'the spool folder'), owner: user, group, mode: '0750' },
        hostFacts.files[spool],
      ),
    );
  }
}

/** Replicas from the repository: each member's own patroni.yml, once pgBackRest can restore here. */
function addReplicaMethods(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  hostFacts: HostFacts,
  conf: ResourceRef,
): void {
  const methods = inventory.patroni?.createReplicaMethods;
  if (inventory.patroni && methods) {
    const path = inventory.patroni.config;
    out.add(
      'patroni_yml',
      path,
      `${path} (replica creation)`,
      planReplicaMethods(path, hostFacts.files[path], methods, zone, hostFacts.patroni?.scope ?? ''),
      [conf],
    );
  }
}
