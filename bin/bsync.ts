// bsync's command line: yargs wiring only; the commands live in lib/cli, one module each,
// loaded only when that command runs (validate need not load ssh2, --help loads none).
import { printErrorsAsJson, reportError, type GlobalOptions } from '../lib/cli/output.js';
import { packageVersion } from '../lib/project-files.js';

const list = <T>(value: unknown): T[] | undefined =>
  value === undefined ? undefined : ([] as T[]).concat(value as T | T[]);

function globals(argv: Record<string, unknown>): GlobalOptions {
  printErrorsAsJson(Boolean(argv.json));
  return {
    configs: (list<unknown>(argv.config) ?? ['./bsync.toml']).map(String),
    host: list<string>(argv.host),
    zone: list<number>(argv.zone),
    parallel: Number(argv.parallel),
    json: Boolean(argv.json),
    color: argv.color !== false,
  };
}

// One controller: the ssh2 handshakes of every connection share Node's one thread; see docs/fleet.md.
const DEFAULT_PARALLEL = 16;

const PROM_FILE = {
  type: 'string',
  describe: 'also write Prometheus metrics to this file (textfile collector)',
} as const;

async function main(args: string[]): Promise<number> {
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  const run = (work: () => number | Promise<number>) => async () => {
    exitCode = await work();
  };
  await yargs(args)
    .scriptName('bsync')
    .usage(
      '$0 <command> [options]\n\nKeeps pgBackRest on PostgreSQL hosts and backup servers in the state bsync.toml declares.',
    )
    .version(packageVersion())
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
    .command('validate', 'check the config; no network', {}, (argv) =>
      run(async () => (await import('../lib/cli/validate.js')).validateCommand(globals(argv)))(),
    )
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
      (argv) =>
        run(async () =>
          (await import('../lib/cli/plan.js')).planCommand({
            ...globals(argv),
            out: argv.out,
            detailedExitcode: Boolean(argv['detailed-exitcode']),
            promFile: argv['prom-file'],
          }),
        )(),
    )
    .command(
      'status',
      'backups, ages, sizes and archiving per stanza; read-only',
      (y) => y.option('prom-file', PROM_FILE),
      (argv) =>
        run(async () =>
          (await import('../lib/cli/status.js')).statusCommand({ ...globals(argv), promFile: argv['prom-file'] }),
        )(),
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
      (argv) =>
        run(async () =>
          (await import('../lib/cli/verify.js')).verifyCommand({
            ...globals(argv),
            stanza: argv.stanza,
            set: argv.set,
            recoveryPoint: argv['recovery-point'],
            promFile: argv['prom-file'],
          }),
        )(),
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
      (argv) =>
        run(async () =>
          (await import('../lib/cli/apply.js')).applyCommand({
            ...globals(argv),
            planFile: argv.planfile,
            yes: Boolean(argv.yes),
            allowRestart: Boolean(argv['allow-restart']),
          }),
        )(),
    )
    .command('facts', 'print the gathered facts as JSON', {}, (argv) =>
      run(async () => (await import('../lib/cli/facts.js')).factsCommand(globals(argv)))(),
    )
    .command(
      'unlock <lease>',
      "clear a host's apply lease by hand (the id is in the message naming the holder)",
      (y) => y.positional('lease', { type: 'string', describe: 'the lease id, 16 hex digits' }),
      (argv) =>
        run(async () =>
          (await import('../lib/cli/unlock.js')).unlockCommand({ ...globals(argv), leaseId: String(argv.lease) }),
        )(),
    )
    // `-c` at the end of a line has no value: yargs would quietly use the default file.
    .check((argv) => {
      for (const name of ['config', 'host', 'out', 'prom-file', 'stanza', 'set']) {
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
      return true;
    }, true)
    .demandCommand(1, 'Name a command: validate, plan, apply, status, verify, facts or unlock.')
    .strict()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .help()
    .parseAsync();
  return exitCode;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error)),
);
