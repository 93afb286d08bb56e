// Regenerates lib/pgbackrest-options/options-<version>.json, the option list bsync checks
// [pgbackrest.global] and [pgbackrest.stanza] against, from two sources:
//   - pgBackRest's option table, src/build/config/config.yaml of the pgbackrest/pgbackrest
//     repository: sections, types, allowed values, ranges, secure and indexed options;
//   - the installed pgBackRest's own `pgbackrest help` and `pgbackrest help COMMAND`: its
//     version, which options it has and for which commands (`help` prints no types).
// An option of the table that the installed version's help does not list is kept as
// `later` (known, but not in this version), so bsync can name it as too new for a host.
//
// The file is named by the release series (options-2.55.json for pgBackRest 2.55.1): patch
// releases share their series' option list.
//
//   curl -o /tmp/config.yaml https://raw.githubusercontent.com/pgbackrest/pgbackrest/release/2.45/src/build/config/config.yaml
//   npm run pgbackrest-options -- /tmp/config.yaml     (that pgbackrest on PATH)
//   PGBACKREST="chroot /var/cache/bsync-lab/trixie-rootfs pgbackrest" npm run pgbackrest-options -- /tmp/config.yaml
//                                                      (PGBACKREST: the command that runs it, split at spaces)
//
// With --rules-only, only the rules between options are (re)written into an existing list:
// `depend` (the option is read only when another option has one of some values) and `beta`
// (the release refuses it without its internal beta option), from that release's own
// config.yaml; the help is not asked, and nothing else in the file changes:
//
//   npm run pgbackrest-options -- --rules-only /tmp/config.yaml lib/pgbackrest-options/options-2.45.json
//
// Newer config.yaml files write some things differently, read here as the older ones mean them:
// `default-type: literal|dynamic` (C text or argv[0], no default bsync can compare), defaults
// and ranges that depend on another option's value (a list of `value: ...` maps; left out,
// pgBackRest checks them), times with units (`1m`, `100ms`: turned into seconds, as older
// tables write them) and `bool-like` (a string option that also takes y/n).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { OptionData, OptionInfo } from '../../lib/pgbackrest-options/types.js';

type YamlOption = Record<string, unknown>;

const [command, ...commandArgs] = (process.env.PGBACKREST ?? 'pgbackrest').split(/\s+/).filter(Boolean);
const pgbackrest = (...args: string[]) => execFileSync(command, [...commandArgs, ...args], { encoding: 'utf8' });

const TIME_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A time in seconds: newer tables write `1m`, `100ms`; older ones plain seconds. */
function seconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)$/.exec(value);
  if (!match) throw new Error(`config.yaml: ${value} is not a time`);
  return Number((Number(match[1]) * TIME_UNITS[match[2]]).toFixed(3));
}

/** A plain value, or undefined for one that depends on another option's value (`- tls: 8432`). */
const scalar = (value: unknown) => (Array.isArray(value) || value === null ? undefined : value);

/** An option's definition with `inherit` resolved (the child's keys win). */
function resolved(table: Record<string, YamlOption>, name: string): YamlOption {
  const own = table[name];
  if (!own) throw new Error(`config.yaml: ${name} is inherited but not defined`);
  const parent = typeof own.inherit === 'string' ? resolved(table, own.inherit) : {};
  return { ...parent, ...own };
}

/** allow-list entries are names, `name: CONDITION` maps (built only with a library), or another option's name. */
function allowList(table: Record<string, YamlOption>, option: YamlOption): string[] | undefined {
  const list = option['allow-list'];
  if (typeof list === 'string') return allowList(table, resolved(table, list));
  if (!Array.isArray(list)) return undefined;
  return list.map((entry) => (typeof entry === 'object' && entry !== null ? Object.keys(entry)[0] : String(entry)));
}

/**
 * The option's own `depend` (not a command's): the option it needs and, when given, the values
 * that option must have (booleans as "true"/"false", as defaults are written). `depend: NAME`
 * means NAME's dependency.
 */
function dependOf(table: Record<string, YamlOption>, option: YamlOption): OptionInfo['depend'] {
  const depend = option.depend;
  if (typeof depend === 'string') return dependOf(table, resolved(table, depend));
  if (typeof depend !== 'object' || depend === null) return undefined;
  const { option: name, list } = depend as { option?: unknown; list?: unknown };
  if (typeof name !== 'string') return undefined;
  return { option: name, ...(Array.isArray(list) ? { list: list.map((value) => String(value)) } : {}) };
}

/** The rules between options (depend, beta) of an option's definition, for its OptionInfo. */
function rulesOf(table: Record<string, YamlOption>, option: YamlOption): Pick<OptionInfo, 'depend' | 'beta'> {
  const depend = dependOf(table, option);
  return { ...(depend ? { depend } : {}), ...(option.beta === true ? { beta: true } : {}) };
}

