// The files every pgBackRest host has, whatever its role: /etc/pgbackrest, the log folder
// owned by the user pgBackRest runs as, pgbackrest.conf (compared by pgBackRest's own
// reading), no Debian legacy /etc/pgbackrest.conf beside it, and the backup role's .pgpass.
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF, PGBACKREST_CONF_DIR, PGBACKREST_LOG_DIR } from '../facts/paths.js';
import { backupRolePassword, type HostSpec, type Inventory } from '../config/inventory.js';
import { pgpassPath } from '../facts/paths.js';
import type { HostFacts } from '../facts/types.js';
import type { Secret } from '../secret.js';
import { read } from '../facts/needs.js';
import { planPgpass } from '../resources/pgpass.js';
import { planDirectory } from '../resources/directory.js';
import { planAbsentFile, planFile } from '../resources/file.js';
import { type ConfSection, renderConf, sameConf } from '../resources/pgbackrest-conf.js';
import type { ResourceRef } from '../resources/types.js';
import type { HostResources } from './builder.js';
import type { StanzaSecrets } from './cipher.js';
import { declarePart } from './part.js';
import { confSections, globalSection, stanzaSection } from './pgbackrest.js';
import { absolutePath } from './ssh-resources.js';
import type { FactsByHost, Zone } from './zone.js';

/** The folders and pgbackrest.conf of pgBackRest run as `user`; they read the folders, the conf files, and `user`'s entry (its group). */
export const pgbackrestFilesPart = (user: string) =>
  declarePart(
    'pgbackrest.conf and its folders',
    [
      read.user(user),
      read.stat(PGBACKREST_CONF_DIR),
      read.stat(PGBACKREST_LOG_DIR),
      read.file(PGBACKREST_CONF),
      read.file(LEGACY_PGBACKREST_CONF),
    ],
    {
      addDirs: (out: HostResources, facts: HostFacts, group: string, logAfter: Array<ResourceRef | undefined> = []) =>
        addPgbackrestDirs(out, facts, user, group, logAfter),
      addConf: addPgbackrestConf,
    },
  );

/** /etc/pgbackrest (root 0755) and the log folder (`user` 0750, after `logAfter`). */
function addPgbackrestDirs(
  out: HostResources,
  facts: HostFacts,
  user: string,
  group: string,
  logAfter: Array<ResourceRef | undefined>,
): { confDir: ResourceRef; logDir: ResourceRef } {
  const confDir = out.add(
    'directory',
    PGBACKREST_CONF_DIR,
    PGBACKREST_CONF_DIR,
    planDirectory(
      { path: PGBACKREST_CONF_DIR, owner: 'root', group: 'root', mode: '0755' },
      facts.files[PGBACKREST_CONF_DIR],
    ),
  );
  const logDir = out.add(
    'directory',
    PGBACKREST_LOG_DIR,
    PGBACKREST_LOG_DIR,
    planDirectory({ path: PGBACKREST_LOG_DIR, owner: user, group, mode: '0750' }, facts.files[PGBACKREST_LOG_DIR]),
    logAfter,
  );
  return { confDir, logDir };
}

/** pgbackrest.conf (root:`group` 0640, secrets redacted in the plan), then the legacy file removed. */
function addPgbackrestConf(
  out: HostResources,
  facts: HostFacts,
  group: string,
  sections: ConfSection[],
  dependsOn: Array<ResourceRef | undefined>,
): ResourceRef {
  const conf = out.add(
    'pgbackrest_conf',
    undefined,
    PGBACKREST_CONF,
    planFile(
      {
        path: PGBACKREST_CONF,
        owner: 'root',
        group,
        mode: '0640',
        sameContent: sameConf,
        content: renderConf(sections),
      },
      facts.files[PGBACKREST_CONF],
    ),
    dependsOn,
  );
  out.add(
    'legacy_pgbackrest_conf',
    undefined,
    LEGACY_PGBACKREST_CONF,
    planAbsentFile(
      LEGACY_PGBACKREST_CONF,
      facts.files[LEGACY_PGBACKREST_CONF],
      `pgBackRest reads ${PGBACKREST_CONF}; the package's old file only confuses`,
    ),
    [conf],
  );
  return conf;
}

/** What a host's pgbackrest.conf is written from: the host, its zone, every host's facts and the stanza's cipher passes. */
export interface ConfContext {
  inventory: Inventory;
  zone: Zone;
  host: HostSpec;
  facts: FactsByHost;
  secrets: StanzaSecrets;
}

/** How a host's pgbackrest.conf lists the stanza: its PostgreSQL hosts, `local` the one that is this host (none on a backup host). */
export interface StanzaHosts {
  hosts: HostSpec[];
  local: HostSpec | null;
}

/**
 * A host's pgbackrest.conf, added through its files part: [global] for the host (the options its pgBackRest
 * release has), the stanza listing `stanza`, the operator's command sections; after `after`, then the
 * generators of the cipher passes it holds. PostgreSQL and backup hosts differ only in `stanza` and `after`.
 */
export function addHostConf(
  out: HostResources,
  files: ReturnType<typeof pgbackrestFilesPart>,
  { inventory, zone, host, facts, secrets }: ConfContext,
  { group, stanza, after }: { group: string; stanza: StanzaHosts; after: Array<ResourceRef | undefined> },
): ResourceRef {
  const hostFacts = facts.get(host.name) as HostFacts;
  const sections = confSections(
    inventory,
    globalSection(inventory, zone, host, secrets.passes, hostFacts.pgbackrestVersion ?? null),
    stanzaSection(inventory, zone, stanza.hosts, facts, stanza.local),
  );
  return files.addConf(out, hostFacts, group, sections, [...after, ...secrets.generators]);
}

/**
 * The backup role's line for each PostgreSQL server this host's pgBackRest reaches, in the
 * .pgpass of `user`, the user it runs as; none when the backup role is off.
 */
export function pgpassPart(inventory: Inventory, user: string) {
  const password = backupRolePassword(inventory);
  if (!password) return undefined;
  return declarePart('.pgpass', [read.user(user), read.file(pgpassPath(user))], {
    add: (
      out: HostResources,
      facts: HostFacts,
      group: string,
      servers: Array<{ host: string; port: number }>,
      dependsOn: Array<ResourceRef | undefined> = [],
    ) => addPgpass(out, inventory, facts, { user, group, password }, servers, dependsOn),
  });
}

function addPgpass(
  out: HostResources,
  inventory: Inventory,
  facts: HostFacts,
  { user, group, password }: { user: string; group: string; password: Secret },
  servers: Array<{ host: string; port: number }>,
  dependsOn: Array<ResourceRef | undefined>,
): void {
  const path = absolutePath(pgpassPath(user), facts, user);
  out.add(
    'pgpass',
    user,
    path,
    planPgpass(
      { path, owner: user, group },
      facts.files[pgpassPath(user)],
      servers,
      inventory.backupUser.name,
      password,
    ),
    dependsOn,
  );
}
