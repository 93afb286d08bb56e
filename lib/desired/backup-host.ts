// Everything a zone's backup host gets (docs/resources.md, "Backup hosts"): the repository user and folder,
// SSH trust (or TLS, transport = "tls") with every PostgreSQL host, pgbackrest.conf listing them, .pgpass, the
// stanza and its first full backup, and the backup schedule.
import { backupProcesses } from './processes.js';
import type { HostSpec, Inventory, TlsSettings } from '../config/inventory.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { needsOf, type FactNeeds } from '../facts/needs.js';
import { osUserNeeds, planOsUser } from '../resources/os-user.js';
import { resourceAddress, type ResourceKind, type ResourceRef } from '../resources/types.js';
import { addBackups, backupsNeeds, reachedHostsReady, zonePrimary } from './backups.js';
import type { StanzaSecrets } from './cipher.js';
import { addRepoFiles, addRepoFolders, repoFilesNeeds } from './repo-files.js';
import { HostResources } from './builder.js';
import {
  addPgbackrestConf,
  addPgbackrestDirs,
  addPgpass,
  addPgpassNeeds,
  pgbackrestFilesNeeds,
} from './pgbackrest-files.js';
import { confSections, globalSection, stanzaSection } from './pgbackrest.js';
import { addSshResources, sshPeer, sshResourcesNeeds, userGroup } from './ssh-resources.js';
import { addTlsResources, tlsNeeds, tlsServersOf, zoneTls } from './tls.js';
import type { FactsByHost, Zone } from './zone.js';

/** The facts backupHostResources reads of the host, along the same decisions (lib/desired/needs.ts). */
export function backupHostNeeds(inventory: Inventory, host: HostSpec): FactNeeds {
  const user = pgbackrestUser(inventory, host);
  return needsOf([
    osUserNeeds(user),
    ...repoFilesNeeds(inventory, host),
    ...(inventory.tls ? tlsNeeds(user) : sshResourcesNeeds(user)),
    ...pgbackrestFilesNeeds(user),
    ...addPgpassNeeds(inventory, user),
    ...backupsNeeds(user),
  ]);
}

/** The zone's primary's PostgreSQL facts, when one answers. */
function primaryFacts(zone: Zone, facts: FactsByHost) {
  const primary = zonePrimary(zone.postgresHosts, facts);
  return primary ? facts.get(primary.name)?.postgres : undefined;
}

export function backupHostResources(
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

  const osUser = out.add('os_user', user, `user ${user}`, planOsUser(user, hostFacts.users[user]));
  const repoDirs = addRepoFolders(out, inventory, host, hostFacts, user, group, [osUser]);
  const tls = zoneTls(inventory, zone);
  const ssh = tls ? undefined : sshReach(out, inventory, zone, facts, user, osUser);
  const { confDir, logDir } = addPgbackrestDirs(out, hostFacts, user, group, [osUser]);
  const repoFiles = addRepoFiles(out, inventory, hostFacts, confDir, { user, group }, [osUser]);
  const conf = addPgbackrestConf(
    out,
    hostFacts,
    group,
    confSections(
      inventory,
      globalSection(inventory, zone, host, secrets.passes, hostFacts.pgbackrestVersion ?? null),
      stanzaSection(inventory, zone, zone.postgresHosts, facts, null),
    ),
    [confDir, osUser, ...repoFiles, ...secrets.generators],
  );
  const reach =
    ssh ?? tlsReach(out, tls!, zone, host, hostFacts, { user, group }, { confDir, conf, logDir, user: osUser });

  addPgpass(
    out,
    inventory,
    hostFacts,
    user,
    group,
    zone.postgresHosts.map((pgHost) => ({ host: pgHost.name, port: pgHost.pgPort })),
    [reach.ready],
  );

  // stanza-create reads every PostgreSQL host through SSH or TLS: it waits for both ends to be
  // configured and trusting each other (or serving TLS). The first backup also needs WAL archiving in
  // effect on every PostgreSQL host (check runs first).
  const onPostgres = (kind: ResourceKind, name?: string) =>
    zone.postgresHosts.map((pgHost) => resourceAddress(pgHost.name, kind, name));
  addBackups(out, inventory, zone, hostFacts, {
    ownsStanza: true,
    user,
    stanzaAfter: [
      conf,
      ...repoDirs,
      logDir,
      ...reach.stanzaAfter,
      ...reachedHostsReady(inventory, zone.postgresHosts, !tls),
    ],
    firstBackupAfter: [...reach.firstBackupAfter, ...onPostgres('pg_reload'), ...onPostgres('pg_restart')],
    cronAfter: [osUser],
    server: primaryFacts(zone, facts),
    backupOptions: backupProcesses(
      inventory,
      zone.postgresHosts.map((member) => facts.get(member.name)),
    ).options,
  });
  return out;
}

/** What .pgpass, the stanza and the first backup wait for, of how the hosts reach each other. */
interface Reach {
  ready: ResourceRef;
  stanzaAfter: ResourceRef[];
  firstBackupAfter: ResourceRef[];
}

/** SSH trust with every PostgreSQL host of the zone, both ways. */
function sshReach(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  facts: FactsByHost,
  user: string,
  osUser: ResourceRef,
): Reach {
  const hostFacts = facts.get(out.host) as HostFacts;
  const peers = zone.postgresHosts.map((pgHost) => sshPeer(inventory, facts, pgHost));
  const ssh = addSshResources(out, hostFacts, user, peers, osUser);
  return {
    ready: ssh.knownHosts,
    stanzaAfter: [ssh.keypair, ssh.knownHosts],
    firstBackupAfter: [
      ssh.authorizedKeys,
      ...zone.postgresHosts.map((pgHost) =>
        resourceAddress(pgHost.name, 'known_hosts', pgbackrestUser(inventory, pgHost)),
      ),
    ],
  };
}

/** transport = "tls": this host's TLS server, and every PostgreSQL host's before the stanza. */
function tlsReach(
  out: HostResources,
  tls: TlsSettings,
  zone: Zone,
  host: HostSpec,
  hostFacts: HostFacts,
  owner: { user: string; group: string },
  after: { confDir: ResourceRef; conf: ResourceRef; logDir: ResourceRef; user: ResourceRef },
): Reach {
  const server = addTlsResources(out, tls, host, hostFacts, owner, after);
  return { ready: server, stanzaAfter: [server, ...tlsServersOf(zone.postgresHosts)], firstBackupAfter: [] };
}
