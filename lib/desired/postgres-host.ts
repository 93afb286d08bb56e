// Everything a PostgreSQL host of a zone gets (docs/resources.md, "PostgreSQL hosts"), in dependency order.
import { backupProcesses } from './processes.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { asyncSpoolPath } from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import { planDirectory } from '../resources/directory.js';
import {
  planPatroniYml,
  planReplicaMethods,
  type PatroniYmlEntry,
  type ReplicaMethod,
} from '../resources/patroni-local.js';
import type { ResourceRef } from '../resources/types.js';
import { addBackupRole } from './backup-role.js';
import { declaredFromBackup, firstDataPart } from './first-data.js';
import { standbySiteOf, standbySitePart, standbySiteSettings, type StandbySite } from './standby-site.js';
import { formerConninfo, streamPart, type StreamSettings } from './streaming.js';
import { sharedFolderInfo, sourceBackupHost, trustReady } from './source-repo.js';
import { bootstrapRemoved, patroniFirstDataKey, patroniFirstDataPending } from './patroni-first-data.js';
import { backupsPart, reachedHostsReady, standbyTest, zonePrimary } from './backups.js';
import { pgPeers } from './backup-from.js';
import { HostResources } from './builder.js';
import type { StanzaSecrets } from './cipher.js';
import { checkServerVersion, outsideDataDirectory } from './layout.js';
import { addPatroniSettings } from './patroni-settings.js';
import { addHostConf, type ConfContext, pgbackrestFilesPart, pgpassPart } from './pgbackrest-files.js';
import { declarePart } from './part.js';
import { repoFilesPart } from './repo-files.js';
import { sshPart, userGroup } from './ssh-resources.js';
import { addStandaloneSettings } from './standalone-settings.js';
import { archiveSettings } from './archive-settings.js';
import { tlsPart, zoneTls } from './tls.js';
import type { FactsByHost, Zone } from './zone.js';

/**
 * The parts a PostgreSQL host of `zone` has, each with what it reads: the one declaration its
 * resources are added from (postgresHostResources) and its probe's needs are added up from (lib/desired/needs.ts).
 */
