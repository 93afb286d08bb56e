// Everything a zone's backup host gets (docs/resources.md, "Backup hosts"): the repository user and folder,
// SSH trust (or TLS, transport = "tls") with every PostgreSQL host, pgbackrest.conf listing them, .pgpass, the
// stanza and its first full backup, and the backup schedule.
import { backupProcesses } from './processes.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import { planOsUser } from '../resources/os-user.js';
import { resourceAddress, type ResourceKind, type ResourceRef } from '../resources/types.js';
import { backupsPart, reachedHostsReady, zonePrimary } from './backups.js';
import type { StanzaSecrets } from './cipher.js';
import { repoFilesPart } from './repo-files.js';
import { HostResources } from './builder.js';
import { addHostConf, pgbackrestFilesPart, pgpassPart } from './pgbackrest-files.js';
import { declarePart } from './part.js';
import { sshPart, userGroup } from './ssh-resources.js';
import { readsSourceNow, repoReaders } from './source-repo.js';
import { tlsPart, tlsServersOf, zoneTls } from './tls.js';
import type { FactsByHost, Zone } from './zone.js';

/**
 * The parts a zone's backup host has, each with what it reads: the one declaration its
 * resources are added from (backupHostResources) and its probe's needs are added up from (lib/desired/needs.ts).
 */
export function backupHostParts(inventory: Inventory, zone: Zone, host: HostSpec) {
  const user = pgbackrestUser(inventory, host);
  const tls = zoneTls(inventory, zone);
  return {
    user: osUserPart(user),
    repos: repoFilesPart(inventory, host),
    tls: tls ? tlsPart(tls, user) : undefined,
    ssh: tls ? undefined : sshPart(inventory, user, zone.postgresHosts),
    files: pgbackrestFilesPart(user),
    pgpass: pgpassPart(inventory, user),
    backups: backupsPart(inventory, zone, user),
  };
}

/** The OS user pgBackRest runs as: its entry read. */
const osUserPart = (user: string) =>
  declarePart('the OS user', [read.user(user)], {
    add: (out: HostResources, facts: HostFacts) =>
      out.add('os_user', user, `user ${user}`, planOsUser(user, facts.users[user])),
  });

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
  const parts = backupHostParts(inventory, zone, host);
  const user = pgbackrestUser(inventory, host);
  const group = userGroup(hostFacts, user);

  const osUser = parts.user.add(out, hostFacts);
  const repoDirs = parts.repos.addFolders(out, hostFacts, user, group, [osUser]);
  // Other zones' servers that read this repository now (lib/desired/source-repo.ts), let in one way.
  const readers = repoReaders(inventory, zone, facts);
  const oneWay = readers.length ? { authorized: readers } : undefined;
  const ssh = parts.ssh && sshReach(parts.ssh.add(out, hostFacts, facts, osUser, oneWay), inventory, zone);
  const { confDir, logDir } = parts.files.addDirs(out, hostFacts, group, [osUser]);
  const repoFiles = parts.repos.addFiles(out, hostFacts, confDir, { user, group }, [osUser]);
  const context = { inventory, zone, host, facts, secrets };
  const conf = addHostConf(out, parts.files, context, {
    group,
    stanza: { hosts: zone.postgresHosts, local: null },
    after: [confDir, osUser, ...repoFiles],
  });
  const reach =
    ssh ?? tlsReach(parts.tls!.add(out, hostFacts, host, group, { confDir, conf, logDir, user: osUser }), zone);

  parts.pgpass?.add(
    out,
    hostFacts,
    group,
    zone.postgresHosts.map((pgHost) => ({ host: pgHost.name, port: pgHost.pgPort })),
    [reach.ready],
  );

  // stanza-create reads every PostgreSQL host through SSH or TLS: it waits for both ends to be
  // configured and trusting each other (or serving TLS). The first backup also needs WAL archiving in
  // effect on every PostgreSQL host (check runs first).
  // A zone whose server reads another zone's repository has no primary to back up yet: no
  // stanza, backup or job (one left from before is removed).
  if (readsSourceNow(inventory, zone, facts)) {
    const none = { stanzaAfter: [], firstBackupAfter: [], backupOptions: [] };
    parts.backups.add(out, hostFacts, { ...none, ownsStanza: false, noJobs: true, cronAfter: [osUser] });
    return out;
  }
  const onPostgres = (kind: ResourceKind, name?: string) =>
    zone.postgresHosts.map((pgHost) => resourceAddress(pgHost.name, kind, name));
  parts.backups.add(out, hostFacts, {
    ownsStanza: true,
    stanzaAfter: [
      conf,
      ...repoDirs,
      logDir,
      ...reach.stanzaAfter,
      ...reachedHostsReady(inventory, zone.postgresHosts, !parts.tls),
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
  ssh: { keypair: ResourceRef; authorizedKeys: ResourceRef; knownHosts: ResourceRef },
  inventory: Inventory,
  zone: Zone,
): Reach {
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
function tlsReach(server: ResourceRef, zone: Zone): Reach {
  return { ready: server, stanzaAfter: [server, ...tlsServersOf(zone.postgresHosts)], firstBackupAfter: [] };
}
