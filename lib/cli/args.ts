// bsync's command line → an Invocation (a command and its options). Two parsers give the
// same answer: yargs, for everything (help, version, every usage error and its message),
// and a quick one that loads nothing, for the plain command lines scripts and cron jobs
// repeat (`bsync plan --detailed-exitcode -c x.toml`). Loading yargs costs about as much
// CPU as everything else a no-op plan does before it connects (docs/architecture.md, What
// startup costs), so the quick parser takes what it fully understands, and hands anything
// else to yargs: an unknown option, a missing or empty value, a bad number, --help.
// test/unit/cli-args.test.ts holds the two to the same answers.
import type { applyCommand } from './apply.js';
import type { GlobalOptions } from './output.js';
import type { planCommand } from './plan.js';
import type { statusCommand } from './status.js';
import type { unlockCommand } from './unlock.js';
import type { verifyCommand } from './verify.js';
import type { restoreCommand } from './restore.js';
import type { backupCommand } from './backup.js';

export type Invocation =
  | { command: 'validate' | 'facts'; options: GlobalOptions }
  | { command: 'plan'; options: Parameters<typeof planCommand>[0] }
  | { command: 'status'; options: Parameters<typeof statusCommand>[0] }
  | { command: 'verify'; options: Parameters<typeof verifyCommand>[0] }
  | { command: 'apply'; options: Parameters<typeof applyCommand>[0] }
  | { command: 'unlock'; options: Parameters<typeof unlockCommand>[0] }
  | { command: 'restore'; options: Parameters<typeof restoreCommand>[0] }
  | { command: 'backup'; options: Parameters<typeof backupCommand>[0] };

// One controller: the ssh2 handshakes of every connection share Node's one thread; see docs/fleet.md.
const DEFAULT_PARALLEL = 16;

const list = <T>(value: unknown): T[] | undefined =>
  value === undefined ? undefined : ([] as T[]).concat(value as T | T[]);

function globals(argv: Record<string, unknown>): GlobalOptions {
  return {
    configs: (list<unknown>(argv.config) ?? ['./bsync.toml']).map(String),
    host: list<string>(argv.host),
    zone: list<number>(argv.zone),
    parallel: Number(argv.parallel),
    json: Boolean(argv.json),
    color: argv.color !== false,
  };
}

/** The Invocation of a command whose options are parsed (by either parser) into argv. */
function invocation(command: string, argv: Record<string, unknown>): Invocation {
  switch (command) {
    case 'plan':
      return {
        command,
        options: {
          ...globals(argv),
          out: argv.out as string | undefined,
          detailedExitcode: Boolean(argv['detailed-exitcode']),
          promFile: argv['prom-file'] as string | undefined,
        },
      };
    case 'status':
      return { command, options: { ...globals(argv), promFile: argv['prom-file'] as string | undefined } };
    case 'verify':
      return {
        command,
        options: {
          ...globals(argv),
          stanza: argv.stanza as string | undefined,
          set: argv.set as string | undefined,
          recoveryPoint: argv['recovery-point'] as boolean | undefined,
          promFile: argv['prom-file'] as string | undefined,
        },
      };
    case 'apply':
      return {
        command,
        options: {
          ...globals(argv),
          planFile: argv.planfile as string | undefined,
          yes: Boolean(argv.yes),
          allowRestart: Boolean(argv['allow-restart']),
        },
      };
    case 'unlock':
      return { command, options: { ...globals(argv), leaseId: String(argv.lease) } };
    case 'restore':
      return {
        command,
        options: {
          ...globals(argv),
          target: String(argv.target),
          set: argv.set as string | undefined,
          repo: argv.repo as number | undefined,
          delta: argv.delta !== false,
          targetAction: argv['target-action'] === 'pause' ? 'pause' : 'promote',
          allowOverwrite: Boolean(argv['allow-overwrite']),
          out: argv.out as string | undefined,
          to: argv.to as string | undefined,
          port: argv.port as number | undefined,
          yes: Boolean(argv.yes),
          allowRestart: false,
        },
      };
    case 'backup':
      return {
        command,
        options: {
          ...globals(argv),
          type: argv.type === 'diff' || argv.type === 'incr' ? argv.type : 'full',
          repo: argv.repo as number | undefined,
          yes: true,
          allowRestart: false,
        },
      };
    case 'validate':
    case 'facts':
      return { command, options: globals(argv) };
    default:
      throw new Error(`no such command: ${command}`);
  }
}