export function postgresHostParts(inventory: Inventory, zone: Zone, host: HostSpec) {
  const user = pgbackrestUser(inventory, host);
  const tls = zoneTls(inventory, zone);
  // SSH trust with the backup host (SSH repositories; TLS instead with transport = "tls"), or
  // without one, when backups read a standby, with the zone's other PostgreSQL hosts (this one
  // runs the backup while primary).
  const trusted = tls ? [] : zone.backupHost ? [zone.backupHost] : pgPeers(inventory, zone, host);
  // Reading another zone's ssh repository: that zone's backup host, one way.
  const source = sourceBackupHost(inventory, zone);
  const spool = asyncSpoolPath(inventory);
  const methods = inventory.patroni?.createReplicaMethods;
  const from = declaredFromBackup(inventory, zone, host);
  // A standby site has no backups, backup role or jobs of its own while it is one.
  const site = standbySiteOf(inventory, zone, host);
  const reads = from ?? site?.of;
  const firstData = reads && {
    key: from ? ('from_backup' as const) : ('standby_of' as const),
    zone: reads.zone,
    sees: sharedFolderInfo(inventory, reads.zone, reads.repo),
  };
  return {
    tls: tls ? tlsPart(tls, user) : undefined,
    ssh: trusted.length || source ? sshPart(inventory, user, trusted) : undefined,
    files: pgbackrestFilesPart(user),
    spool: spool !== null ? spoolPart(host, spool) : undefined,
    repos: repoFilesPart(inventory, host),
    server: serverPart(inventory, zone, host, site),
    replicaMethods:
      inventory.patroni && (methods || firstData)
        ? replicaMethodsPart(inventory.patroni.config, methods, firstData ? bootstrapRemoved() : [])
        : undefined,
    pgpass: site ? undefined : pgpassPart(inventory, user),
    // Without a backup host, backups run here.
    backups: zone.backupHost || site ? undefined : backupsPart(inventory, zone, user),
    firstData:
      firstData && host.pgData
        ? firstDataPart({ ...host, pgData: host.pgData }, firstData, inventory.patroni?.config)
        : undefined,
    standbySite: site ? standbySitePart(host, site) : undefined,
    stream: site?.of.stream ? streamPart(inventory, host, site) : undefined,
  };
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
  const parts = postgresHostParts(inventory, zone, host);
  // A standby site's host is planned as a host of the stanza it replays.
  const site = standbySiteOf(inventory, zone, host);
  const context = {
    inventory,
    zone: site?.view ?? zone,
    host,
    facts,
    secrets,
    source: sourceBackupHost(inventory, zone),
  };
  // A zone whose first data is still to come gets pgBackRest's setup, then the restore
  // (lib/recovery/first-data.ts), or under Patroni its bootstrap; the rest once its server runs.
  const patroniFirst = patroniFirstDataKey(inventory, zone);
  const pending = patroniFirst
    ? patroniFirstDataPending(zone, facts, patroniFirst)
    : parts.firstData?.pending(out, hostFacts);
  if (pending) {
    const { conf, logDir, repoDirs, ssh } = addPgbackrestSetup(out, readingSource(context), parts);
    const trust = ssh && context.source ? trustReady(inventory, context.source, ssh.knownHosts) : [];
    out.firstData = {
      ...{ zone, host, from: firstDataFrom(inventory, zone, site) },
      after: [conf, logDir, ...repoDirs, ...trust],
    };
    if (site) out.firstData.standby = true;
    if (patroniFirst) out.firstData.patroni = true;
    return out;
  }
  const pg = parts.server.running(out, hostFacts);
  parts.standbySite?.inRecovery(out, hostFacts);
  const { peers, ssh, logDir, repoDirs, conf, group } = addPgbackrestSetup(
    out,
    site ? readingSource(context) : { ...context, source: undefined },
    parts,
  );

  // A streaming standby site's .pgpass lines, and its primary_conninfo where the source's primary is known.
  const streaming = parts.stream?.add(out, hostFacts, facts);
  // Archive settings (and, standalone, the hba rule) made effective; the same two addresses either way.
  const { reloaded, restarted } = parts.server.settings(out, hostFacts, facts, streaming);
  parts.replicaMethods?.add(out, hostFacts, context.zone, conf);
  // A standby site's server is read-only, and runs no backups.
  if (site) return out;

  // The backup role, its hba rule and .pgpass line.
  parts.server.backupRole(out, hostFacts, pg);
  parts.pgpass?.add(out, hostFacts, group, [{ host: 'localhost', port: host.pgPort }]);
  // Without a backup host, backups run here: the zone's primary makes the stanza and first
  // backups (stanza-create talks to the running server: it waits for every settings change
  // and restart), and every host gets jobs that do nothing on a standby.
  const inEffect = [reloaded, restarted];
  parts.backups?.add(out, hostFacts, {
    ownsStanza: zonePrimary(zone.postgresHosts, facts)?.name === host.name,
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
  return out;
}

/** Where a pending first data comes from: from_backup, or a standby site's source at its newest WAL. */
function firstDataFrom(inventory: Inventory, zone: Zone, site: StandbySite | undefined) {
  return site
    ? { zone: site.of.zone, repo: site.of.repo, target: { type: 'latest' as const } }
    : inventory.fromBackup!.get(zone.zone)!;
}

/** A host's context; `source`: the source zone's backup host it reads through now (an ssh repository; lib/desired/source-repo.ts). */
type HostContext = ConfContext & { source?: HostSpec };

/** The host reads its source's repository now: through the source's backup host, where there is one. */
function readingSource(context: HostContext): HostContext {
  return context.source ? { ...context, zone: { ...context.zone, backupHost: context.source } } : context;
}

/** SSH trust, pgBackRest's folders and pgbackrest.conf, the repositories' files and TLS: what needs no running server. */
function addPgbackrestSetup(out: HostResources, context: HostContext, parts: ReturnType<typeof postgresHostParts>) {
  const { inventory, zone, host, facts, source } = context;
  const hostFacts = facts.get(host.name) as HostFacts;
  const user = pgbackrestUser(inventory, host);
  const group = userGroup(hostFacts, user);
  const peers = pgPeers(inventory, zone, host);
  const ssh = parts.ssh?.add(out, hostFacts, facts, undefined, source ? { known: [source] } : undefined);

  const { confDir, logDir } = parts.files.addDirs(out, hostFacts, group);
  parts.spool?.add(out, hostFacts, { user, group });
  const repoDirs = parts.repos.addFolders(out, hostFacts, user, group);
  const repoFiles = parts.repos.addFiles(out, hostFacts, confDir, { user, group });
  const conf = addHostConf(out, parts.files, context, {
    group,
    stanza: { hosts: [host, ...peers], local: host },
    after: [confDir, ...repoFiles],
  });
  parts.tls?.add(out, hostFacts, host, group, { confDir, conf, logDir });
  return { peers, ssh, confDir, logDir, repoDirs, conf, group };
}

/**
 * The running server, its archiving settings (through Patroni under [patroni]) and the backup
 * role: read from the server (settings, roles, pg_hba.conf), and from Patroni.
 */
const serverPart = (inventory: Inventory, zone: Zone, host: HostSpec, site?: StandbySite) =>
  declarePart('the server and its settings', [read.postgres, ...(inventory.patroni ? [read.patroni] : [])], {
    running: (_out: HostResources, hostFacts: HostFacts) => runningServer(inventory, host, hostFacts),
    // `streaming`: a streaming standby site's primary_conninfo (none while its source's primary is unknown).
    settings: (out: HostResources, hostFacts: HostFacts, facts: FactsByHost, streaming?: StreamSettings) =>
      inventory.patroni
        ? addPatroniSettings(out, inventory, zone, host, facts)
        : addStandaloneSettings(
            out,
            {
              ...(site ? standbySiteSettings(site.view) : archiveSettings(zone)),
              ...(streaming?.settings ?? formerConninfo(hostFacts.postgres as PostgresFacts)),
            },
            host,
            hostFacts,
            [streaming?.after],
          ),
    backupRole: (out: HostResources, _hostFacts: HostFacts, pg: PostgresFacts) =>
      addBackupRole(out, inventory, host, pg, zone.backupHost),
  });

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
const spoolPart = (host: HostSpec, spool: string) =>
  declarePart('the spool folder', [read.stat(spool), read.postgres], {
    add: (out: HostResources, hostFacts: HostFacts, { user, group }: { user: string; group: string }) =>
      out.add(
        'directory',
        spool,
        spool,
        planDirectory(
          { path: outsideDataDirectory(host, hostFacts, spool, 'the spool folder'), owner: user, group, mode: '0750' },
          hostFacts.files[spool],
        ),
      ),
  });

/**
 * Replicas from the repository: each member's own patroni.yml (at `path`), once pgBackRest can
 * restore here; `more`: the keys a first data's bootstrap set, removed once the zone has data.
 */
const replicaMethodsPart = (path: string, methods: ReplicaMethod[] | undefined, more: PatroniYmlEntry[]) =>
  declarePart('replica creation', [read.file(path), read.patroni], {
    add: (out: HostResources, hostFacts: HostFacts, zone: Zone, conf: ResourceRef) => {
      const file = hostFacts.files[path];
      const scope = hostFacts.patroni?.scope ?? '';
      const change = methods
        ? planReplicaMethods(path, file, methods, zone, scope, more)
        : planPatroniYml(path, file, more, { scope, reload: true, reason: "the first data's bootstrap is done" });
      return out.add('patroni_yml', path, `${path} (replica creation)`, change, [conf]);
    },
  });
