// [pgbackrest.global], [pgbackrest.stanza] and command sections ([pgbackrest."global:archive-push"]):
// pgBackRest's own options, checked against its option table (lib/pgbackrest-options/), with
// the rules between options it records, and turned into pgbackrest.conf values. Whether a
// host's pgBackRest version has them is a fact, checked when planning (lib/desired/).
import {
  commandNames,
  dependOf,
  lookupOption,
  optionInfos,
  suggestableNames,
  type NamedOption,
} from '../pgbackrest-options/index.js';
import type { OptionInfo } from '../pgbackrest-options/types.js';
import { pgbackrestValueProblem } from '../formats/pgbackrest-ini.js';
import { repoTypes } from '../repositories/index.js';
import { secretKeys } from '../repositories/types.js';
import type { CommandSection, PgbackrestOption, PgbackrestOptions } from './inventory.js';
import type { ConfigProblems } from './problems.js';
import { closest } from './schema.js';
import { pathSpelling } from './spellings.js';

type Raw = Record<string, unknown>;

/** `"a", "b" or "c"`, `[x] or [y]`: names as a message lists them. */
function orList(words: string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** pgBackRest's repository types that no registered type writes (posix is ssh's and posix's). */
const OTHER_STORES = ['gcs', 'sftp', 'cifs'];

/** The options the repository types write from their tables, and those of stores bsync does not manage. */
function typeOptions(): Array<[RegExp, string]> {
  const types = repoTypes();
  const tables = types.filter((type) => type.managedOptions !== undefined);
  const others = OTHER_STORES.filter((store) => !types.some((type) => type.name === store));
  const managed: Array<[RegExp, string]> = [
    [
      new RegExp(`^repo[0-9]+-(${tables.map((type) => type.managedOptions).join('|')})$`),
      `is set by bsync from the repository's ${orList(tables.map((type) => `[repo.${type.name}]`))} table`,
    ],
    [
      new RegExp(`^repo[0-9]+-(${others.join('|')})-`),
      `belongs to a repository type bsync does not manage: type is ${orList(types.map((type) => JSON.stringify(type.name)))}`,
    ],
  ];
  return managed.filter((_, index) => (index === 0 ? tables : others).length > 0);
}

/** Options bsync writes itself, with the bsync key that sets them (made per config: the registered types say theirs). */
const managedOptions = (): Array<[RegExp, string]> => [
  [/^stanza$/, 'is the stanza name bsync gives each zone: set [cluster].stanza (or [cluster].name)'],
  [/^log-path$/, 'is set by bsync (/var/log/pgbackrest, a folder it creates with the right owner)'],
  [/^repo[0-9]+-path$/, "is set by bsync from the repository's path ([repo] or [[repo]])"],
  [
    /^repo[0-9]+-retention-(full|diff|full-type|archive|archive-type)$/,
    "is set by bsync from the repository's retention = { full, full_type, diff, archive, archive_type }",
  ],
  [/^repo[0-9]+-cipher-type$/, "is set by bsync from the repository's cipher_type"],
  [
    /^repo[0-9]+-cipher-pass$/,
    'is set by bsync from the repository\'s cipher_pass (a secret key: { env = "..." } or { file = "..." })',
  ],
  [/^repo[0-9]+-host$/, 'is set by bsync: the zone\'s [[host]] with role = "backup" (an ssh repository)'],
  [/^repo[0-9]+-host-user$/, "is set by bsync from the ssh repository's user"],
  [
    /^repo[0-9]+-host-port$/,
    "is set by bsync from the backup [[host]]'s ssh_port (default [ssh].port), the port its sshd listens on",
  ],
  [/^repo[0-9]+-host-type$/, 'is set by bsync from the ssh repository\'s transport ("ssh", or "tls")'],
  [
    /^repo[0-9]+-host-(cert|key|ca)-(file|path)$/,
    'is set by bsync with the ssh repository\'s transport = "tls": each host\'s own certificate and key, and [tls].ca_cert',
  ],
  [
    /^tls-server-/,
    'is set by bsync on every host of the zone with the ssh repository\'s transport = "tls" (its port is [tls].port)',
  ],
  [/^repo[0-9]+-type$/, "is set by bsync from the repository's type"],
  ...typeOptions(),
  [
    /^pg[0-9]+-host-port$/,
    "is set by bsync from each PostgreSQL [[host]]'s ssh_port (default [ssh].port), the port its sshd listens on",
  ],
  [/^pg1-(path|port)$/, 'is set by bsync from [[host]] pg_data and pg_port'],
  [
    /^pg[0-9]+-/,
    'is set by bsync for every PostgreSQL [[host]] of the zone (pg_data, pg_port); per-host pgBackRest options are not supported',
  ],
];

const SIZE = /^([0-9]+)(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib|p|pb|pib)?$/i;
const UNIT_POWER: Record<string, number> = { '': 0, b: 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/** A pgBackRest size in bytes (units are powers of 1024, as pgBackRest counts them), or null. */
function sizeBytes(value: string | number): number | null {
  const match = SIZE.exec(String(value));
  if (!match) return null;
  return Number(match[1]) * 1024 ** UNIT_POWER[(match[2] ?? '').charAt(0).toLowerCase()];
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (value !== null && typeof value === 'object') return 'a table';
  return String(value);
}

function rangeText(info: OptionInfo): string {
  return info.min !== undefined && info.max !== undefined ? ` from ${info.min} to ${info.max}` : '';
}

/** The option's values as pgbackrest.conf lines hold them, or why the TOML value does not fit. */
function confValues(value: unknown, info: OptionInfo): string[] | string {
  const inRange = (n: number) =>
    (info.min === undefined || n >= (sizeBytes(info.min) ?? Number(info.min)))
    && (info.max === undefined || n <= (sizeBytes(info.max) ?? Number(info.max)));
  if (info.boolLike && typeof value === 'boolean') return [value ? 'y' : 'n'];
  switch (info.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [value ? 'y' : 'n'] : `must be true or false, got ${shown(value)}`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && inRange(value)
        ? [String(value)]
        : `must be a whole number${rangeText(info)}, got ${shown(value)}`;
    case 'time':
      return typeof value === 'number' && inRange(value)
        ? [String(value)]
        : `must be a number of seconds${rangeText(info)}, got ${shown(value)}`;
    case 'size': {
      const bytes = typeof value === 'number' || typeof value === 'string' ? sizeBytes(value) : null;
      const allowed = info.allowed?.map((entry) => sizeBytes(entry));
      if (bytes === null || !inRange(bytes) || (allowed && !allowed.includes(bytes))) {
        const what = info.allowed
          ? `one of ${info.allowed.map((entry) => JSON.stringify(entry)).join(', ')}`
          : `a size such as "128MiB" or a number of bytes${rangeText(info)}`;
        return `must be ${what}, got ${shown(value)}`;
      }
      return [String(value)];
    }
    case 'list': {
      const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : null;
      return items?.every((item) => typeof item === 'string')
        ? items
        : `must be a string or a list of strings, got ${shown(value)}`;
    }
    case 'hash': {
      const entries =
        value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
          ? Object.entries(value)
          : null;
      if (
        !entries
        || entries.some(([key, item]) => key.includes('=') || !['string', 'number', 'boolean'].includes(typeof item))
      ) {
        return `must be a table of key = value (e.g. { key = "value" }), got ${shown(value)}`;
      }
      return entries.map(([key, item]) => `${key}=${String(item)}`);
    }
    default: {
      if (typeof value !== 'string') return `must be a string, got ${shown(value)}`;
      if (info.allowed && !info.allowed.includes(value))
        return `must be one of ${info.allowed.map((entry) => JSON.stringify(entry)).join(', ')}, got ${shown(value)}`;
      if (info.type !== 'path') return [value];
      if (!value.startsWith('/')) return `must be an absolute path, got ${shown(value)}`;
      if (/\/\.\.?(\/|$)/.test(value)) return `must be an absolute path without . or .. parts, got ${shown(value)}`;
      // pgBackRest's own spelling: it refuses // and drops a / at the end.
      return [pathSpelling(value)];
    }
  }
}

/**
 * The lines for a value, by the first of the option's definitions (one per release, newest
 * first) that takes it; the newest one's complaint when none does. Whether the host's own
 * release takes it is checked when planning (`valueProblem`).
 */
function fittingValues(value: unknown, infos: OptionInfo[]): string[] | string {
  let complaint: string | undefined;
  for (const info of infos) {
    const values = confValues(value, info);
    if (typeof values !== 'string') return values;
    complaint ??= values;
  }
  return complaint ?? 'is not an option bsync knows';
}

/** The TOML value pgbackrest.conf lines stand for under a definition (y/n back to booleans, numbers to numbers). */
function tomlValue(values: string[], info: OptionInfo): unknown {
  const [first] = values;
  switch (info.type) {
    case 'boolean':
      return first === 'y' ? true : first === 'n' ? false : first;
    case 'integer':
    case 'time':
      return Number(first);
    case 'list':
      return values;
    case 'hash':
      return Object.fromEntries(
        values.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    default:
      return first;
  }
}

/** Why the lines bsync would write for an option do not fit one release's definition of it, or null. */
export function valueProblem(values: string[], info: OptionInfo): string | null {
  const fits = confValues(tomlValue(values, info), info);
  return typeof fits === 'string' ? fits : null;
}

/** `repo.s3.key`, …: the secret keys of the types' tables, as the config writes them. */
const tableSecretKeys = () =>
  repoTypes().flatMap((type) => (type.table ? secretKeys(type.table).map((key) => `repo.${type.name}.${key}`) : []));

/** Options bsync refuses because what they configure is not something bsync manages yet. */
const NOT_MANAGED: Array<[RegExp, string, string]> = [];

/** A command section's table and the pgbackrest.conf section it becomes. */
export interface OptionTableRef {
  scope: 'global' | 'stanza';
  /** A command section's command: [global:archive-push], [<stanza>:backup]. */
  command?: string;
}

/** `pgbackrest.global`, `pgbackrest."global:archive-push"`: how messages name a table (its TOML key path). */
export function tablePath(ref: OptionTableRef): string {
  return `pgbackrest.${ref.command ? `"${ref.scope}:${ref.command}"` : ref.scope}`;
}

/** `[pgbackrest.stanza]`, `[pgbackrest."stanza:backup"]`: the table as the file writes it. */
const tableHeader = (ref: OptionTableRef) => `[${tablePath(ref)}]`;

/** Refusals that do not depend on the value: unknown, managed, secret, command-line only, wrong table or command. */
function refusal(
  key: string,
  option: NamedOption | null,
  table: OptionTableRef,
  repoCount: number,
): { message: string; hint?: string } | null {
  if (!option) {
    const guess = closest(key, suggestableNames());
    return {
      message: `unknown pgBackRest option "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
      hint: 'Options are named as in pgbackrest.conf; `pgbackrest help backup` lists them.',
    };
  }
  // A secret first: its message must never lead anyone to write it here, whatever else is wrong.
  if (option.info.secure) {
    return {
      message:
        "is a secret (a secure option in pgBackRest's table); put secrets in bsync's secret keys, not in [pgbackrest.*]",
      hint: `bsync's secret keys (${['repo.cipher_pass', ...tableSecretKeys()].join(', ')}) take { env = "..." } or { file = "..." } and never show the value.`,
    };
  }
  const managed = managedOptions().find(([pattern]) => pattern.test(key));
  if (managed) return { message: managed[1] };
  const notManaged = NOT_MANAGED.find(([pattern]) => pattern.test(key));
  if (notManaged) return { message: notManaged[1], hint: notManaged[2] };
  if (option.index !== undefined && option.info.index?.prefix === 'repo' && option.index > repoCount) {
    return {
      message: `is an option of repo${option.index}, but the config has ${repoCount} ${repoCount === 1 ? 'repository' : 'repositories'}`,
      hint: 'Each [[repo]] table is one repository, repo1 first; add one, or use an option of a repository the config has.',
    };
  }
  if (option.index !== undefined && (option.index < 1 || option.index > option.info.index!.max)) {
    return {
      message: `${option.info.index!.prefix} index ${option.index} is out of range (1 to ${option.info.index!.max})`,
    };
  }
  if (option.info.section === 'command-line')
    return { message: 'is a command-line option: pgBackRest does not read it from pgbackrest.conf' };
  if (table.command !== undefined) {
    const readers = optionInfos(option.name).find((info) => info.commands.length > 0)?.commands ?? [];
    if (!optionInfos(option.name).some((info) => info.commands.includes(table.command!)))
      return {
        message: `is not an option of pgBackRest's ${table.command} command: pgBackRest warns that it is invalid for the section and ignores it`,
        hint: readers.length
          ? `${key} is read by ${readers.join(', ')}; put it in [pgbackrest.global] or the section of one of those commands.`
          : undefined,
      };
  }
  if (option.info.section === 'stanza' && table.scope === 'global')
    return {
      message: `goes in a stanza section only: put it in ${tableHeader({ ...table, scope: 'stanza' })}`,
    };
  return null;
}

/** The table's options that are sound; each other one is a problem. */
function checkTable(raw: Raw, table: OptionTableRef, problems: ConfigProblems, repoCount: number): PgbackrestOption[] {
  return Object.keys(raw)
    .sort()
    .flatMap((key) => {
      const path = `${tablePath(table)}.${key}`;
      const option = lookupOption(key);
      const refused = refusal(key, option, table, repoCount);
      if (refused) {
        problems.add(path, refused.message, refused.hint);
        return [];
      }
      const values = fittingValues(raw[key], optionInfos(option!.name));
      if (typeof values === 'string') {
        problems.add(path, values);
        return [];
      }
      const problem = values.map(pgbackrestValueProblem).find((found) => found !== null);
      if (problem) {
        problems.add(path, `pgbackrest.conf cannot hold this value: ${problem}`);
        return [];
      }
      return [{ key, name: option!.name, values }];
    });
}

/** `global:archive-push` → its scope and command; null for `global` and `stanza`. */
function commandTable(name: string): OptionTableRef | null {
  const match = /^(global|stanza):(.+)$/.exec(name);
  return match ? { scope: match[1] as 'global' | 'stanza', command: match[2] } : null;
}

/**
 * The sound options of every table; an option in both [pgbackrest.global] and
 * [pgbackrest.stanza] (or both command sections of one command) is refused: pgBackRest would
 * let the stanza's win, and every stanza bsync writes gets the same. `typeNames` (repo1's
 * first, when the schema found them sound) lets the rules between options know what bsync
 * writes for repoN-type.
 */
export function pgbackrestOptions(
  raw: Record<string, Raw | undefined> | undefined,
  problems: ConfigProblems,
  repoCount = 1,
  typeNames?: string[],
): PgbackrestOptions {
  const global = checkTable(raw?.global ?? {}, { scope: 'global' }, problems, repoCount);
  const stanza = checkTable(raw?.stanza ?? {}, { scope: 'stanza' }, problems, repoCount);
  refuseTwice(global, stanza, { scope: 'global' }, { scope: 'stanza' }, problems);
  const known = commandNames();
  const commands: CommandSection[] = [];
  for (const name of Object.keys(raw ?? {}).sort((a, b) => sectionOrder(a) - sectionOrder(b) || (a < b ? -1 : 1))) {
    const table = commandTable(name);
    if (!table) continue;
    if (!known.includes(table.command!)) {
      const guess = closest(table.command!, known);
      problems.add(
        tablePath(table),
        `unknown pgBackRest command "${table.command}"${guess ? ` (did you mean "${guess}"?)` : ''}: pgBackRest reads a [${table.scope}:COMMAND] section only for a command it has`,
        `Commands whose options a section can hold: ${known.join(', ')}.`,
      );
      continue;
    }
    commands.push({ ...table, options: checkTable(raw![name] ?? {}, table, problems, repoCount) } as CommandSection);
  }
  for (const section of commands.filter((entry) => entry.scope === 'stanza')) {
    const global = commands.find((entry) => entry.scope === 'global' && entry.command === section.command);
    if (global) refuseTwice(global.options, section.options, global, section, problems);
  }
  const options = { global, stanza, commands };
  checkDepends(options, problems, typeNames);
  checkRangesBy(options, problems, typeNames);
  checkExpireAuto(options, problems);
  return options;
}

/**
 * expire-auto off: the backup command no longer expires, and bsync schedules no expire job
 * (none of its own: retention is applied by each backup), so nothing would ever expire.
 */
function checkExpireAuto(options: PgbackrestOptions, problems: ConfigProblems): void {
  for (const { table, options: tableOptions } of tablesOf(options))
    for (const option of tableOptions)
      if (option.key === 'expire-auto' && option.values[0] === 'n')
        problems.add(
          `${tablePath(table)}.${option.key}`,
          'turns off the expire that each backup runs, and bsync schedules no expire job: backups and WAL would never expire, and the repository would grow until it is full',
          "Remove expire-auto; each repository's retention = { ... } says what expire keeps.",
        );
}

/** global before stanza, so [global:x] sections come before [<stanza>:x] ones. */
const sectionOrder = (name: string) => (name.startsWith('stanza:') ? 1 : 0);

function refuseTwice(
  first: PgbackrestOption[],
  second: PgbackrestOption[],
  firstTable: OptionTableRef,
  secondTable: OptionTableRef,
  problems: ConfigProblems,
): void {
  for (const twice of second.filter((option) => first.some((other) => other.key === option.key)))
    problems.add(
      `${tablePath(secondTable)}.${twice.key}`,
      `is also set in ${tableHeader(firstTable)}`,
      'Every stanza bsync writes gets the same stanza options, so set the option in one table.',
    );
}

/** Every table that holds options, with how messages name it. */
export function tablesOf(options: PgbackrestOptions): Array<{ table: OptionTableRef; options: PgbackrestOption[] }> {
  return [
    { table: { scope: 'global' }, options: options.global },
    { table: { scope: 'stanza' }, options: options.stanza },
    ...options.commands.map((section) => ({
      table: { scope: section.scope, command: section.command },
      options: section.options,
    })),
  ];
}

/** A value as pgBackRest's depend lists write it: booleans true/false. */
const dependValue = (value: string) => (value === 'y' ? 'true' : value === 'n' ? 'false' : value);

/**
 * What bsync itself writes for an option a rule depends on: repoN-type from the repository's
 * type (an ssh repository is a posix folder on its backup host, pgBackRest's default type),
 * repoN-host-type and pgN-host-type ssh (bsync's transport). Undefined: bsync writes nothing.
 */
function bsyncValue(key: string, types: string[] | undefined): string | undefined {
  const type = /^repo([0-9]+)-type$/.exec(key);
  if (type) {
    const written = types?.[Number(type[1]) - 1];
    const known = repoTypes().find((entry) => entry.name === written);
    return known ? (known.pgbackrestType ?? known.name) : written;
  }
  if (/^(repo|pg)[0-9]+-host-type$/.test(key)) return 'ssh';
  // bsync's measured default (lib/desired/measured-defaults.ts).
  if (/^repo[0-9]+-bundle$/.test(key)) return 'true';
  return undefined;
}

/** `repo2-type` for repo2-storage-tag's repo-type: the key of the option a rule names, with the option's index. */
export function ruleKey(key: string, other: string): string {
  const index = lookupOption(key)?.index;
  const info = optionInfos(other)[0];
  return index !== undefined && info?.index
    ? `${info.index.prefix}${index}-${other.slice(info.index.prefix.length + 1)}`
    : other;
}

/** The value pgBackRest reads for an option, and whence: the config's, else bsync's own, else pgBackRest's default. */
export interface ReadValue {
  value: string | undefined;
  source: string;
  given?: true;
}

/**
 * The value pgBackRest reads for `key` with `command`: the config's (a stanza's over global, a
 * command's section over both), else what bsync writes, else the default of `info` (the option's
 * definition: the host's release's when planning).
 */
export function readValue(
  options: PgbackrestOptions,
  key: string,
  command: string | undefined,
  typeNames: string[] | undefined,
  info: OptionInfo | undefined,
): ReadValue {
  const given = optionSetting(options, key, command);
  if (given !== undefined)
    return { value: dependValue(given.value), source: `${tablePath(given.table)}.${key}`, given: true };
  const own = bsyncValue(key, typeNames);
  if (own !== undefined) return { value: own, source: 'what bsync writes' };
  return info?.default !== undefined
    ? { value: info.default, source: "pgBackRest's default" }
    : { value: undefined, source: 'not set' };
}

/** The commands an option of a table is read by: its section's command, else those of its definitions. */
function readersOf(name: string, table: OptionTableRef): Array<string | undefined> {
  const readers = table.command
    ? [table.command]
    : (optionInfos(name).find((info) => info.commands.length > 0)?.commands ?? []);
  return readers.length ? readers : [undefined];
}

/**
 * Options pgBackRest reads only when another option has certain values (its option table's
 * `depend`: repoN-block needs repoN-bundle, repoN-storage-tag an object store): a line whose
 * rule fails is ignored without a word, so it is refused. The other option's value is the
 * config's (a stanza's over global, a command's section over both, as pgBackRest reads
 * them), else bsync's own, else pgBackRest's default; the option is refused only when no
 * command that reads it would see the rule met. A rule on a command-line option (restore's
 * `type`) or one that only needs the other option set is left to pgBackRest.
 */
function checkDepends(options: PgbackrestOptions, problems: ConfigProblems, typeNames: string[] | undefined): void {
  for (const { table, options: tableOptions } of tablesOf(options)) {
    for (const option of tableOptions) {
      const depend = dependOf(option.name);
      if (!depend?.list) continue;
      const dependName = depend.option;
      const dependInfo = optionInfos(dependName)[0];
      if (!dependInfo || dependInfo.section === 'command-line') continue;
      const dependKey = ruleKey(option.key, dependName);
      const seen = readersOf(option.name, table).map((command) =>
        readValue(options, dependKey, command, typeNames, dependInfo),
      );
      if (seen.some((entry) => entry.value !== undefined && depend.list!.includes(entry.value))) continue;
      const wanted = depend.list.join(' or ');
      const found = seen[0];
      // Where the operator set the other option, the way out is theirs to take.
      const bsyncSets =
        managedOptions().some(([pattern]) => pattern.test(dependKey))
        || (bsyncValue(dependKey, typeNames) !== undefined && !found.given);
      problems.add(
        `${tablePath(table)}.${option.key}`,
        `pgBackRest ignores it unless ${dependKey} is ${wanted} (its option table: ${option.name} depends on ${dependName}), and ${dependKey} is ${found.value ?? 'not set'} here (${found.source})`,
        bsyncSets
          ? `Remove ${option.key}: bsync sets ${dependKey} itself (from the repository's type and its SSH transport).`
          : found.given
            ? `Set ${found.source} = ${depend.list[0]}, or remove ${option.key}.`
            : `Set ${dependKey} = ${depend.list[0]} too, or remove ${option.key}.`,
      );
    }
  }
}

/**
 * Why the option's values are out of the range its definition gives for the value its `by`
 * option has (compress-level 19 with compress-type gz), or null; also null when the
 * definition has no range for it.
 */
export function rangeByProblem(values: string[], info: OptionInfo, over: string | undefined): string | null {
  const range = over === undefined ? undefined : info.by?.ranges?.[over];
  if (!info.by || !range) return null;
  return valueProblem(values, { ...info, min: range[0], max: range[1] });
}

/**
 * A value out of the range that depends on another option's value (compress-level's by
 * compress-type), for the value that option has where pgBackRest reads it: refused when no
 * release bsync knows takes it; one that some releases take is judged per host when planning.
 */
function checkRangesBy(options: PgbackrestOptions, problems: ConfigProblems, typeNames: string[] | undefined): void {
  for (const { table, options: tableOptions } of tablesOf(options)) {
    for (const option of tableOptions) {
      const infos = optionInfos(option.name);
      const over = infos.find((info) => info.by?.ranges)?.by?.option;
      if (over === undefined) continue;
      const overKey = ruleKey(option.key, over);
      for (const command of readersOf(option.name, table)) {
        const read = readValue(options, overKey, command, typeNames, optionInfos(over)[0]);
        const found = infos.map(
          (info) => valueProblem(option.values, info) ?? rangeByProblem(option.values, info, read.value),
        );
        if (found.some((problem) => problem === null)) continue;
        problems.add(
          `${tablePath(table)}.${option.key}`,
          `${found[0]} when ${overKey} is ${read.value} (${read.source}): no pgBackRest release takes it (its option table: ${option.name}'s range depends on ${over}), and pgBackRest refuses every command with it`,
          `Give ${option.key} a value in that range, or set another ${overKey}.`,
        );
        break;
      }
    }
  }
}

/**
 * Where pgBackRest finds an option of the config for `command`, and its value: the stanza's
 * command section, the stanza's, global's command section, then [global]. Without a command,
 * the stanza's then [global]'s.
 */
export function optionSetting(
  options: PgbackrestOptions,
  key: string,
  command?: string,
): { table: OptionTableRef; value: string } | undefined {
  const section = (scope: 'global' | 'stanza') =>
    command === undefined
      ? undefined
      : options.commands.find((entry) => entry.scope === scope && entry.command === command)?.options;
  const tables: Array<[OptionTableRef, PgbackrestOption[] | undefined]> = [
    [{ scope: 'stanza', command }, section('stanza')],
    [{ scope: 'stanza' }, options.stanza],
    [{ scope: 'global', command }, section('global')],
    [{ scope: 'global' }, options.global],
  ];
  for (const [table, entries] of tables) {
    const found = entries?.find((option) => option.key === key);
    if (found) return { table, value: found.values[0] };
  }
  return undefined;
}

/** The value bsync writes for an option, as pgBackRest reads it for `command` (`optionSetting`). */
export function optionValue(options: PgbackrestOptions, key: string, command?: string): string | undefined {
  return optionSetting(options, key, command)?.value;
}
