// Whether each host's pgBackRest has the options bsync.toml asks for, and takes their values:
// the [pgbackrest.*] tables, command sections included, the retention keys a repository
// sets beyond bsync's defaults, what its type's own table makes bsync write (s3's key_type,
// gcs's user_project), and the TLS options of transport = "tls". The config loader checks
// names and values against every release's table (a value any of them takes is sound
// there); the version a host runs is a fact, so this check, against the table of the host's
// own release (lib/pgbackrest-options, `tableFor`), happens when planning.
import { rangeByProblem, readValue, ruleKey, tablePath, tablesOf, valueProblem } from '../config/pgbackrest-options.js';
import { repoKeyPath, type HostSpec, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { pgbackrestUser } from '../facts/probe.js';
import { availability, lookupOption, RELEASES, releaseList, tableFor } from '../pgbackrest-options/index.js';
import type { OptionData, OptionInfo } from '../pgbackrest-options/types.js';
import { repoType } from '../repositories/index.js';
import { repoPrefix, tableKeyOf } from '../repositories/types.js';
import { tlsClientOptions } from '../repositories/ssh.js';
import { backupStandbyOption } from './backup-from.js';
import { tlsServerOptions } from './pgbackrest.js';
import { zoneTls } from './tls.js';
import type { Zone } from './zone.js';

/** One option bsync would write for the config, with the key path that asks for it and how to take it back. */
interface AskedOption {
  /** The key path in bsync.toml: `pgbackrest.global.process-max`, `repo.retention.full_type`. */
  path: string;
  /** The key in pgbackrest.conf, and its name in pgBackRest's table. */
  key: string;
  name: string;
  values: string[];
  /** A command section's command: the host's table must list the option for it. */
  command?: string;
  /** How to stop asking for it: `remove process-max from [pgbackrest.global]`. */
  remove: string;
  /** What to do instead when the host's release refuses the value: `set [cluster] backup_from = "standby"`. */
  otherValue?: string;
}

/**
 * The options a repository's own table makes bsync write (`[repo.gcs]`'s user_project is
 * 2.55's, not 2.45's), but not its secrets: each host's pgBackRest must have them too. Each
 * is named by the key that asks for it (`repo[2].s3.kms_key_id`, `tableKeyOf`), or the table.
 */
function tableOptions(inventory: Inventory, host: HostSpec): AskedOption[] {
  const options = inventory.repos.flatMap((repo) => {
    const type = repoType(repo);
    if (!type.table) return [];
    const { schema } = type.table;
    const repoPath = repoKeyPath(inventory, repo);
    const path = `${repoPath}.${type.name}`;
    const written = type.locationOptions(repo, { host, userOf: (of) => pgbackrestUser(inventory, of) });
    return written.flatMap(([key, value]): Array<AskedOption & { chosen: boolean }> => {
      const known = lookupOption(key);
      // repoN-type is the type's name, which the config's own checks hold to pgBackRest's types.
      if (typeof value === 'object' || !known || known.name === 'repo-type') return [];
      const tableKey = tableKeyOf(type, key.slice(repoPrefix(repo).length));
      // A key the operator chose: optional, and not at the value the table takes without it.
      const chosen =
        tableKey !== undefined
        && !schema.required.includes(tableKey)
        && String(schema.properties[tableKey].default) !== String(value);
      return [
        {
          path: tableKey === undefined ? path : `${path}.${tableKey}`,
          key,
          name: known.name,
          values: [String(value)],
          remove: chosen
            ? `remove ${tableKey} from [${path}]`
            : `give ${repoPath} another type (bsync writes ${key} for every ${type.name} repository)`,
          chosen,
        },
      ];
    });
  });
  // The operator's choices first, so a host older than every list is refused at a key whose removal is a way out.
  return options.sort((a, b) => Number(b.chosen) - Number(a.chosen)).map(({ chosen: _, ...option }) => option);
}

/**
 * With transport = "tls", the TLS options bsync writes on the host: its server's, and the
 * client's towards the other side (repoN-host-type=tls on a PostgreSQL host, pgN-host-type=tls
 * on the backup host). pgBackRest's TLS server is not in every release: the host's own
 * release's option list says whether it has them, and a refusal names repo.transport.
 */
function transportOptions(inventory: Inventory, zone: Zone, host: HostSpec): AskedOption[] {
  const tls = zoneTls(inventory, zone);
  const repo = inventory.repos.find((each) => each.transport === 'tls');
  if (!tls || !repo) return [];
  const path = `${repoKeyPath(inventory, repo)}.transport`;
  const clients =
    host.role === 'backup'
      ? zone.postgresHosts.map((_, index) => `pg${index + 1}-host-`)
      : [`${repoPrefix(repo)}host-`];
  const written = [
    ...tlsServerOptions(inventory, zone, host),
    ...clients.flatMap((prefix) => tlsClientOptions(prefix, tls.port)),
  ];
  const remove = `set ${path} = "ssh" (pgBackRest's own SSH between the hosts)`;
  return written.map(([key, value]) => ({
    path,
    key,
    name: lookupOption(key)!.name,
    values: [String(value)],
    remove,
    otherValue: remove,
  }));
}

/** What the config asks of every host of the zone's pgBackRest beyond bsync's own defaults. */
function askedOptions(inventory: Inventory, zone: Zone): AskedOption[] {
  const asked: AskedOption[] = [];
  // backup_from: every host of the zone takes part in a backup from a standby (pgBackRest wants one release on all of them).
  for (const [key, value] of backupStandbyOption(inventory, zone))
    asked.push({
      path: 'cluster.backup_from',
      key,
      name: key,
      values: [String(value)],
      remove: 'set [cluster] backup_from = "primary"',
      otherValue: 'set [cluster] backup_from = "standby" (a standby must answer then) or "primary"',
    });
  for (const { table: ref, options } of tablesOf(inventory.pgbackrest))
    for (const option of options)
      asked.push({
        ...option,
        path: `${tablePath(ref)}.${option.key}`,
        ...(ref.command ? { command: ref.command } : {}),
        remove: `remove ${option.key} from [${tablePath(ref)}]`,
      });
  // retention.full and .diff are written whatever the config says (bsync's defaults since the first release).
  for (const repo of inventory.repos) {
    const path = `${repoKeyPath(inventory, repo)}.retention`;
    const retention: Array<[string, string, string | number | undefined]> = [
      ['full_type', 'full-type', repo.retention.fullType],
      ['archive', 'archive', repo.retention.archive],
      ['archive_type', 'archive-type', repo.retention.archiveType],
    ];
    for (const [key, option, value] of retention)
      if (value !== undefined)
        asked.push({
          path: `${path}.${key}`,
          key: `repo${repo.key}-retention-${option}`,
          name: `repo-retention-${option}`,
          values: [String(value)],
          remove: `remove ${key} from ${path}`,
        });
  }
  return asked;
}

/** Throws for the first option the host's pgBackRest does not have or take, naming host and versions. */
export function checkOptionVersions(
  inventory: Inventory,
  zone: Zone,
  host: HostSpec,
  facts: HostFacts | undefined,
): void {
  const version = facts?.pgbackrestVersion;
  // No version: pgBackRest does not run there, which the plan reports as a problem of its own.
  if (!version) return;
  const asked = [
    ...askedOptions(inventory, zone),
    ...transportOptions(inventory, zone, host),
    ...tableOptions(inventory, host),
  ];
  for (const option of asked) {
    const found = availability(option.name, version);
    const judge = valueJudge(inventory, option);
    const problem = found.ok ? judge(found.info, tableFor(version)) : null;
    // A `later` option taken on trust (a host newer than every list) has no command list to judge by.
    const unread =
      found.ok
      && option.command !== undefined
      && found.info.commands.length > 0
      && !found.info.commands.includes(option.command);
    const why = !found.ok
      ? found.why
      : problem !== null
        ? `by the option list of ${found.table}, ${option.key} ${problem}${takenBy(option.name, judge)}`
        : unread
          ? `by the option list of ${found.table}, its ${option.command} command does not read ${option.key}${readBy(option.name, option.command!)}`
          : found.info.beta
            ? `${version} has ${option.name} as a beta feature only: pgBackRest refuses it without its internal beta option, which bsync does not set${regularIn(option.name)}`
            : null;
    if (why === null) continue;
    throw new BsyncError(`${option.path}: host ${host.name} runs pgBackRest ${version}: ${why}`, {
      where: inventory.configPath,
      hint:
        found.ok && problem !== null
          ? `Upgrade pgBackRest on ${host.name}, or ${option.otherValue ?? `give ${option.key} a value ${version} takes`}.`
          : `Upgrade pgBackRest on ${host.name}, or ${option.remove}.`,
      hosts: [host.name],
    });
  }
}

/** Why a release's definition (and table, for the defaults) does not take the option's values, or null. */
type Judge = (info: OptionInfo, table: OptionData | null) => string | null;

/**
 * The option's values judged by a release's definition: its type, values and range, and the
 * range that depends on another option's value (compress-level's on compress-type) for the
 * value that option has where pgBackRest reads it: the config's, bsync's own, else that
 * release's default.
 */
function valueJudge(inventory: Inventory, option: AskedOption): Judge {
  return (info, table) => {
    const problem = valueProblem(option.values, info);
    if (problem !== null || !info.by?.ranges) return problem;
    const overKey = ruleKey(option.key, info.by.option);
    const types = inventory.repos.map((repo) => repo.type);
    const read = readValue(inventory.pgbackrest, overKey, option.command, types, table?.options[info.by.option]);
    const outside = rangeByProblem(option.values, info, read.value);
    return outside && `${outside} when ${overKey} is ${read.value} (${read.source})`;
  };
}

/** ` (pgBackRest 2.55 takes it)`: the releases whose own table takes the value. */
function takenBy(name: string, judge: Judge): string {
  const taking = RELEASES.filter((release) => release.options[name] && !judge(release.options[name], release));
  return taking.length ? ` (pgBackRest ${releaseList(taking.map((release) => release.version))} takes it)` : '';
}

/**
 * For validate, which knows no host's release: the config's [pgbackrest.*] options that some
 * release bsync knows lacks or refuses (by name, value or range), each with the releases that
 * take it; plan checks each host against its own.
 */
export function releaseNotes(inventory: Inventory): string[] {
  return tablesOf(inventory.pgbackrest).flatMap(({ table, options }) =>
    options.flatMap((option) => {
      const asked = { ...option, path: '', remove: '', ...(table.command ? { command: table.command } : {}) };
      const judge = valueJudge(inventory, asked);
      const taking = RELEASES.filter(
        (release) => release.options[option.name] && !judge(release.options[option.name], release),
      );
      if (taking.length === RELEASES.length) return [];
      const names = (releases: readonly OptionData[]) => releaseList(releases.map((release) => release.version));
      const others = RELEASES.filter((release) => !taking.includes(release));
      return [
        `${tablePath(table)}.${option.key}: pgBackRest ${names(taking)} take${taking.length === 1 ? 's' : ''} it, ${names(others)} ${others.length === 1 ? 'does' : 'do'} not; plan checks it against each host's own release`,
      ];
    }),
  );
}

/** ` (pgBackRest 2.55's does)`: the releases whose table lists the option for the command. */
function readBy(name: string, command: string): string {
  const reading = RELEASES.filter((release) => release.options[name]?.commands.includes(command));
  return reading.length ? ` (pgBackRest ${releaseList(reading.map((release) => release.version))} reads it there)` : '';
}

/** ` (pgBackRest 2.55 has it as a regular option)`. */
function regularIn(name: string): string {
  const regular = RELEASES.filter((release) => release.options[name] && !release.options[name].beta);
  return regular.length
    ? ` (pgBackRest ${releaseList(regular.map((release) => release.version))} has it as a regular option)`
    : '';
}
