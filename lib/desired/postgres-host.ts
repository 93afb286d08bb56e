// Everything a PostgreSQL host of a zone gets (DESIGN.md §3), in dependency order.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF, PGBACKREST_CONF_DIR, PGBACKREST_LOG_DIR, pgpassPath, S3_CA_PATH } from '../facts/paths.js';
import { PG_OS_USER } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { planDirectory } from '../resources/directory.js';
import { planAbsentFile, planEditedFile, planFile } from '../resources/file.js';
import { desiredHba } from '../resources/pg-hba.js';
import { planRole } from '../resources/pg-role.js';
import {
  editPostgresqlConf, overridesOf, planOverride, planReload, planRestart, psqlStep, restartStep, settingsNotInEffect,
} from '../resources/pg-settings.js';
import { redactConf, renderConf, type ConfValue } from '../resources/pgbackrest-conf.js';
import { desiredCrontab, planCrontab } from '../resources/crontab.js';
import { planFirstBackup, planStanza } from '../resources/stanza.js';
import { s3Options, standbySafeCron, zonePrimary } from './s3.js';
import { desiredPgpass, redactPgpass } from '../resources/pgpass.js';
import type { Part } from '../resources/types.js';
import { HostResources } from './builder.js';
import { globalSection, stanzaSection } from './pgbackrest.js';
import { absolutePath, addSshResources, userGroup } from './ssh-resources.js';
import type { FactsByHost, Zone } from './zone.js';

export function archiveSettings(stanza: string): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: `pgbackrest --stanza=${stanza} archive-push %p`,
    restore_command: `pgbackrest --stanza=${stanza} archive-get %f "%p"`,
  };
}