interface QuickOption {
  type: 'string' | 'number' | 'boolean';
  /** Given more than once, a list (the others: yargs makes a list too, which the quick parser leaves to it). */
  repeatable?: boolean;
}

const QUICK_GLOBALS: Record<string, QuickOption> = {
  config: { type: 'string', repeatable: true },
  host: { type: 'string', repeatable: true },
  zone: { type: 'number', repeatable: true },
  parallel: { type: 'number' },
  json: { type: 'boolean' },
  color: { type: 'boolean' },
};

/** The commands the quick parser takes, with their own options; the others always go to yargs. */
const QUICK_COMMANDS = new Map<string, Record<string, QuickOption>>([
  ['validate', {}],
  ['facts', {}],
  ['plan', { out: { type: 'string' }, 'detailed-exitcode': { type: 'boolean' }, 'prom-file': { type: 'string' } }],
  ['status', { 'prom-file': { type: 'string' } }],
]);

/**
 * The command line's Invocation when it is the command first, then only options the quick
 * parser knows, each once unless repeatable, as `--name value`, `--name=value`, `-c value`,
 * `--flag` or `--no-color`; values that are not empty and start with neither `-` nor a quote
 * (yargs strips quotes), numbers as whole numbers from 1. Else undefined: yargs parses it.
 */
export function quickInvocation(args: readonly string[]): Invocation | undefined {
  const [command, ...rest] = args;
  const own = command === undefined ? undefined : QUICK_COMMANDS.get(command);
  if (!own) return undefined;
  const known = { ...QUICK_GLOBALS, ...own };
  const argv: Record<string, unknown> = { parallel: DEFAULT_PARALLEL };
  const given = new Set<string>();
  for (let index = 0; index < rest.length; index += 1) {
    const token = rest[index];
    const match = token === '-c' ? ['-c', 'config', undefined] : /^--([a-z]+(?:-[a-z]+)*)(?:=(.*))?$/s.exec(token);
    if (!match) return undefined;
    let [, name, value] = match as [string, string, string | undefined];
    let flag = true;
    if (name === 'no-color' && value === undefined) {
      name = 'color';
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
      } else parsed = value;
    }
    argv[name] = option.repeatable ? [...((argv[name] as unknown[] | undefined) ?? []), parsed] : parsed;
  }
  return invocation(command, argv);
}

const PROM_FILE = {
  type: 'string',
  describe: 'also write Prometheus metrics to this file (textfile collector)',
} as const;

