// pgBackRest's option table, kept as data per release (options-<version>.json, made by
// test/support/pgbackrest-options.ts): what an option name means, and whether a given
// pgBackRest version has it.
import v2_45 from './options-2.45.json' with { type: 'json' };
import type { OptionData, OptionInfo } from './types.js';

/** Every release bsync has the table of, oldest first. Adding one: regenerate, import, list it here. */
const RELEASES: OptionData[] = [v2_45 as OptionData];

function compareVersions(a: string, b: string): number {
  const parts = (version: string) =>
    version
      .split(/[^0-9]+/)
      .filter(Boolean)
      .map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
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

/** Every option any known release has, or a later release's table knows. */
function allOptions(): Map<string, OptionInfo> {
  const all = new Map<string, OptionInfo>();
  for (const release of RELEASES) {
    for (const [name, info] of [...Object.entries(release.later), ...Object.entries(release.options)])
      all.set(name, info);
  }
  return all;
}
const ALL = allOptions();

/** `repo1-bundle` → repo-bundle with index 1; null when no release knows the name. */
export function lookupOption(key: string): NamedOption | null {
  const exact = ALL.get(key);
  if (exact && !exact.index) return { key, name: key, info: exact };
  const match = /^(repo|pg)([0-9]+)-(.+)$/.exec(key);
  if (!match) return null;
  const name = `${match[1]}-${match[3]}`;
  const info = ALL.get(name);
  if (!info?.index) return null;
  return { key, name, index: Number(match[2]), info };
}

/** Names to suggest for a misspelt key: indexed options as their repo1-/pg1- form. */
export function suggestableNames(): string[] {
  return [...ALL].map(([name, info]) =>
    info.index ? `${info.index.prefix}1-${name.slice(info.index.prefix.length + 1)}` : name,
  );
}

type Availability = { ok: true } | { ok: false; why: string };

/**
 * Whether pgBackRest `version` has the option `name`, judged from the newest table not
 * newer than it. A host newer than every table is taken to have what the newest knows of
 * (pgBackRest adds options, it seldom removes them); one older than every table cannot
 * be judged and is refused.
 */
export function availability(name: string, version: string): Availability {
  const oldest = RELEASES[0];
  const table = [...RELEASES].reverse().find((release) => compareVersions(release.version, version) <= 0);
  if (!table) {
    return {
      ok: false,
      why: `that is older than ${oldest.version}, the oldest release whose option list bsync has, so bsync cannot tell whether ${version} has ${name}`,
    };
  }
  if (table.options[name]) return { ok: true };
  if (compareVersions(version, table.version) === 0) {
    return {
      ok: false,
      why: `${version} does not have ${name}${table.later[name] ? ` (pgBackRest added it after ${table.version})` : ''}`,
    };
  }
  if (table === RELEASES[RELEASES.length - 1] && table.later[name]) return { ok: true };
  return {
    ok: false,
    why: `bsync's newest option list up to ${version} is ${table.version}'s, which does not have ${name}`,
  };
}
