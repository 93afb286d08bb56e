// The backup database role on a PostgreSQL host (created on the primary only) and, for a
// standalone server with a backup host, its pg_hba.conf rule; in HA the rule goes through
// Patroni (patroni-settings.ts).
import { backupRolePassword, type HostSpec, type Inventory } from '../config/inventory.js';
import type { PostgresFacts } from '../facts/types.js';
import { planEditedFile } from '../resources/file.js';
import { asAdoption } from '../resources/managed-lines.js';
import { desiredHba } from '../resources/pg-hba.js';
import { planRole } from '../resources/pg-role.js';
import { psqlStep } from '../resources/pg-settings.js';
import { backupAddressSeenBy } from './archive-settings.js';
import { serverFile } from './layout.js';
import type { HostResources } from './builder.js';

export function addBackupRole(
  out: HostResources,
  inventory: Inventory,
  host: HostSpec,
  pg: PostgresFacts,
  backup: HostSpec | undefined,
): void {
  const { backupUser } = inventory;
  const password = backupRolePassword(inventory);
  if (!password) return;
  if (!pg.inRecovery) {
    out.add(
      'pg_role',
      backupUser.name,
      `role ${backupUser.name}`,
      planRole(
        {
          name: backupUser.name,
          password,
          port: host.pgPort,
          memberOf: pg.versionNum >= 150000 ? ['pg_checkpoint'] : [],
        },
        pg.roles[backupUser.name],
      ),
    );
  }
  if (backup && !inventory.patroni) {
    const hba = desiredHba(pg.hbaContent, backupUser.name, [
      { address: backupAddressSeenBy(host, backup), name: backup.name },
    ]);
    out.add(
      'pg_hba',
      undefined,
      pg.hbaFile,
      asAdoption(
        planEditedFile(serverFile(host, pg, pg.hbaFile, 'pg_hba.conf'), pg.hbaContent, hba.template, [
          psqlStep(host.pgPort, 'SELECT pg_reload_conf();\n'),
        ]),
        hba.adopted,
      ),
    );
  }
}
