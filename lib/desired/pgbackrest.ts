// The pgbackrest.conf sections every host of a stanza gets, and the one per role.
import type { HostSpec, Inventory, PgbackrestOption, Repo } from '../config/inventory.js';
import type { HostFacts } from '../facts/types.js';
import { PG_DATABASE, PG_OS_USER, pgbackrestUser } from '../facts/probe.js';
import type { ConfSection, ConfValue } from '../resources/pgbackrest-conf.js';
import type { Part } from '../resources/types.js';
import { pgDataOf } from './layout.js';
import { repoType } from '../repositories/index.js';
import { repoPrefix } from '../repositories/types.js';
import { TLS_FILES, tlsClientOptions, tlsPortOption } from '../repositories/ssh.js';
import { backupStandbyOption } from './backup-from.js';
import { measuredGlobalDefaults, measuredRepoDefaults, withDefaultsNote } from './measured-defaults.js';
import type { Zone } from './zone.js';

/**
 * [global]: the log folder, start-fast, bsync's measured defaults, then each repository's
 * options, repo1 first (its type's, then path, bundling, retention, cipher); `version` is the
 * host's pgBackRest (facts), for the defaults only some releases have. The defaults' note
 * sits above the first of them the operator left to bsync.
 */
export function globalSection(
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  passes: Map<number, Part | null>,
  version: string | null,
): ConfSection {
  const measured = measuredGlobalDefaults();
  const options: Array<[string, ConfValue]> = [['log-path', '/var/log/pgbackrest'], ['start-fast', 'y'], ...measured];
  const ctx = {
    host,
    backupHost: zone.backupHost,
    userOf: (other: HostSpec) => pgbackrestUser(inventory, other),
    tlsPort: inventory.tls?.port,
  };
  for (const repo of inventory.repos) {
    const type = repoType(repo);
    const p = repoPrefix(repo);
    const repoDefaults = measuredRepoDefaults(repo, version, inventory.pgbackrest);
    measured.push(...repoDefaults);
    options.push(
      ...type.locationOptions(repo, ctx),
      ...(type.backupOptions?.(repo, ctx) ?? []),
      [`${p}path`, repo.path],
      ...repoDefaults,
      ...retentionOptions(repo),
    );
    const pass = passes.get(repo.key) ?? null;
    if (pass !== null) options.push([`${p}cipher-type`, repo.cipherType], [`${p}cipher-pass`, pass as ConfValue]);
  }
  options.push(...tlsServerOptions(inventory, zone, host));
  const global = inventory.pgbackrest.global;
  const keys = measured.map(([key]) => key);
  return { name: 'global', options: withDefaultsNote(withOperatorOptions(options, global), keys, global) };
}

/**
 * With transport = "tls", every host of the zone runs pgBackRest's TLS server on its address,
 * with its own certificate, and lets in only the other side's certificates, by their
 * common name (the [[host]] name), for this zone's stanza.
 */
export function tlsServerOptions(inventory: Inventory, zone: Zone, host: HostSpec): Array<[string, ConfValue]> {
  if (!inventory.tls || !zone.backupHost) return [];
  const clients = host.role === 'backup' ? zone.postgresHosts : [zone.backupHost];
  return [
    ['tls-server-address', host.address],
    ...clients.map((client): [string, ConfValue] => ['tls-server-auth', `${client.name}=${zone.stanza}`]),
    ['tls-server-ca-file', TLS_FILES.ca],
    ['tls-server-cert-file', TLS_FILES.cert],
    ['tls-server-key-file', TLS_FILES.key],
    ...tlsPortOption(inventory.tls.port),
  ];
}

/**
 * repoN-retention-*: full and diff always (bsync's defaults 1 and 6), full-type, archive and
 * archive-type only when the config sets them, so a config without them plans as before.
 */
