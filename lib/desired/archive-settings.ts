// The WAL archiving settings every PostgreSQL host of a stanza runs with, whether they go
// into postgresql.conf (standalone-settings.ts) or Patroni's dynamic configuration
// (patroni-settings.ts), and what each way hands on to what must wait for them.
import type { HostSpec } from '../config/inventory.js';
import { pgCommand } from '../formats/pg-command.js';
import type { ResourceRef } from '../resources/types.js';

/** The resources after which the server runs with the settings: reloaded, and restarted where that is needed. */
export interface SettingsInEffect {
  reloaded: ResourceRef;
  restarted: ResourceRef;
}

/** `zone.pgbackrest` starts both commands: `pgbackrest`, or with the environment an s3 web-id repository needs. */
export function archiveSettings({
  stanza,
  pgbackrest,
}: {
  stanza: string;
  pgbackrest: string;
}): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: pgCommand`${pgbackrest} --stanza=${stanza} archive-push %p`,
    restore_command: pgCommand`${pgbackrest} --stanza=${stanza} archive-get %f "%p"`,
  };
}

/** The address a PostgreSQL host sees the backup host connect from (pg_hba.conf): backup_address, else its address. */
export function backupAddressSeenBy(host: HostSpec, backup: HostSpec): string {
  return host.backupAddress ?? backup.address;
}