class UsageError extends Error {}

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
  const handle = (command: string) => async (argv: Record<string, unknown>) => {
    exitCode = await run(invocation(command, argv));
  };
  await yargs(args)
    // bsync speaks English: its own messages are, and yargs' would otherwise follow LANG
    // (half a German usage error), from locale files the bundle does not carry.
    .detectLocale(false)
    .scriptName('bsync')
    .usage(
      '$0 <command> [options]\n\nKeeps pgBackRest on PostgreSQL hosts and backup servers in the state bsync.toml declares.',
    )
    .version(version)
    .alias('version', 'V')
    // No yargs default: with one, a bare `-c` would silently mean ./bsync.toml.
    .option('config', {
      alias: 'c',
      type: 'string',
      defaultDescription: './bsync.toml',
      describe: 'the config file, or a folder of them (repeatable: one cluster each)',
    })
    .option('host', { type: 'string', describe: 'only this host (repeatable)' })
    .option('zone', { type: 'number', describe: 'only the hosts of this zone (repeatable)' })
    .option('parallel', {
      type: 'number',
      default: DEFAULT_PARALLEL,
      describe: 'at most this many SSH connections open at once (several configs)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'machine output on stdout' })
    .option('color', { type: 'boolean', default: true, describe: 'colour on a terminal (--no-color turns it off)' })
    .command('validate', 'check the config; no network', {}, handle('validate'))
    .command(
      'plan',
      'gather facts and show what apply would change',
      (y) =>
        y
          .option('out', { type: 'string', describe: 'save the plan to this file' })
          .option('detailed-exitcode', {
            type: 'boolean',
            default: false,
            describe: 'exit 0 in sync, 2 with changes, 1 on error',
          })
          .option('prom-file', PROM_FILE),
      handle('plan'),
    )
    .command(
      'status',
      'backups, ages, sizes and archiving per stanza; read-only',
      (y) => y.option('prom-file', PROM_FILE),
      handle('status'),
    )
    .command(
      'verify',
      'restore the newest backup of each stanza into a scratch folder, start it, check it, remove it',
      (y) =>
        y
          .option('stanza', { type: 'string', describe: 'only this stanza' })
          .option('set', { type: 'string', describe: 'restore this backup set instead of the newest' })
          .option('recovery-point', {
            type: 'boolean',
            describe: 'write a WAL marker on the primary and restore to the end of the archive',
          })
          .option('prom-file', PROM_FILE),
      handle('verify'),
    )
    .command(
      'apply [planfile]',
      'apply a saved plan, or plan, show, confirm and apply',
      (y) =>
        y
          .positional('planfile', { type: 'string', describe: 'a plan saved with plan --out' })
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' })
          .option('allow-restart', {
            type: 'boolean',
            default: false,
            describe: 'restart PostgreSQL where a setting needs it',
          }),
      handle('apply'),
    )
    .command(
      'restore',
      "plan and apply a recovery of a zone's server in place, to a target (docs/recovery.md)",
      (y) =>
        y
          .option('target', {
            type: 'string',
            default: 'latest',
            describe: 'latest | immediate | time=2026-12-04T03:00:00Z | lsn=0/3000060 | xid=N | name=POINT',
          })
          .option('set', {
            type: 'string',
            describe: 'restore this backup set (default: the one that reaches the target)',
          })
          .option('repo', { type: 'number', describe: 'restore from repoN (default: repo1)' })
          .option('delta', {
            type: 'boolean',
            default: true,
            describe: 'rewrite only files that differ (--no-delta: write every file anew)',
          })
          .option('target-action', {
            choices: ['promote', 'pause'],
            default: 'promote',
            describe: 'at the target: promote to a new timeline, or pause replay',
          })
          .option('allow-overwrite', {
            type: 'boolean',
            default: false,
            describe: 'the server runs: stop it and replace its data',
          })
          .option('to', {
            type: 'string',
            describe:
              'clone instead: restore onto HOST[:PATH] and start it as an independent server that never archives',
          })
          .option('port', { type: 'number', describe: "the clone's port (default 5433)" })
          .option('out', {
            type: 'string',
            describe: 'save the restore plan to this file (apply it with bsync apply FILE)',
          })
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' }),
      handle('restore'),
    )
    .command(
      'backup',
      'take a backup now, where the scheduled ones run, and print its label',
      (y) =>
        y
          .option('type', { choices: ['full', 'diff', 'incr'], default: 'incr', describe: 'backup type' })
          .option('repo', { type: 'number', describe: 'into repoN (default: repo1)' }),
      handle('backup'),
    )
    .command('facts', 'print the gathered facts as JSON', {}, handle('facts'))
    .command(
      'unlock <lease>',
      "clear a host's apply lease by hand (the id is in the message naming the holder)",
      (y) => y.positional('lease', { type: 'string', describe: 'the lease id, 16 hex digits' }),
      handle('unlock'),
    )
    // `-c` at the end of a line has no value: yargs would quietly use the default file.
    .check((argv) => {
      for (const name of ['config', 'host', 'out', 'prom-file', 'stanza', 'set', 'target', 'to']) {
        const values = ([] as unknown[]).concat(argv[name] ?? []);
        if (values.some((value) => value === ''))
          throw new UsageError(
            `--${name} needs a value${name === 'config' ? ' (the config file, e.g. -c bsync.toml)' : ''}`,
          );
      }
      const zones = ([] as unknown[]).concat(argv.zone ?? []);
      if (zones.some((zone) => !Number.isInteger(zone) || (zone as number) < 1))
        throw new UsageError('--zone needs a zone number (1, 2, ...)');
      const parallel = argv.parallel;
      if (!Number.isInteger(parallel) || (parallel as number) < 1)
        throw new UsageError('--parallel needs a whole number of connections, at least 1');
      if (
        argv.port !== undefined
        && (!Number.isInteger(argv.port) || (argv.port as number) < 1 || (argv.port as number) > 65535)
      )
        throw new UsageError('--port needs a TCP port number (1 to 65535)');
      if (argv.repo !== undefined && (!Number.isInteger(argv.repo) || (argv.repo as number) < 1))
        throw new UsageError('--repo needs a repository number (1, 2, ...)');
      return true;
    }, true)
    .demandCommand(1, 'Name a command: validate, plan, apply, restore, backup, status, verify, facts or unlock.')
    .strict()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .help()
    .parseAsync();
  return exitCode;
}
