// Which hosts a command line's --host and --zone select: checked alike by validate (no
// network, so this module loads no transport) and by every command that connects.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { throughBackupHosts } from '../desired/source-repo.js';
import { BsyncError } from '../errors.js';

/** What --host and --zone ask for; both given: the named hosts of those zones. */
export interface HostSelection {
  hosts?: string[];
  zones?: number[];
}

export function selectHosts(
  inventory: Inventory,
  selection: HostSelection,
): { selected: HostSpec[]; involved: HostSpec[] } {
  const names = selection.hosts ?? [];
  const zones = selection.zones ?? [];
  if (names.length === 0 && zones.length === 0) return { selected: inventory.hosts, involved: inventory.hosts };
  const unknown = names.filter((name) => !inventory.hosts.some((host) => host.name === name));
  if (unknown.length > 0) {
    throw new BsyncError(`--host ${unknown.join(', ')}: no such host in the config`, {
      where: inventory.configPath,
      hint: `Hosts: ${inventory.hosts.map((host) => host.name).join(', ')}`,
    });
  }
  const known = [...new Set(inventory.hosts.map((host) => host.zone))].sort((a, b) => a - b);
  const missing = zones.filter((zone) => !known.includes(zone));
  if (missing.length > 0) {
    throw new BsyncError(`--zone ${missing.join(', ')}: no such zone in the config`, {
      where: inventory.configPath,
      hint: `Zones: ${known.join(', ')}`,
    });
  }
  const selected = inventory.hosts.filter(
    (host) => (names.length === 0 || names.includes(host.name)) && (zones.length === 0 || zones.includes(host.zone)),
  );
  if (selected.length === 0) {
    throw new BsyncError(`--host ${names.join(', ')}: not in --zone ${zones.join(', ')}`, {
      where: inventory.configPath,
      hint: `Hosts of zone ${zones.join(', ')}: ${inventory.hosts
        .filter((host) => zones.includes(host.zone))
        .map((host) => host.name)
        .join(', ')}`,
    });
  }
  const involvedZones = linkedZones(inventory, new Set(selected.map((host) => host.zone)));
  return { selected, involved: inventory.hosts.filter((host) => involvedZones.has(host.zone)) };
}

/**
 * The zones and, with ssh repositories, those another zone's server reads from or is read by
 * ([[zone]] from_backup, standby_of): the source's backup host lets the reader in while it
 * reads, which the reader's facts tell (lib/desired/source-repo.ts). Object stores and posix
 * folders need no trust: each zone is planned on its own.
 */
function linkedZones(inventory: Inventory, zones: Set<number>): Set<number> {
  if (!throughBackupHosts(inventory)) return zones;
  const links = [...(inventory.fromBackup ?? []), ...(inventory.standbyOf ?? [])].map(([zone, of]) => [zone, of.zone]);
  const linked = new Set(zones);
  for (const [reader, source] of links)
    if (zones.has(reader) || zones.has(source)) for (const zone of [reader, source]) linked.add(zone);
  return linked;
}