export function postgresHostResources(inventory: Inventory, zone: Zone, host: HostSpec, facts: FactsByHost, cipherPass: Part | null, cipherAddress?: string): HostResources {
  const hostFacts = facts.get(host.name) as HostFacts;
  const out = new HostResources(host.name);
  const pgGroup = userGroup(hostFacts, PG_OS_USER);
  const backup = zone.backupHost;

  // SSH trust with the backup host (SSH repositories only).
  if (backup) {
    addSshResources(out, hostFacts, PG_OS_USER, [
      { host: backup.name, address: backup.address, user: inventory.repo.user, facts: facts.get(backup.name) },
    ]);
  }

  const confDir = out.add('directory', PGBACKREST_CONF_DIR, PGBACKREST_CONF_DIR,
    planDirectory({ path: PGBACKREST_CONF_DIR, owner: 'root', group: 'root', mode: '0755' }, hostFacts.files[PGBACKREST_CONF_DIR]));
  const logDir = out.add('directory', PGBACKREST_LOG_DIR, PGBACKREST_LOG_DIR,
    planDirectory({ path: PGBACKREST_LOG_DIR, owner: PG_OS_USER, group: pgGroup, mode: '0750' }, hostFacts.files[PGBACKREST_LOG_DIR]));
  const s3 = inventory.repo.s3;
  const caFile = s3?.caCert === undefined ? undefined : out.add('s3_ca', undefined, S3_CA_PATH, planFile({
    path: S3_CA_PATH, owner: 'root', group: 'root', mode: '0644', content: [s3.caCert],
  }, hostFacts.files[S3_CA_PATH]), [confDir]);
  const repoOptions: Array<[string, ConfValue]> = backup
    ? [['repo1-host', backup.name], ['repo1-host-user', inventory.repo.user]]
    : s3 ? s3Options(s3) : [];
  const conf = out.add('pgbackrest_conf', undefined, PGBACKREST_CONF, planFile({
    path: PGBACKREST_CONF, owner: 'root', group: pgGroup, mode: '0640', redact: redactConf,
    content: renderConf([globalSection(inventory, cipherPass, repoOptions), stanzaSection(inventory, zone, [host], facts, false)]),
  }, hostFacts.files[PGBACKREST_CONF]), [confDir, caFile, cipherAddress]);
  out.add('legacy_pgbackrest_conf', undefined, LEGACY_PGBACKREST_CONF,
    planAbsentFile(LEGACY_PGBACKREST_CONF, hostFacts.files[LEGACY_PGBACKREST_CONF], `pgBackRest reads ${PGBACKREST_CONF}; the package's old file only confuses`), [conf]);

  const pg = hostFacts.postgres;
  if (!pg?.running) {
    throw new HostError(host.name, `PostgreSQL does not answer on port ${host.pgPort}: ${pg?.error ?? 'no facts'}`, {
      hint: 'bsync reads the settings PostgreSQL runs with; start PostgreSQL and plan again.',
    });
  }

  // Archive settings: in postgresql.conf, overrides removed, then in effect.
  const desired = archiveSettings(zone.stanza);
  const pgConf = out.add('postgresql_conf', undefined, pg.configFile,
    planEditedFile(pg.configFile, pg.configContent, [editPostgresqlConf(pg.configContent, desired)]));
  const overrides = overridesOf(pg, desired).map((entry) =>
    out.add('setting_override', `${entry.name}@${entry.sourcefile}:${entry.sourceline}`, `${entry.sourcefile}:${entry.sourceline}`,
      planOverride(entry, pg, host.pgPort), [pgConf]));
  const { reload, restart } = settingsNotInEffect(pg, desired);
  const reloaded = out.add('pg_reload', undefined, 'settings in effect', planReload(reload, host.pgPort), [pgConf, ...overrides]);
  const restarted = out.add('pg_restart', undefined, 'settings that need a restart',
    planRestart(restart, restartStep(hostFacts.os, pg, inventory.cluster.pgVersion)), [pgConf, ...overrides, reloaded]);

  // The backup role, its hba rule and .pgpass line.
  const { backupUser } = inventory;
  if (backupUser.enabled && backupUser.password) {
    if (!pg.inRecovery) {
      out.add('pg_role', backupUser.name, `role ${backupUser.name}`, planRole({
        name: backupUser.name, password: backupUser.password, port: host.pgPort,
        memberOf: pg.versionNum >= 150000 ? ['pg_checkpoint'] : [],
      }, pg.roles[backupUser.name]));
    }
    if (backup) {
      out.add('pg_hba', undefined, pg.hbaFile, planEditedFile(pg.hbaFile, pg.hbaContent,
        desiredHba(pg.hbaContent, backupUser.name, [backup.address]), [psqlStep(host.pgPort, 'SELECT pg_reload_conf();\n')]));
    }
    const pgpass = absolutePath(pgpassPath(PG_OS_USER), hostFacts, PG_OS_USER);
    out.add('pgpass', PG_OS_USER, pgpass, planFile({
      path: pgpass, owner: PG_OS_USER, group: pgGroup, mode: '0600', redact: redactPgpass,
      content: desiredPgpass(hostFacts.files[pgpassPath(PG_OS_USER)]?.content, [{ host: 'localhost', port: host.pgPort }], backupUser.name, backupUser.password),
    }, hostFacts.files[pgpassPath(PG_OS_USER)]));
  }
  if (s3) addS3Stanza(out, inventory, zone, host, facts, [conf, logDir], [reloaded, restarted]);
  return out;
}

/** S3: the zone's primary creates the stanza and takes the first backup; every host gets standby-safe cron entries. */
function addS3Stanza(out: HostResources, inventory: Inventory, zone: Zone, host: HostSpec, facts: FactsByHost, configured: string[], inEffect: string[]): void {
  const hostFacts = facts.get(host.name) as HostFacts;
  let firstBackup: string | undefined;
  if (zonePrimary(zone.postgresHosts, facts)?.name === host.name) {
    const stanza = out.add('stanza', zone.stanza, `stanza ${zone.stanza}`, planStanza(zone.stanza, PG_OS_USER, hostFacts.repo), configured);
    firstBackup = out.add('first_backup', zone.stanza, `first full backup of ${zone.stanza}`,
      planFirstBackup(zone.stanza, PG_OS_USER, hostFacts.repo), [stanza, ...inEffect]);
  }
  const crontab = hostFacts.crontabs[PG_OS_USER] ?? null;
  out.add('crontab', PG_OS_USER, `crontab of ${PG_OS_USER}`, planCrontab(PG_OS_USER, crontab,
    desiredCrontab(crontab, standbySafeCron(inventory, host, zone.stanza), zone.stanza)), [...configured, firstBackup]);
}
