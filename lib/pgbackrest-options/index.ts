// pgBackRest's option table, kept as data per release series (options-<version>.json, made
// by test/support/pgbackrest-options.ts): what an option name means, and whether a given
// pgBackRest version has it. A host is judged by the table of its own series (2.55.1 by
// 2.55's), or else the nearest older one.
import v2_45 from './options-2.45.json' with { type: 'json' };
import v2_55 from './options-2.55.json' with { type: 'json' };
import v2_56 from './options-2.56.json' with { type: 'json' };
import v2_57 from './options-2.57.json' with { type: 'json' };
import v2_58 from './options-2.58.json' with { type: 'json' };
import v2_59 from './options-2.59.json' with { type: 'json' };
import v2_60 from './options-2.60.json' with { type: 'json' };
import type { OptionData, OptionInfo } from './types.js';

/** Every release bsync has the table of, oldest first. Adding one: regenerate, import, list it here. */
export const RELEASES: readonly OptionData[] = [v2_45, v2_55, v2_56, v2_57, v2_58, v2_59, v2_60] as OptionData[];

function versionParts(version: string): number[] {
  return version
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** 2.55.1 belongs to the 2.55 series: major and minor are the same. */
function sameSeries(table: string, version: string): boolean {
  const [x, y] = [versionParts(table), versionParts(version)];
  return x[0] === y[0] && (x[1] ?? 0) === (y[1] ?? 0);
}

/** The table a host running `version` is judged by: the newest not newer than it; null when it is older than all. */
export function tableFor(version: string): OptionData | null {
  return [...RELEASES].reverse().find((release) => compareVersions(release.version, version) <= 0) ?? null;
}

export interface NamedOption {
  /** The name as pgbackrest.conf writes it: `repo1-bundle`, `process-max`. */
  key: string;
  /** The name in pgBackRest's table: `repo-bundle`. */
  name: string;
  /** repoN/pgN: N. */
  index?: number;
  info: OptionInfo;
}

/**
 * Every option any release has, or the newest table's `later` part knows, each with its
 * definitions newest first (a release's own over any `later`): bsync.toml is read before
 * the hosts' versions are known, so a name or value any of them takes is sound there, and
 * planning checks each host against its own table.
 */
function allOptions(): Map<string, OptionInfo[]> {
  const all = new Map<string, OptionInfo[]>();
  const add = (name: string, info: OptionInfo) => {
    const known = all.get(name) ?? [];
    if (
      !known.some((other) => JSON.stringify({ ...other, commands: [] }) === JSON.stringify({ ...info, commands: [] }))
    )
      known.push(info);
    all.set(name, known);
  };
  const newestFirst = [...RELEASES].reverse();
  for (const release of newestFirst) for (const [name, info] of Object.entries(release.options)) add(name, info);
  for (const release of newestFirst)
    for (const [name, info] of Object.entries(release.later)) if (!all.has(name)) add(name, info);
  return all;
}
const ALL = allOptions();

/** The definitions of an option bsync.toml may give (newest first); empty when no release knows it. */
export function optionInfos(name: string): OptionInfo[] {
  return ALL.get(name) ?? [];
}

/** `repo1-bundle` → repo-bundle with index 1; null when no release knows the name. */
export function lookupOption(key: string): NamedOption | null {
  const exact = ALL.get(key)?.[0];
  if (exact && !exact.index) return { key, name: key, info: exact };
  const match = /^(repo|pg)([0-9]+)-(.+)$/.exec(key);
  if (!match) return null;
  const name = `${match[1]}-${match[3]}`;
  const info = ALL.get(name)?.[0];
  if (!info?.index) return null;
  return { key, name, index: Number(match[2]), info };
}

/**
 * Every pgBackRest command that reads some release's pgbackrest.conf options (`archive-push`,
 * `backup`, …), sorted: those a [global:COMMAND] section can serve (not help or version).
 */
export function commandNames(): string[] {
  const names = new Set<string>();
  for (const release of RELEASES)
    for (const info of Object.values(release.options))
      if (info.section !== 'command-line') for (const command of info.commands) names.add(command);
  return [...names].sort();
}

/**
 * The dependency pgBackRest records for an option: that of the newest release whose list has
 * it (every list holds its own release's rules; no release's rules stand in for another's).
 */
export function dependOf(name: string): NonNullable<OptionInfo['depend']> | undefined {
  return [...RELEASES].reverse().find((release) => release.options[name])?.options[name].depend;
}

/** Names to suggest for a misspelt key: indexed options as their repo1-/pg1- form. */
export function suggestableNames(): string[] {
  return [...ALL].map(([name, [info]]) =>
    info.index ? `${info.index.prefix}1-${name.slice(info.index.prefix.length + 1)}` : name,
  );
}

export type Availability = { ok: true; info: OptionInfo; table: string } | { ok: false; why: string };

/** The series whose tables list the option as theirs, oldest first. */
function listedBy(name: string): string[] {
  return RELEASES.filter((release) => release.options[name]).map((release) => release.version);
}

/**
 * Whether pgBackRest `version` has the option `name`, judged from the table of its series, or
 * the newest table older than it (2.50 by 2.45's: what 2.45 lacks is refused, since bsync
 * cannot tell when it came). A host newer than every table is taken to have what the newest
 * knows of, its `later` part too (pgBackRest adds options, it seldom removes them); one older
 * than every table cannot be judged and is refused. When it has the option, `info` is that
 * table's definition, for checking the value.
 */
export function availability(name: string, version: string): Availability {
  const oldest = RELEASES[0];
  const newest = RELEASES[RELEASES.length - 1];
  const table = tableFor(version);
  if (!table) {
    return {
      ok: false,
      why: `that is older than ${oldest.version}, the oldest release whose option list bsync has, so bsync cannot tell whether ${version} has ${name}`,
    };
  }
  const own = table.options[name];
  if (own) return { ok: true, info: own, table: table.version };
  const others = listedBy(name);
  const newer = others.filter((other) => compareVersions(other, table.version) > 0);
  const older = others.filter((other) => compareVersions(other, table.version) < 0);
  const where = newer.length
    ? ` (pgBackRest ${newer[0]} has it)`
    : older.length
      ? ` (pgBackRest ${older[older.length - 1]} had it; ${table.version} does not list it)`
      : table.later[name]
        ? ` (pgBackRest added it after ${table.version})`
        : '';
  if (sameSeries(table.version, version)) return { ok: false, why: `${version} does not have ${name}${where}` };
  if (table === newest && table.later[name]) return { ok: true, info: table.later[name], table: table.version };
  return {
    ok: false,
    why: `bsync's newest option list up to ${version} is ${table.version}'s, which does not have ${name}${where}`,
  };
}

/**
 * `2.45, 2.55 to 2.60`: releases as messages name them, each run of releases that follow one
 * another in RELEASES written from its first to its last.
 */
export function releaseList(versions: readonly string[]): string {
  const at = RELEASES.map((release) => release.version);
  const runs: string[][] = [];
  for (const version of [...versions].sort((a, b) => at.indexOf(a) - at.indexOf(b))) {
    const run = runs.at(-1);
    if (run && at.indexOf(version) === at.indexOf(run.at(-1)!) + 1) run.push(version);
    else runs.push([version]);
  }
  return runs
    .map((run) => (run.length === 1 ? run[0] : `${run[0]}${run.length === 2 ? ', ' : ' to '}${run.at(-1)}`))
    .join(', ');
}
