// The database roles bsync declares on a PostgreSQL host (created on the primary only): the
// backup role and, on a zone a standby site streams from, the streaming role (streaming.ts).
// For a standalone server, their pg_hba.conf rules, in one edit of the file: the backup
// role's for a backup host, the streaming role's for each standby site; in HA the backup
// role's rule goes through Patroni (patroni-settings.ts), and no standby site streams there.
import { backupRolePassword, type HostSpec, type Inventory } from '../config/inventory.js';
import type { PostgresFacts } from '../facts/types.js';
import { planEditedFile } from '../resources/file.js';
import { asAdoption } from '../resources/managed-lines.js';
import { BACKUP_DATABASES, desiredHbaRules, type HbaRule } from '../resources/pg-hba.js';
import { planRole } from '../resources/pg-role.js';
import { psqlStep } from '../resources/pg-settings.js';
import { backupAddressSeenBy } from './archive-settings.js';
import { serverFile } from './layout.js';
import type { HostResources } from './builder.js';
import { addReplicationRole, hbaForStreaming, replicationRules } from './streaming.js';

export function addBackupRole(
  out: HostResources,
  inventory: Inventory,
  host: HostSpec,
  pg: PostgresFacts,
  backup: HostSpec | undefined,
): void {
  const { backupUser } = inventory;
  const password = backupRolePassword(inventory);
  if (password && !pg.inRecovery) {
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
  if (inventory.patroni) return;
  addReplicationRole(out, inventory, host, pg);
  const backupRules: HbaRule[] =
    backup && password
      ? [
          {
            role: backupUser.name,
            databases: BACKUP_DATABASES,
            peer: { address: backupAddressSeenBy(host, backup), name: backup.name },
          },
        ]
      : [];
  if (backupRules.length > 0 || hbaForStreaming(inventory, host, pg))
    addHbaRules(out, host, pg, [...backupRules, ...replicationRules(inventory, host)]);
}

/** pg_hba.conf with bsync's rules, then a reload. */
function addHbaRules(out: HostResources, host: HostSpec, pg: PostgresFacts, rules: HbaRule[]): void {
  const hba = desiredHbaRules(pg.hbaContent, rules);
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
