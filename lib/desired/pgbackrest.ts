// The pgbackrest.conf sections every host of a stanza gets, and the one per role.
import type { HostSpec, Inventory, PgbackrestOption } from '../config/inventory.js';
import type { HostFacts } from '../facts/types.js';
import { PG_DATABASE, PG_OS_USER, pgbackrestUser } from '../facts/probe.js';
import type { ConfSection, ConfValue } from '../resources/pgbackrest-conf.js';
import type { Part } from '../resources/types.js';
import { pgDataOf } from './layout.js';
import { repoType } from '../repositories/index.js';
import { repoPrefix } from '../repositories/types.js';
import type { Zone } from './zone.js';

/** [global]: the log folder, start-fast, then each repository's options, repo1 first (its type's, then path, retention, cipher). */
export function globalSection(
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  passes: Map<number, Part | null>,
): ConfSection {
  const options: Array<[string, ConfValue]> = [
    ['log-path', '/var/log/pgbackrest'],
    ['start-fast', 'y'],
  ];
  const ctx = { host, backupHost: zone.backupHost, userOf: (other: HostSpec) => pgbackrestUser(inventory, other) };
  for (const repo of inventory.repos) {
    const type = repoType(repo);
    const p = repoPrefix(repo);
    options.push(
      ...type.locationOptions(repo, ctx),
      ...(type.backupOptions?.(repo, ctx) ?? []),
      [`${p}path`, repo.path],
      [`${p}retention-full`, repo.retention.full],
      [`${p}retention-diff`, repo.retention.diff],
    );
    const pass = passes.get(repo.key) ?? null;
    if (pass !== null) options.push([`${p}cipher-type`, repo.cipherType], [`${p}cipher-pass`, pass as ConfValue]);
  }
  return { name: 'global', options: withOperatorOptions(options, inventory.pgbackrest.global) };
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
 * pgN-* options for each PostgreSQL host; `remote` adds pgN-host, pgN-host-user and, for an
 * sshd on another port than 22, pgN-host-port (the backup host's view).
 */
export function stanzaSection(
  inventory: Inventory,
  zone: Zone,
  hosts: HostSpec[],
  facts: Map<string, HostFacts>,
  remote: boolean,
): ConfSection {
  const options: Array<[string, ConfValue]> = [];
  hosts.forEach((host, index) => {
    const n = index + 1;
    if (remote)
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
  return { name: zone.stanza, options: withOperatorOptions(options, inventory.pgbackrest.stanza) };
}

/** `pgN-host-port` for a host whose sshd is not on 22 (pgBackRest's default): none otherwise. */
function sshPortOption(key: string, host: HostSpec): Array<[string, ConfValue]> {
  return host.sshPort === 22 ? [] : [[key, host.sshPort]];
}
