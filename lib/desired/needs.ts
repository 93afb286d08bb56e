// Which facts each host's resources read, added up from the kinds' own declarations
// (lib/resources/*: directoryNeeds, fileNeeds, keypairNeeds, …) along the same decisions
// postgres-host.ts and backup-host.ts make. The gatherer asks for exactly this, and
// test/unit/needs.test.ts runs the planner on facts that hold nothing else.
import { sshRepo, type HostSpec, type Inventory } from '../config/inventory.js';
import { needsOf, type FactNeeds, type NeedsPart } from '../facts/needs.js';
import {
  asyncSpoolPath,
  LEGACY_PGBACKREST_CONF,
  PGBACKREST_CONF,
  PGBACKREST_CONF_DIR,
  PGBACKREST_LOG_DIR,
  sshDir,
} from '../facts/paths.js';
import { pgbackrestUser } from '../facts/probe.js';
import { crontabNeeds } from '../resources/crontab.js';
import { directoryNeeds } from '../resources/directory.js';
import { fileNeeds } from '../resources/file.js';
import { osUserNeeds } from '../resources/os-user.js';
import { patroniNeeds } from '../resources/patroni-config.js';
import { postgresNeeds } from '../resources/pg-settings.js';
import { pgpassNeeds } from '../resources/pgpass.js';
import { keypairNeeds } from '../resources/ssh-keypair.js';
import { sshTrustNeeds } from '../resources/ssh-trust.js';
import { stanzaNeeds } from '../resources/stanza.js';
import { repoType } from '../repositories/index.js';
import { caPath } from '../repositories/types.js';

export function hostNeeds(inventory: Inventory, host: HostSpec): FactNeeds {
  const user = pgbackrestUser(inventory, host);
  const hasBackupHost = sshRepo(inventory) !== undefined;
  const parts: NeedsPart[] = [
    // Its group (userGroup) and home (~user paths) come from the user's entry.
    osUserNeeds(user),
    directoryNeeds(PGBACKREST_CONF_DIR),
    directoryNeeds(PGBACKREST_LOG_DIR),
    fileNeeds(PGBACKREST_CONF),
    fileNeeds(LEGACY_PGBACKREST_CONF),
  ];
  if (hasBackupHost) parts.push(directoryNeeds(sshDir(user)), keypairNeeds(user), sshTrustNeeds(user));
  for (const repo of inventory.repos) {
    const type = repoType(repo);
    if (type.folderOn === host.role) parts.push(directoryNeeds(repo.path));
    if (type.caCert?.(repo) !== undefined) parts.push(fileNeeds(caPath(repo)));
  }
  if (inventory.backupUser.enabled && inventory.backupUser.password) parts.push(pgpassNeeds(user));
  if (host.role === 'postgres') {
    parts.push(postgresNeeds);
    if (inventory.patroni) parts.push(patroniNeeds);
    const spool = asyncSpoolPath(inventory);
    if (spool !== null) parts.push(directoryNeeds(spool));
  }
  // Backups run on the backup host, or on every PostgreSQL host when there is none.
  if (host.role === (hasBackupHost ? 'backup' : 'postgres')) parts.push(stanzaNeeds, crontabNeeds(user));
  return needsOf(parts);
}
