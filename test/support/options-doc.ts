// The table of pgBackRest's options in docs/config.md ("Every option, by release"), made from
// bsync's option lists (lib/pgbackrest-options/options-<series>.json): from which release each
// option applies, where pgbackrest.conf may hold it, what changed between the lists, and the
// rule pgBackRest's table records for it. test/unit/docs-options.test.ts holds the page to it;
//
//   npm run docs:options          rewrites the part of docs/config.md between the markers
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dependOf, RELEASES } from '../../lib/pgbackrest-options/index.js';
import type { OptionInfo } from '../../lib/pgbackrest-options/types.js';

export const DOC = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
export const BEGIN =
  '<!-- options-by-release: made by `npm run docs:options` from lib/pgbackrest-options; do not edit -->';
export const END = '<!-- options-by-release end -->';

/** `repo-bundle` → `repoN-bundle`: the name as pgbackrest.conf writes it. */
function confName(name: string, info: OptionInfo): string {
  return info.index ? `${info.index.prefix}N-${name.slice(info.index.prefix.length + 1)}` : name;
}

/** 0 and 0B, 1 and 1B are one size. */
const bytes = (end: number | string | undefined) => String(end).replace(/^([0-9]+)B$/, '$1');

/** `gz -1 to 9, zst -7 to 22`: a range or default for each value of another option. */
function byText(entries: Record<string, Array<number | string> | string> | undefined): string | undefined {
  if (!entries) return undefined;
  return Object.entries(entries)
    .map(([value, what]) => `${value} ${Array.isArray(what) ? `${bytes(what[0])} to ${bytes(what[1])}` : what}`)
    .join(', ');
}

/** The rule pgBackRest's table records: `needs repoN-type = s3`, `beta`. */
function ruleText(info: OptionInfo): string {
  const depend = info.depend;
  const dependInfo = depend ? RELEASES.map((release) => release.options[depend.option]).find(Boolean) : undefined;
  const name = depend && dependInfo ? confName(depend.option, dependInfo) : depend?.option;
  return [
    ...(depend ? [`needs ${name}${depend.list ? ` = ${depend.list.join(' or ')}` : ' set'}`] : []),
    ...(info.beta ? ['beta'] : []),
  ].join('; ');
}

/** What the newer list says differently from the older one, in a few words. */
function changed(older: OptionInfo, newer: OptionInfo): string[] {
  const what: string[] = [];
  // Lists in another order are one list.
  const range = (info: OptionInfo) =>
    info.min !== undefined
      ? `${bytes(info.min)} to ${bytes(info.max)}`
      : info.by?.ranges
        ? `by ${info.by.option}: ${byText(info.by.ranges)}`
        : undefined;
  const fallback = (info: OptionInfo) =>
    info.default ?? (info.by?.defaults ? `by ${info.by.option}: ${byText(info.by.defaults)}` : undefined);
  const values = (info: OptionInfo) => JSON.stringify([...(info.allowed ?? [])].sort());
  if (older.type !== newer.type) what.push(`type ${older.type} → ${newer.type}`);
  if (values(older) !== values(newer))
    what.push(`values ${older.allowed?.join('/') ?? 'any'} → ${newer.allowed?.join('/') ?? 'any'}`);
  if (range(older) !== range(newer)) what.push(`range ${range(older) ?? 'none'} → ${range(newer) ?? 'none'}`);
  if (fallback(older) !== fallback(newer))
    what.push(`default ${fallback(older) ?? 'none'} → ${fallback(newer) ?? 'none'}`);
  if (ruleText(older) !== ruleText(newer))
    what.push(`rule ${ruleText(older) || 'none'} → ${ruleText(newer) || 'none'}`);
  const added = newer.commands.filter((command) => !older.commands.includes(command));
  if (added.length) what.push(`also read by ${added.join(', ')}`);
  return what;
}

/** `2.56: range …; 2.58: …`: every release whose list says something else of the option than the one before. */
function changes(name: string): string {
  return RELEASES.slice(1)
    .flatMap((release, at) => {
      const older = RELEASES[at].options[name];
      const own = release.options[name];
      if (!own) return older ? [`${release.version}: no longer listed`] : [];
      if (!older) return RELEASES.slice(0, at).some((each) => each.options[name]) ? [`${release.version}: back`] : [];
      const what = changed(older, own);
      return what.length ? [`${release.version}: ${what.join('; ')}`] : [];
    })
    .join('<br>');
}

/** The markdown table: one row per option that pgbackrest.conf can hold, by name. */
export function optionsTable(): string {
  const names = new Set<string>();
  for (const release of RELEASES)
    for (const [name, info] of Object.entries(release.options)) if (info.section !== 'command-line') names.add(name);
  const header = [
    "| option | from | section | changed since (release: what) | rule in pgBackRest's table (newest) |",
    '|---|---|---|---|---|',
  ];
  const rows = [...names].sort().map((name) => {
    const having = RELEASES.filter((release) => release.options[name]);
    const newest = having[having.length - 1].options[name];
    const from = having[0].version;
    const last = having[having.length - 1].version;
    const span =
      last === RELEASES[RELEASES.length - 1].version ? from : from === last ? `${from} only` : `${from} to ${last}`;
    const depend = dependOf(name);
    const rule = ruleText({ ...newest, ...(depend ? { depend } : {}) });
    const betaIn = having.filter((release) => release.options[name].beta).map((release) => release.version);
    const rules = [rule.replace(/(; )?beta$/, ''), ...(betaIn.length ? [`beta in ${betaIn.join(', ')}`] : [])];
    return `| \`${confName(name, newest)}\` | ${span} | ${newest.section} | ${changes(name)} | ${rules.filter(Boolean).join('; ')} |`;
  });
  return [...header, ...rows].join('\n');
}

/** docs/config.md with the part between the markers made anew. */
export function documented(text: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/config.md lacks the markers ${BEGIN} … ${END}`);
  return `${text.slice(0, start + BEGIN.length)}\n${optionsTable()}\n${text.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOC, documented(readFileSync(DOC, 'utf8')));
  console.log(`${DOC}: the options table made anew`);
}
