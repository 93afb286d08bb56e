// A standalone server's archiving settings: written into postgresql.conf itself, settings
// elsewhere that would override them removed, then a reload or a restart.
import type { HostSpec } from '../config/inventory.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import type { ResourceRef } from '../resources/types.js';
import { planEditedFile } from '../resources/file.js';
import { serviceStep } from '../resources/pg-service.js';
import {
  editPostgresqlConf,
  overridesOf,
  planOverride,
  planReload,
  planRestart,
  settingsNotInEffect,
} from '../resources/pg-settings.js';
import type { SettingsInEffect } from './archive-settings.js';
import type { HostResources } from './builder.js';
import { overrideFileProblem, serverFile, serverLayout } from './layout.js';

/**
 * Standalone: postgresql.conf, overrides removed, then a reload or a restart; `desired` is
 * archiveSettings', or a standby site's; `after`, what postgresql.conf's edit waits for (a
 * streaming standby's .pgpass line, which the reloaded primary_conninfo reads).
 */
export function addStandaloneSettings(
  out: HostResources,
  desired: Record<string, string>,
  host: HostSpec,
  hostFacts: HostFacts,
  after: Array<ResourceRef | undefined> = [],
): SettingsInEffect {
  const pg = hostFacts.postgres as PostgresFacts;
  const configFile = serverFile(host, pg, pg.configFile, 'postgresql.conf');
  const pgConf = out.add(
    'postgresql_conf',
    undefined,
    configFile,
    planEditedFile(
      configFile,
      pg.configContent,
      [editPostgresqlConf(pg.configContent, desired)],
      [],
      'postgresql-conf',
    ),
    after,
  );
  const overrides = overridesOf(pg, desired).map((entry) =>
    out.add(
      'setting_override',
      `${entry.name}@${entry.sourcefile}:${entry.sourceline}`,
      `${entry.sourcefile}:${entry.sourceline}`,
      planOverride(entry, host.pgPort, overrideFileProblem(pg, entry.sourcefile)),
      [pgConf],
    ),
  );
  const { reload, restart } = settingsNotInEffect(pg, desired);
  const reloaded = out.add('pg_reload', undefined, 'settings in effect', planReload(reload, host.pgPort), [
    pgConf,
    ...overrides,
  ]);
  const restarted = out.add(
    'pg_restart',
    undefined,
    'settings that need a restart',
    planRestart(restart, serviceStep(hostFacts.os, serverLayout(pg), 'restart')),
    [pgConf, ...overrides, reloaded],
  );
  return { reloaded, restarted };
}
