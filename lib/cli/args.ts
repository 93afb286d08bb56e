// bsync's command line → an Invocation (a command and its options). Two parsers give the
// same answer: yargs, for everything (help, version, every usage error and its message),
// and a quick one that loads nothing, for the plain command lines scripts and cron jobs
// repeat (`bsync plan --detailed-exitcode -c x.toml`). Loading yargs costs about as much
// CPU as everything else a no-op plan does before it connects (docs/architecture.md, What
// startup costs), so the quick parser takes what it fully understands, and hands anything
// else to yargs: an unknown option, a missing or empty value, a bad number, --help.
// Both are made from the command table (commands.ts); test/unit/cli-args.test.ts holds
// them to the same answers.
import {
  COMMANDS,
  GLOBAL_OPTIONS,
  NAME_A_COMMAND,
  commandSpec,
  invocationOf,
  type CommandName,
  type Invocation,
  type OptionSpec,
} from './commands.js';

import { BsyncError } from '../errors.js';
import { unknownWordsMessage } from './unknown-words.js';

export type { Invocation } from './commands.js';

/** Help lists a command's own options first, then these. */
const GLOBAL_GROUP = 'Global options:';

/**
 * The command line's Invocation when it is a quick command first, then only options it
 * knows, each once unless repeatable, as `--name value`, `--name=value`, `-c value` (an
 * alias), `--flag` or `--no-flag` (a flag that is on by default); values that are not empty
 * and start with neither `-` nor a quote (yargs strips quotes), numbers as whole numbers
 * from 1 (and within the option's range). Else undefined: yargs parses it.
 */
