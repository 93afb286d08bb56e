// Backups from a standby ([cluster].backup_from), per zone: what pgBackRest is told
// (backup-standby in the stanza section of the hosts that list the standbys) and, without a
// backup host, which other PostgreSQL hosts each one lists and must reach over SSH.
import type { BackupFrom, HostSpec, Inventory } from '../config/inventory.js';
import type { ConfValue } from '../resources/pgbackrest-conf.js';
import type { Zone } from './zone.js';

/** The zone's choice: "prefer" with one PostgreSQL host is "primary" (no standby to prefer; pgBackRest would warn at each backup). */
export function zoneBackupFrom(inventory: Inventory, zone: Zone): BackupFrom {
  const wanted = inventory.cluster.backupFrom;
  return wanted === 'prefer' && zone.postgresHosts.length < 2 ? 'primary' : wanted;
}

/** backup-standby as the stanza section writes it; none for "primary" (pgBackRest's default, the files as before). */
export function backupStandbyOption(inventory: Inventory, zone: Zone): Array<[string, ConfValue]> {
  const from = zoneBackupFrom(inventory, zone);
  return from === 'primary' ? [] : [['backup-standby', from === 'standby' ? 'y' : 'prefer']];
}

/**
 * The zone's other PostgreSQL hosts that `host` lists and trusts: without a backup host the
 * primary runs the backup and reaches the standby itself, and since a switchover moves the
 * roles, every host lists every other. None when backups read the primary or a backup host
 * lists them all.
 */
export function pgPeers(inventory: Inventory, zone: Zone, host: HostSpec): HostSpec[] {
  return !zone.backupHost && zoneBackupFrom(inventory, zone) !== 'primary'
    ? zone.postgresHosts.filter((other) => other.name !== host.name)
    : [];
}
