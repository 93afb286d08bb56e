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
): void {
  const patroniConfig = inventory.patroni!.config;
  const members = zone.postgresHosts;
  const desired = archiveSettings(zone);
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

/** HA: the settings through Patroni (above), and this member's wait until it runs with them. */
export function addPatroniSettings(
  out: HostResources,
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: FactsByHost,
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

  const desired = archiveSettings(zone);
  const configAddress = resourceAddress(leader.name, 'patroni_config', patroni.scope);
  const restartAddress = resourceAddress(leader.name, 'pg_restart');
  if (host.name === leader.name) addLeaderSettings(out, inventory, zone, facts, patroni, configAddress);
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
