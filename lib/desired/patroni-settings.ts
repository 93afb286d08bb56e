// An HA zone's archiving settings: Patroni's dynamic configuration, changed once per
// cluster from the current leader (found from Patroni, not assumed), a restart through
// Patroni where archive_mode needs it, and on every member a wait until it runs with them.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError, HostError } from '../errors.js';
import type { PatroniFacts, PostgresFacts } from '../facts/types.js';
import { planPatroniConfig, planPatroniRestart, planSettingsArrive } from '../resources/patroni-config.js';
import { desiredHba } from '../resources/pg-hba.js';
import { settingsNotInEffect } from '../resources/pg-settings.js';
import { resourceAddress, type ResourceRef } from '../resources/types.js';
import { archiveSettings, backupAddressSeenBy, type SettingsInEffect } from './archive-settings.js';
import type { HostResources } from './builder.js';
import type { FactsByHost, Zone } from './zone.js';
import { standbySiteSettings, type StandbySite } from './standby-site.js';

/** Whether Patroni's member list names `member` (by its name or its address) as the leader. */
export function isPatroniLeader(patroni: Pick<PatroniFacts, 'members'>, member: HostSpec): boolean {
  return patroni.members.some(
    (entry) => /leader/i.test(entry.role) && (entry.name === member.name || entry.host === member.address),
  );
}

/** Every member of the zone answers through Patroni, and none is a standalone server among them. */
function checkPatroniMembers(inventory: Inventory, zone: Zone, facts: FactsByHost): void {
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
        hint: `bsync reads the cluster's configuration with patronictl -c ${inventory.patroni!.config}; check that Patroni and its DCS run.`,
      });
    }
  }
}

/**
 * On the leader: the dynamic configuration (archive settings, restore_command, and one
 * pg_hba for every member: each member's view of the backup host's address), then the
 * restart of the members whose archive_mode is not on yet.
 */
function addLeaderSettings(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  facts: FactsByHost,
  patroni: PatroniFacts,
  configAddress: ResourceRef,
  site: StandbySite | undefined,
): void {
  const patroniConfig = inventory.patroni!.config;
  const members = zone.postgresHosts;
  const desired = clusterSettings(zone, site);
  // A standby cluster has no backup role: its backups are the source's.
  const backup = site ? undefined : zone.backupHost;
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
        parameters: desired.parameters,
        recoveryConf: { restore_command: desired.restore_command },
        ...(site ? { standbyCluster: desired.standbyCluster } : {}),
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
  const archiveMode = desired.parameters.archive_mode;
  const notOn = members.filter(
    (member) => facts.get(member.name)?.postgres?.settings.archive_mode?.setting !== archiveMode,
  );
  out.add(
    'pg_restart',
    undefined,
    `members that need a restart`,
    planPatroniRestart(
      patroniConfig,
      patroni.scope,
      notOn.length === 0
        ? []
        : [
            {
              name: 'archive_mode',
              before: `${archiveMode === 'on' ? 'off' : 'on'} on ${notOn.map((member) => member.name).join(', ')}`,
              after: archiveMode,
            },
          ],
    ),
    [configAddress],
  );
}

/** HA: the settings through Patroni (above), and this member's wait until it runs with them. */
export function addPatroniSettings(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: FactsByHost,
  site?: StandbySite,
): SettingsInEffect {
  checkPatroniMembers(inventory, zone, facts);
  const members = zone.postgresHosts;
  const patroni = facts.get(host.name)!.patroni!;
  const leader = members.find((member) => isPatroniLeader(patroni, member));
  if (!leader)
    throw new HostError(
      host.name,
      `Patroni reports no leader among ${members.map((member) => member.name).join(', ')}`,
    );

  if (!site && patroni.dynamic?.standby_cluster)
    throw new HostError(
      host.name,
      `zone ${zone.zone}'s Patroni cluster ${patroni.scope} is a standby cluster (standby_cluster in its dynamic configuration), and the config does not declare it standby_of`,
      {
        hint: `Promote it with bsync promote --zone ${zone.zone}, or declare [[zone]] ${zone.zone} standby_of again.`,
      },
    );
  const desired = clusterSettings(zone, site).parameters;
  const configAddress = resourceAddress(leader.name, 'patroni_config', patroni.scope);
  const restartAddress = resourceAddress(leader.name, 'pg_restart');
  if (host.name === leader.name) addLeaderSettings(out, inventory, zone, facts, patroni, configAddress, site);
  // Every member has its own pg_restart address, so other hosts can depend on "restarted" per member.
  const restarted =
    host.name === leader.name
      ? restartAddress
      : out.add('pg_restart', undefined, 'restarted through Patroni, from the leader', null, [restartAddress]);
  const pg = facts.get(host.name)!.postgres as PostgresFacts;
  const { reload, restart } = settingsNotInEffect(pg, desired);
  const reloaded = out.add(
    'pg_reload',
    undefined,
    'settings in effect',
    planSettingsArrive(host.pgPort, desired, [...reload, ...restart]),
    [configAddress, restartAddress],
  );
  return { reloaded, restarted };
}

/**
 * What the cluster runs with: archiving into the zone's stanza; or, a standby cluster
 * (standby_of), no archiving, WAL from the source's stanza, and Patroni's standby_cluster
 * built from that stanza.
 */
function clusterSettings(
  zone: Zone,
  site: StandbySite | undefined,
): { parameters: Record<string, string>; restore_command: string; standbyCluster?: Record<string, unknown> } {
  if (!site) {
    const desired = archiveSettings(zone);
    return {
      parameters: { archive_mode: desired.archive_mode, archive_command: desired.archive_command },
      restore_command: desired.restore_command,
    };
  }
  const { archive_mode, restore_command } = standbySiteSettings(site.view);
  return {
    parameters: { archive_mode },
    restore_command,
    standbyCluster: standbyCluster(restore_command),
  };
}

/** Patroni's standby_cluster of a standby site: its leader built by pgBackRest, replaying from the source's stanza. */
export function standbyCluster(restoreCommand: string): Record<string, unknown> {
  return { create_replica_methods: ['pgbackrest'], restore_command: restoreCommand };
}