export function quickInvocation(args: readonly string[]): Invocation | undefined {
  const [command, ...rest] = args;
  const spec = command === undefined ? undefined : commandSpec(command);
  if (!spec?.quick || spec.positional) return undefined;
  const known: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...spec.options };
  const aliases = new Map(
    Object.entries(known).flatMap(([name, option]) => (option.alias ? [[option.alias, name]] : [])),
  );
  const argv: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(known)) if (option.default !== undefined) argv[name] = option.default;
  const given = new Set<string>();
  for (let index = 0; index < rest.length; index += 1) {
    const token = rest[index];
    const short = /^-([a-zA-Z])$/.exec(token);
    const match = short
      ? aliases.has(short[1])
        ? [token, aliases.get(short[1]), undefined]
        : null
      : /^--([a-z]+(?:-[a-z]+)*)(?:=(.*))?$/s.exec(token);
    if (!match) return undefined;
    let [, name, value] = match as [string, string, string | undefined];
    let flag = true;
    const negated = name.startsWith('no-') ? known[name.slice(3)] : undefined;
    if (value === undefined && negated?.type === 'boolean' && negated.default === true) {
      name = name.slice(3);
      flag = false;
    }
    const option = Object.hasOwn(known, name) ? known[name] : undefined;
    if (!option || (given.has(name) && !option.repeatable)) return undefined;
    given.add(name);
    let parsed: string | number | boolean;
    if (option.type === 'boolean') {
      // `--json=false` is yargs's to read (`--json false` is too: `false` is no option here).
      if (value !== undefined) return undefined;
      parsed = flag;
    } else {
      if (value === undefined) {
        index += 1;
        value = rest[index];
      }
      if (value === undefined || value === '' || /^[-'"]/.test(value)) return undefined;
      if (option.type === 'number') {
        if (!/^[1-9][0-9]{0,8}$/.test(value)) return undefined;
        parsed = Number(value);
        if (option.whole && (parsed < option.whole.min || parsed > (option.whole.max ?? parsed))) return undefined;
      } else parsed = value;
    }
    argv[name] = option.repeatable ? [...((argv[name] as unknown[] | undefined) ?? []), parsed] : parsed;
  }
  return invocationOf(command as CommandName, argv);
}

/** A mistake on the command line: the message, and the usage line where one helps. */
class UsageError extends BsyncError {}

/** What yargs is given of an option: the spec less bsync's own keys. */
function yargsOption({ repeatable, valueHint, whole, ...option }: OptionSpec) {
  return option;
}

/**
 * Every option of every command, once, in the order of the table (globals first): the
 * usage checks run in this order, so a line with two mistakes names the same one first.
 */
function allOptions(): Array<[string, OptionSpec]> {
  const seen = new Map<string, OptionSpec>(Object.entries(GLOBAL_OPTIONS));
  for (const spec of Object.values(COMMANDS))
    for (const [name, option] of Object.entries(spec.options)) if (!seen.has(name)) seen.set(name, option);
  return [...seen];
}

/** The usage mistakes yargs does not find itself: an empty value (a `-c` at the end of a line would quietly mean the default file), a number out of range. */
function usageProblem(argv: Record<string, unknown>): string | undefined {
  const options = allOptions();
  for (const [name, option] of options) {
    if (option.type !== 'string') continue;
    if (([] as unknown[]).concat(argv[name] ?? []).some((value) => value === ''))
      return `--${name} needs a value${option.valueHint ?? ''}`;
  }
  for (const [name, option] of options) {
    const whole = option.whole;
    if (!whole) continue;
    // A repeatable option is a list; any other given twice is one too, which is no number.
    const values = option.repeatable
      ? ([] as unknown[]).concat(argv[name] ?? [])
      : argv[name] === undefined
        ? []
        : [argv[name]];
    const outside = (value: unknown) =>
      !Number.isInteger(value) || (value as number) < whole.min || (value as number) > (whole.max ?? Infinity);
    if (values.some(outside)) return whole.message;
  }
  return undefined;
}

/**
 * Parses the command line with yargs, which also answers --help and --version itself and
 * throws a usage error for a mistake; else runs the command with `run` and gives its exit code.
 */
export async function yargsInvocation(
  args: string[],
  version: string,
  run: (invocation: Invocation) => Promise<number>,
): Promise<number> {
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  let parser = yargs(args)
    // bsync speaks English: its own messages are, and yargs' would otherwise follow LANG
    // (half a German usage error), from locale files the bundle does not carry.
    .detectLocale(false)
    .scriptName('bsync')
    .usage(
      '$0 <command> [options]\n\nKeeps pgBackRest on PostgreSQL hosts and backup servers in the state bsync.toml declares.',
    )
    .version(version)
    .alias('version', 'V');
  // Not yargs globals: each command takes them in its builder, but for an option of its own
  // of the same name (init's --host), which would otherwise show in both groups of its help.
  for (const [name, option] of Object.entries(GLOBAL_OPTIONS))
    parser = parser.option(name, { ...yargsOption(option), group: GLOBAL_GROUP, global: false });
  for (const [name, spec] of Object.entries(COMMANDS) as Array<[CommandName, (typeof COMMANDS)[CommandName]]>) {
    const { positional } = spec;
    const usage = positional
      ? `${name} ${positional.required ? `<${positional.name}>` : `[${positional.name}]`}`
      : name;
    parser = parser.command(
      usage,
      spec.describe,
      (y) => {
        let own = positional
          ? y.positional(positional.name, { type: positional.type, describe: positional.describe })
          : y;
        if (spec.usage) own = own.usage(`$0 ${spec.usage}\n\n${spec.describe}`);
        for (const [option, definition] of Object.entries(spec.options))
          own = own.option(option, { ...yargsOption(definition), group: 'Options:' });
        for (const [option, definition] of Object.entries(GLOBAL_OPTIONS))
          if (!(option in spec.options)) own = own.option(option, { ...yargsOption(definition), group: GLOBAL_GROUP });
        return own;
      },
      async (argv) => {
        exitCode = await run(invocationOf(name, argv));
      },
    );
  }
  await parser
    .check((argv) => {
      const problem = usageProblem(argv);
      if (problem) throw new UsageError(problem);
      return true;
    }, true)
    .demandCommand(1, NAME_A_COMMAND)
    .strict()
    .completion('completion', 'print a bash or zsh completion script (bsync completion >> ~/.bashrc)')
    .fail((message, error) => {
      throw error ?? new UsageError(unknownWordsMessage(message, args) ?? message);
    })
    .help()
    .alias('help', 'h')
    .parseAsync();
  return exitCode;
}
