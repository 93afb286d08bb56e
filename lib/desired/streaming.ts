// A standby site that also streams (standby_of.stream; docs/recovery.md, "Streaming from the
// source zone"). On the source zone: [replication_user]'s role (on its primary) and a
// pg_hba.conf `replication` rule for the standby's address (on each of its servers, so a
// replica that takes over accepts it too). On the standby: primary_conninfo naming the source
// zone's primary as facts say, with a passfile, never a password, and the role's .pgpass line
// for each server of the source zone. A server that no longer streams gets bsync's
// primary_conninfo emptied: a promoted standby site keeps no connection to its old source.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { conninfo } from '../formats/conninfo.js';
import { read } from '../facts/needs.js';
import { pgpassPath } from '../facts/paths.js';
import { PG_OS_USER } from '../facts/probe.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import { holdsReplicationRule, REPLICATION_DATABASE, type HbaRule } from '../resources/pg-hba.js';
import { planRole } from '../resources/pg-role.js';
import { planPgpass } from '../resources/pgpass.js';
import { parseConfLine } from '../resources/pg-settings.js';
import { COMMENT_MARK } from '../resources/marker.js';
import type { ResourceRef } from '../resources/types.js';
import { zonePrimary } from './backups.js';
import type { HostResources } from './builder.js';
import { declarePart } from './part.js';
import { absolutePath, userGroup } from './ssh-resources.js';
import type { StandbySite } from './standby-site.js';
import type { FactsByHost, Zone } from './zone.js';

const CONNINFO = 'primary_conninfo';

/** The standby's primary_conninfo (none while the source's primary is unknown), and what it waits for: the .pgpass line. */
export interface StreamSettings {
  settings: Record<string, string>;
  after: ResourceRef;
}

/** The servers of the standby sites that stream from zone `source`. */
export function streamingStandbys(inventory: Inventory, source: number): HostSpec[] {
  return [...(inventory.standbyOf ?? [])].flatMap(([zone, of]) =>
    of.stream && of.zone === source
      ? inventory.hosts.filter((host) => host.zone === zone && host.role === 'postgres')
      : [],
  );
}

/** A source zone server's rules: the streaming role from each standby site that streams from its zone. */
export function replicationRules(inventory: Inventory, host: HostSpec): HbaRule[] {
  const role = inventory.replicationUser;
  if (!role) return [];
  return streamingStandbys(inventory, host.zone).map((standby) => ({
    role: role.name,
    databases: REPLICATION_DATABASE,
    peer: { address: standby.address, name: standby.name },
  }));
}

/** Whether a server's pg_hba.conf is bsync's to edit for streaming: a rule to add, or one of bsync's to remove. */
export const hbaForStreaming = (inventory: Inventory, host: HostSpec, pg: PostgresFacts) =>
  replicationRules(inventory, host).length > 0 || holdsReplicationRule(pg.hbaContent);

/** The streaming role on a source zone's primary: LOGIN REPLICATION, its password as a SCRAM verifier. */
export function addReplicationRole(out: HostResources, inventory: Inventory, host: HostSpec, pg: PostgresFacts): void {
  const role = inventory.replicationUser;
  if (!role || pg.inRecovery || streamingStandbys(inventory, host.zone).length === 0) return;
  out.add(
    'pg_role',
    role.name,
    `role ${role.name}`,
    planRole({ name: role.name, password: role.password, port: host.pgPort, memberOf: [] }, pg.roles[role.name]),
  );
}

/**
 * A server that is no streaming standby site: bsync's own primary_conninfo line, if the file
 * holds one (a standby site's before its promotion), emptied. Anyone else's is left alone.
 */
export function formerConninfo(pg: PostgresFacts): Record<string, string> {
  const active = pg.configContent.split('\n').filter((line) => parseConfLine(line)?.name === CONNINFO);
  return active.at(-1)?.trimEnd().endsWith(COMMENT_MARK) ? { [CONNINFO]: '' } : {};
}

/** The standby's side: the .pgpass lines, and primary_conninfo once the source zone's primary is known. */
export const streamPart = (inventory: Inventory, host: HostSpec, site: StandbySite) =>
  declarePart('streaming from the source zone', [read.user(PG_OS_USER), read.file(pgpassPath(PG_OS_USER))], {
    add: (out: HostResources, hostFacts: HostFacts, facts: FactsByHost): StreamSettings => {
      const role = inventory.replicationUser!;
      const passfile = absolutePath(pgpassPath(PG_OS_USER), hostFacts, PG_OS_USER);
      const pgpass = out.add(
        'pgpass',
        PG_OS_USER,
        passfile,
        planPgpass(
          { path: passfile, owner: PG_OS_USER, group: userGroup(hostFacts, PG_OS_USER) },
          hostFacts.files[pgpassPath(PG_OS_USER)],
          site.source.postgresHosts.map((server) => ({ host: server.name, port: server.pgPort })),
          role.name,
          role.password,
        ),
      );
      const primary = zonePrimary(site.source.postgresHosts, facts);
      if (primary)
        return { settings: { [CONNINFO]: primaryConninfo(primary, host, role.name, passfile) }, after: pgpass };
      out.warnings.push({
        severity: 'warning',
        host: host.name,
        message: `${host.name} streams from zone ${site.of.zone}'s primary (standby_of.stream), but ${unknownPrimary(site.source, facts)}: primary_conninfo is left as it is; the standby replays zone ${site.of.zone}'s archive meanwhile`,
        hint: `Plan again when zone ${site.of.zone}'s primary answers (a plan of every zone, not --zone ${host.zone} alone).`,
      });
      return { settings: {}, after: pgpass };
    },
  });

/** Where the standby connects: the source primary by the name other hosts use for it, and libpq's passfile. */
function primaryConninfo(primary: HostSpec, standby: HostSpec, role: string, passfile: string): string {
  return conninfo([
    ['host', primary.name],
    ['port', String(primary.pgPort)],
    ['user', role],
    ['passfile', passfile],
    ['application_name', standby.name],
  ]);
}

/** Why the source zone's primary is not known: no facts of its servers, or none of them runs as a primary. */
function unknownPrimary(source: Zone, facts: FactsByHost): string {
  const unseen = source.postgresHosts.filter((server) => !facts.has(server.name)).map((server) => server.name);
  if (unseen.length > 0) return `${unseen.join(', ')} ${unseen.length === 1 ? 'was' : 'were'} not asked`;
  return `no PostgreSQL server of zone ${source.zone} answers as a primary`;
}
