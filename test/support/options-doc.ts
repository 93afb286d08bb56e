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

/** What the newer lists say differently from the older one, in a few words. */
function changed(older: OptionInfo, newer: OptionInfo): string[] {
  const what: string[] = [];
  // 0 and 0B, 1 and 1B are one size; lists in another order are one list.
  const bytes = (end: number | string | undefined) => String(end).replace(/^([0-9]+)B$/, '$1');
  const range = (info: OptionInfo) => (info.min !== undefined ? `${bytes(info.min)} to ${bytes(info.max)}` : undefined);
  const values = (info: OptionInfo) => JSON.stringify([...(info.allowed ?? [])].sort());
  if (older.type !== newer.type) what.push(`type ${older.type} → ${newer.type}`);
  if (values(older) !== values(newer))
    what.push(`values ${older.allowed?.join('/') ?? 'any'} → ${newer.allowed?.join('/') ?? 'any'}`);
  if (range(older) !== range(newer)) what.push(`range ${range(older) ?? 'none'} → ${range(newer) ?? 'none'}`);
  if (older.default !== newer.default) what.push(`default ${older.default ?? 'none'} → ${newer.default ?? 'none'}`);
  const added = newer.commands.filter((command) => !older.commands.includes(command));
  if (added.length) what.push(`also read by ${added.join(', ')}`);
  return what;
}

/** The markdown table: one row per option that pgbackrest.conf can hold, by name. */
export function optionsTable(): string {
  const names = new Set<string>();
  for (const release of RELEASES)
    for (const [name, info] of Object.entries(release.options)) if (info.section !== 'command-line') names.add(name);
  const header = [
    `| option | from | section | ${RELEASES.slice(1)
      .map((release) => `changed in ${release.version}`)
      .join(' | ')} | rule in pgBackRest's table |`,
    `|---|---|---|${RELEASES.slice(1)
      .map(() => '---|')
      .join('')}---|`,
  ];
  const rows = [...names].sort().map((name) => {
    const having = RELEASES.filter((release) => release.options[name]);
    const infos = having.map((release) => release.options[name]);
    const newest = infos[infos.length - 1];
    const from = having[0].version;
    const last = having[having.length - 1].version;
    const span =
      last === RELEASES[RELEASES.length - 1].version ? from : from === last ? `${from} only` : `${from} to ${last}`;
    const changes = RELEASES.slice(1).map((release, at) => {
      const older = RELEASES[at].options[name];
      const own = release.options[name];
      if (!own) return older ? 'no longer listed' : '';
      if (!older) return 'new';
      return changed(older, own).join('; ');
    });
    const betaIn = having.filter((release) => release.options[name].beta).map((release) => release.version);
    // The rule bsync checks: that of the newest list that has the option.
    const depend = dependOf(name);
    const dependInfo = depend ? RELEASES.map((release) => release.options[depend.option]).find(Boolean) : undefined;
    const dependName = depend && dependInfo ? confName(depend.option, dependInfo) : depend?.option;
    const rules = [
      ...(depend ? [`needs ${dependName}${depend.list ? ` = ${depend.list.join(' or ')}` : ' set'}`] : []),
      ...(betaIn.length ? [`beta in ${betaIn.join(', ')}`] : []),
    ];
    return `| \`${confName(name, newest)}\` | ${span} | ${newest.section} | ${changes.join(' | ')} | ${rules.join('; ')} |`;
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