function retentionOptions(repo: Repo): Array<[string, ConfValue]> {
  const p = repoPrefix(repo);
  const { full, fullType, diff, archive, archiveType } = repo.retention;
  return [
    [`${p}retention-full`, full],
    ...(fullType ? [[`${p}retention-full-type`, fullType] as [string, ConfValue]] : []),
    [`${p}retention-diff`, diff],
    ...(archive !== undefined ? [[`${p}retention-archive`, archive] as [string, ConfValue]] : []),
    ...(archiveType ? [[`${p}retention-archive-type`, archiveType] as [string, ConfValue]] : []),
  ];
}

/**
 * A host's pgbackrest.conf sections: [global], its command sections ([global:archive-push]),
 * the stanza's, then the stanza's command sections ([<stanza>:backup]), each kind sorted by
 * command, so the file's bytes depend on the config only.
 */
export function confSections(inventory: Inventory, global: ConfSection, stanza: ConfSection): ConfSection[] {
  const commands = (scope: 'global' | 'stanza', name: string) =>
    inventory.pgbackrest.commands
      .filter((section) => section.scope === scope)
      .map(
        (section): ConfSection => ({
          name: `${name}:${section.command}`,
          options: withOperatorOptions([], section.options),
        }),
      );
  return [global, ...commands('global', 'global'), stanza, ...commands('stanza', stanza.name)];
}

/**
 * bsync's keys, then the operator's [pgbackrest.*] options sorted by key. An option bsync
 * writes with a default (start-fast, repo1-hardlink) takes the operator's value in its place.
 */
function withOperatorOptions(
  own: Array<[string, ConfValue]>,
  operator: PgbackrestOption[],
): Array<[string, ConfValue]> {
  const replaced = own.flatMap(([key, value]): Array<[string, ConfValue]> => {
    const given = operator.find((option) => option.key === key);
    return given ? given.values.map((item) => [key, item]) : [[key, value]];
  });
  const added = operator
    .filter((option) => !own.some(([key]) => key === option.key))
    .flatMap((option) => option.values.map((item): [string, ConfValue] => [option.key, item]));
  return [...replaced, ...added];
}

/**
 * pgN-* options for each PostgreSQL host the stanza lists; every one but `local` (the host
 * the file is for; null on a backup host) is reached over SSH: pgN-host, pgN-host-user and,
 * for an sshd on another port than 22, pgN-host-port; or, with transport = "tls", through
 * its TLS server: pgN-host, pgN-host-type=tls and the client's certificate files. A stanza that lists hosts it reaches
 * that way is the one that runs backups, so it gets backup_from's backup-standby.
 */
export function stanzaSection(
  inventory: Inventory,
  zone: Zone,
  hosts: HostSpec[],
  facts: Map<string, HostFacts>,
  local: HostSpec | null,
): ConfSection {
  const options: Array<[string, ConfValue]> = [];
  hosts.forEach((host, index) => {
    const n = index + 1;
    if (host !== local && inventory.tls && zone.backupHost)
      options.push([`pg${n}-host`, host.name], ...tlsClientOptions(`pg${n}-host-`, inventory.tls.port));
    else if (host !== local)
      options.push([`pg${n}-host`, host.name], ...sshPortOption(`pg${n}-host-port`, host), [
        `pg${n}-host-user`,
        pgbackrestUser(inventory, host),
      ]);
    options.push(
      [`pg${n}-path`, pgDataOf(host, facts.get(host.name))],
      [`pg${n}-port`, host.pgPort],
      [`pg${n}-user`, PG_OS_USER],
      [`pg${n}-database`, PG_DATABASE],
    );
  });
  if (hosts.some((host) => host !== local)) options.push(...backupStandbyOption(inventory, zone));
  return { name: zone.stanza, options: withOperatorOptions(options, inventory.pgbackrest.stanza) };
}

/** `pgN-host-port` for a host whose sshd is not on 22 (pgBackRest's default): none otherwise. */
function sshPortOption(key: string, host: HostSpec): Array<[string, ConfValue]> {
  return host.sshPort === 22 ? [] : [[key, host.sshPort]];
}