/** --rules-only: `depend` and `beta` of every option of an existing list, from config.yaml; nothing else changes. */
function rulesOnly(table: Record<string, YamlOption>, yamlPath: string, listPath: string): void {
  const data = JSON.parse(readFileSync(listPath, 'utf8')) as OptionData;
  const withRules = (part: Record<string, OptionInfo>) =>
    Object.fromEntries(
      Object.entries(part).map(([name, info]) => {
        const { commands, depend: _depend, beta: _beta, ...rest } = info;
        const rules = table[name] ? rulesOf(table, resolved(table, name)) : {};
        return [name, { ...rest, ...rules, commands }];
      }),
    );
  const updated: OptionData = { ...data, options: withRules(data.options), later: withRules(data.later) };
  writeFileSync(listPath, `${JSON.stringify(updated, null, 2)}\n`);
  const count = Object.values(updated.options).filter((info) => info.depend || info.beta).length;
  console.log(`${listPath}: depend or beta for ${count} options, from ${yamlPath}`);
}

/** Every option `pgbackrest help COMMAND` lists, with the commands that list it. */
function helpOptions(): Map<string, string[]> {
  const commands = [...pgbackrest('help').matchAll(/^ {4}([a-z-]+) {2,}/gm)]
    // Every command, help and version too: from 2.5x on they list --help, --version, --output (2.45's none).
    .map((match) => match[1]);
  const options = new Map<string, string[]>();
  for (const command of commands) {
    for (const match of pgbackrest('help', command).matchAll(/^ {2}--([a-z0-9-]+)/gm)) {
      options.set(match[1], [...(options.get(match[1]) ?? []), command]);
    }
  }
  return options;
}

function main(): void {
  const rules = process.argv[2] === '--rules-only';
  const [yamlPath, listPath] = process.argv.slice(rules ? 3 : 2);
  if (!yamlPath || (rules && !listPath))
    throw new Error(
      'usage: tsx test/support/pgbackrest-options.ts [--rules-only] path/to/config.yaml [options-<version>.json]',
    );
  // uniqueKeys: newer tables give pg-host-port `default` twice (the later one counts, as for pgBackRest).
  const table = (
    parse(readFileSync(yamlPath, 'utf8'), { version: '1.2', uniqueKeys: false }) as {
      option: Record<string, YamlOption>;
    }
  ).option;
  if (rules) {
    rulesOnly(table, yamlPath, listPath);
    return;
  }
  const binary = /^pgBackRest (\S+)$/m.exec(pgbackrest('version'))?.[1];
  if (!binary) throw new Error('pgbackrest version printed no version');
  // The release series: 2.55.1 -> 2.55 (2.45 stays 2.45).
  const version = /^[0-9]+\.[0-9]+/.exec(binary)?.[0] ?? binary;
  const help = helpOptions();

  const indexMax = (group: string) => Number((resolved(table, group)['allow-range'] as number[])[1]);
  const options: Record<string, OptionInfo> = {};
  const later: Record<string, OptionInfo> = {};
  for (const name of Object.keys(table).sort()) {
    const option = resolved(table, name);
    // Internal options are not the user's, unless this version's help lists them (2.45 lists repo-block-*).
    if (option.internal === true && !help.has(name)) continue;
    const time = option.type === 'time';
    const allowRange = option['allow-range'] as Array<number | string> | undefined;
    const range = allowRange?.every((end) => scalar(end) !== undefined && typeof end !== 'object')
      ? allowRange.map((end) => (time ? seconds(end) : end))
      : undefined;
    const fallback = scalar(option.default) as number | string | boolean | undefined;
    const literal =
      option['default-literal'] === true || ['literal', 'dynamic'].includes(String(option['default-type']));
    const group = option.group as 'pg' | 'repo' | undefined;
    const info: OptionInfo = {
      section: option.section === 'global' || option.section === 'stanza' ? option.section : 'command-line',
      type: String(option.type),
      ...(option['bool-like'] === true ? { boolLike: true } : {}),
      ...(allowList(table, option) ? { allowed: allowList(table, option) } : {}),
      ...(range ? { min: range[0], max: range[1] } : {}),
      ...(fallback !== undefined && !literal
        ? { default: String(time && typeof fallback === 'string' ? seconds(fallback) : fallback) }
        : {}),
      ...(option.secure === true ? { secure: true } : {}),
      ...(group
        ? {
            index: {
              prefix: group,
              max: indexMax(group),
              pattern: `^${group}([1-9][0-9]*)-${name.slice(group.length + 1)}$`,
            },
          }
        : {}),
      ...rulesOf(table, option),
      commands: help.get(name) ?? [],
    };
    if (help.has(name)) options[name] = info;
    else later[name] = { ...info, commands: [] };
  }
  const missing = [...help.keys()].filter((name) => !options[name]);
  if (missing.length > 0)
    throw new Error(
      `pgbackrest ${binary} lists options config.yaml does not define: ${missing.join(', ')}; use the config.yaml of release ${version}`,
    );

  const data: OptionData = {
    version,
    source: `pgBackRest's src/build/config/config.yaml and \`pgbackrest help\` of pgBackRest ${binary}; made by test/support/pgbackrest-options.ts`,
    options,
    later,
  };
  const out = fileURLToPath(new URL(`../../lib/pgbackrest-options/options-${version}.json`, import.meta.url));
  writeFileSync(out, `${JSON.stringify(data, null, 2)}\n`);
  console.log(
    `${out}: ${Object.keys(options).length} options of pgBackRest ${binary}, ${Object.keys(later).length} only in later versions`,
  );
}

main();
