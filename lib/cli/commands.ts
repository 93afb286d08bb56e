// bsync's commands, one entry each: what `bsync CMD --help` says, its positional and its
// options, whether the quick parser takes it, how argv becomes its options, and what runs
// it. lib/cli/args.ts makes both parsers, the usage checks and the dispatch from this
// table. A command's module is imported only when it runs: this file imports types alone.
import type { applyCommand } from './apply.js';
import type { backupCommand } from './backup.js';
import type { initCommand } from './init.js';
import type { GlobalOptions } from './output.js';
import type { planCommand } from './plan.js';
import type { promoteCommand } from './promote.js';
import type { restoreCommand } from './restore.js';
import type { showCommand } from './show.js';
import type { statusCommand } from './status.js';
import type { unlockCommand } from './unlock.js';
import type { verifyCommand } from './verify.js';

/** An option as yargs takes it (type, alias, default, describe), plus what bsync checks of it. */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  alias?: string;
  default?: string | number | boolean;
  /** What help shows as the default when the option has none (a default would hide a bare `-c`). */
  defaultDescription?: string;
  describe: string;
  /** Given more than once, a list (the quick parser takes it more than once only then). */
  repeatable?: boolean;
  /** A string option: what `--name needs a value` adds for an empty one. */
  valueHint?: string;
  /** A number option: a whole number in this range, else `message`. */
  whole?: { min: number; max?: number; message: string };
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  type: 'string';
  describe: string;
}

type Argv = Record<string, unknown>;

export interface CommandSpec<Options> {
  describe: string;
  positional?: PositionalSpec;
  /** The usage line help shows, when it needs more than the command and its positional (a required option). */
  usage?: string;
  options: Record<string, OptionSpec>;
  /** The quick parser takes its plain command lines (a command with a positional never). */
  quick?: boolean;
  /** The options its function is given, from argv as either parser leaves it. */
  optionsOf(argv: Argv): Options;
  /** Imports its module and runs it. */
  run(options: Options): Promise<number>;
}

// One controller: the ssh2 handshakes of every connection share Node's one thread; see docs/fleet.md.
const DEFAULT_PARALLEL = 16;

/** The options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  // No default: with one, a bare `-c` would silently mean ./bsync.toml.
  config: {
    alias: 'c',
    type: 'string',
    defaultDescription: './bsync.toml',
    describe: 'the config file, or a folder of them (repeatable: one cluster each)',
    repeatable: true,
    valueHint: ' (the config file, e.g. -c bsync.toml)',
  },
  host: { type: 'string', describe: 'only this host (repeatable)', repeatable: true },
  zone: {
    type: 'number',
    describe: 'only the hosts of this zone (repeatable)',
    repeatable: true,
    whole: { min: 1, message: '--zone needs a zone number (1, 2, ...)' },
  },
  parallel: {
    type: 'number',
    default: DEFAULT_PARALLEL,
    describe: 'at most this many SSH connections open at once (several configs)',
    whole: { min: 1, message: '--parallel needs a whole number of connections, at least 1' },
  },
  json: { type: 'boolean', default: false, describe: 'machine output on stdout' },
  color: { type: 'boolean', default: true, describe: 'colour on a terminal (--no-color turns it off)' },
};

const PROM_FILE: OptionSpec = {
  type: 'string',
  describe: 'also write Prometheus metrics to this file (textfile collector)',
};
const YES: OptionSpec = { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' };
// The options an operation's request is made of are given to its decoder as they were
// written (lib/recovery/requests.ts), which checks them as it checks a saved plan's.
const repoOption = (describe: string): OptionSpec => ({ type: 'string', describe });
const OUT: OptionSpec = { type: 'string', describe: 'save the plan to this file (apply it with bsync apply FILE)' };

const list = <T>(value: unknown): T[] | undefined =>
  value === undefined ? undefined : ([] as T[]).concat(value as T | T[]);

function globals(argv: Argv): GlobalOptions {
  return {
    configs: (list<unknown>(argv.config) ?? ['./bsync.toml']).map(String),
    host: list<string>(argv.host),
    zone: list<number>(argv.zone),
    parallel: Number(argv.parallel),
    json: Boolean(argv.json),
    color: argv.color !== false,
  };
}

const command = <Options>(spec: CommandSpec<Options>) => spec;

/** In the order `bsync --help` lists them. */
export const COMMANDS = {
  validate: command({
    describe: 'check the config; no network',
    options: {},
    quick: true,
    optionsOf: globals,
    run: async (options) => (await import('./validate.js')).validateCommand(options),
  }),
  plan: command<Parameters<typeof planCommand>[0]>({
    describe: 'gather facts and show what apply would change',
    options: {
      out: { type: 'string', describe: 'save the plan to this file' },
      'detailed-exitcode': { type: 'boolean', default: false, describe: 'exit 0 in sync, 2 with changes, 1 on error' },
      'prom-file': PROM_FILE,
    },
    quick: true,
    optionsOf: (argv) => ({
      ...globals(argv),
      out: argv.out as string | undefined,
      detailedExitcode: Boolean(argv['detailed-exitcode']),
      promFile: argv['prom-file'] as string | undefined,
    }),
    run: async (options) => (await import('./plan.js')).planCommand(options),
  }),
  status: command<Parameters<typeof statusCommand>[0]>({
    describe: 'backups, ages, sizes and archiving per stanza; read-only',
    options: { 'prom-file': PROM_FILE },
    quick: true,
    optionsOf: (argv) => ({ ...globals(argv), promFile: argv['prom-file'] as string | undefined }),
    run: async (options) => (await import('./status.js')).statusCommand(options),
  }),
  check: command({
    describe: "status held to the config's [alert] thresholds: exit 0 held, 2 broken, 1 could not tell; read-only",
    options: {},
    quick: true,
    optionsOf: globals,
    run: async (options) => (await import('./check.js')).checkCommand(options),
  }),
  verify: command<Parameters<typeof verifyCommand>[0]>({
    describe: 'restore the newest backup of each stanza into a scratch folder, start it, check it, remove it',
    options: {
      stanza: { type: 'string', describe: 'only this stanza' },
      set: { type: 'string', describe: 'restore this backup set instead of the newest' },
      'recovery-point': {
        type: 'boolean',
        describe: 'write a WAL marker on the primary and restore to the end of the archive',
      },
      'prom-file': PROM_FILE,
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      stanza: argv.stanza as string | undefined,
      set: argv.set as string | undefined,
      recoveryPoint: argv['recovery-point'] as boolean | undefined,
      promFile: argv['prom-file'] as string | undefined,
    }),
    run: async (options) => (await import('./verify.js')).verifyCommand(options),
  }),
  apply: command<Parameters<typeof applyCommand>[0]>({
    describe: 'apply a saved plan, or plan, show, confirm and apply',
    positional: { name: 'planfile', required: false, type: 'string', describe: 'a plan saved with plan --out' },
    options: {
      yes: YES,
      'allow-restart': { type: 'boolean', default: false, describe: 'restart PostgreSQL where a setting needs it' },
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      planFile: argv.planfile as string | undefined,
      yes: Boolean(argv.yes),
      allowRestart: Boolean(argv['allow-restart']),
    }),
    run: async (options) => (await import('./apply.js')).applyCommand(options),
  }),
  restore: command<Parameters<typeof restoreCommand>[0]>({
    describe: "plan and apply a recovery of a zone's server in place, to a target (docs/recovery.md)",
    options: {
      target: {
        type: 'string',
        default: 'latest',
        describe:
          'latest | immediate | time=2026-12-04 03:00:00+00 (T, Z, UTC, +01, +05:30) | lsn=0/3000060 | xid=N | name=POINT',
      },
      set: { type: 'string', describe: 'restore this backup set (default: the one that reaches the target)' },
      repo: repoOption('restore from repoN (default: repo1)'),
      delta: {
        type: 'boolean',
        default: true,
        describe: 'rewrite only files that differ (--no-delta: write every file anew)',
      },
      'target-action': {
        type: 'string',
        default: 'promote',
        describe: 'promote | pause: at the target, promote to a new timeline, or pause replay',
      },
      'allow-overwrite': { type: 'boolean', default: false, describe: 'the server runs: stop it and replace its data' },
      'repo-target-time': {
        type: 'string',
        describe:
          'read the repository as it was at this time (a versioned bucket, pgBackRest 2.54+): 2026-12-07 11:26:24+00',
      },
      standby: {
        type: 'boolean',
        default: false,
        describe: "rebuild --host as a standby from the repository (pgBackRest's --type=standby) instead of a recovery",
      },
      replicas: {
        type: 'string',
        describe:
          "follow | leave: the zone's plain streaming replicas are rebuilt as standbys of the restored primary (default follow), or left on the old timeline",
      },
      to: {
        type: 'string',
        describe: 'clone instead: restore onto HOST[:PATH] and start it as an independent server that never archives',
      },
      port: { type: 'string', describe: "the clone's TCP port (default 5433)" },
      out: OUT,
      yes: YES,
      'prom-file': PROM_FILE,
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      target: String(argv.target),
      set: argv.set as string | undefined,
      repo: argv.repo as string | undefined,
      delta: argv.delta !== false,
      targetAction: String(argv['target-action']),
      allowOverwrite: Boolean(argv['allow-overwrite']),
      repoTargetTime: argv['repo-target-time'] as string | undefined,
      standby: Boolean(argv.standby),
      replicas: argv.replicas as string | undefined,
      out: argv.out as string | undefined,
      to: argv.to as string | undefined,
      port: argv.port as string | undefined,
      yes: Boolean(argv.yes),
      allowRestart: false,
      promFile: argv['prom-file'] as string | undefined,
    }),
    run: async (options) => (await import('./restore.js')).restoreCommand(options),
  }),
  backup: command<Parameters<typeof backupCommand>[0]>({
    describe: 'take a backup now, where the scheduled ones run, and print its label',
    options: {
      type: { type: 'string', default: 'incr', describe: 'full | diff | incr: the backup type' },
      repo: repoOption('into repoN (default: repo1)'),
      out: OUT,
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      type: String(argv.type),
      repo: argv.repo as string | undefined,
      out: argv.out as string | undefined,
      yes: true,
      allowRestart: false,
    }),
    run: async (options) => (await import('./backup.js')).backupCommand(options),
  }),
  promote: command<Parameters<typeof promoteCommand>[0]>({
    describe: "make a standby site its zone's primary, then give it its own stanza and archiving (docs/recovery.md)",
    options: {
      out: OUT,
      yes: YES,
      'allow-restart': { type: 'boolean', default: false, describe: 'restart PostgreSQL where a setting needs it' },
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      out: argv.out as string | undefined,
      yes: Boolean(argv.yes),
      allowRestart: Boolean(argv['allow-restart']),
    }),
    run: async (options) => (await import('./promote.js')).promoteCommand(options),
  }),
  init: command<Parameters<typeof initCommand>[0]>({
    describe: 'ask the hosts what they run and write a commented bsync.toml (docs/init.md)',
    usage: 'init --host NAME=ADDRESS[:ROLE[:ZONE]] ... | --inventory FILE',
    options: {
      host: {
        type: 'string',
        describe:
          'a host: NAME, NAME=ADDRESS, NAME=ADDRESS:ROLE or NAME=ADDRESS:ROLE:ZONE; ROLE postgres (default) or backup (repeatable)',
        repeatable: true,
      },
      inventory: { type: 'string', describe: "an Ansible inventory (INI) with the role's groups pgedge and backup" },
      out: { type: 'string', default: './bsync.toml', describe: 'the config file to write; never overwritten' },
      cluster: { type: 'string', describe: 'the cluster name where no existing stanza tells it (default main)' },
      'ssh-user': { type: 'string', default: 'root', describe: 'the SSH user (not root: commands run through sudo)' },
      'ssh-port': {
        type: 'number',
        describe: "every host's sshd port (default 22)",
        whole: { min: 1, max: 65535, message: '--ssh-port needs a port number (1 to 65535)' },
      },
      identity: { type: 'string', describe: 'the SSH private key (default: the ssh-agent, else ~/.ssh/id_ed25519)' },
      'known-hosts': { type: 'string', default: '~/.ssh/known_hosts', describe: "the hosts' keys, verified" },
      'pg-port': {
        type: 'number',
        default: 5432,
        describe: 'the PostgreSQL port of the --host hosts',
        whole: { min: 1, max: 65535, message: '--pg-port needs a port number (1 to 65535)' },
      },
      secrets: {
        type: 'string',
        default: '/etc/bsync',
        describe: "the folder the config's secret files and generated passphrases go in",
      },
    },
    optionsOf: (argv) => ({
      ...globals(argv),
      inventory: argv.inventory as string | undefined,
      sshUser: String(argv['ssh-user']),
      sshPort: argv['ssh-port'] as number | undefined,
      identity: argv.identity as string | undefined,
      knownHosts: String(argv['known-hosts']),
      out: String(argv.out),
      cluster: argv.cluster as string | undefined,
      secrets: String(argv.secrets),
      pgPort: Number(argv['pg-port']),
      configGiven: argv.config !== undefined,
    }),
    run: async (options) => (await import('./init.js')).initCommand(options),
  }),
  facts: command({
    describe: 'print the gathered facts as JSON',
    options: {},
    quick: true,
    optionsOf: globals,
    run: async (options) => (await import('./facts.js')).factsCommand(options),
  }),
  show: command<Parameters<typeof showCommand>[0]>({
    describe: 'print a saved plan as plan shows it (text, or --json); no network',
    positional: { name: 'planfile', required: true, type: 'string', describe: 'a plan saved with plan --out' },
    options: {},
    optionsOf: (argv) => ({ ...globals(argv), planFile: String(argv.planfile) }),
    run: async (options) => (await import('./show.js')).showCommand(options),
  }),
  unlock: command<Parameters<typeof unlockCommand>[0]>({
    describe: "clear a host's apply lease by hand (the id is in the message naming the holder)",
    positional: { name: 'lease', required: true, type: 'string', describe: 'the lease id, 16 hex digits' },
    usage: 'unlock <lease> --host NAME',
    options: {},
    optionsOf: (argv) => ({ ...globals(argv), leaseId: String(argv.lease) }),
    run: async (options) => (await import('./unlock.js')).unlockCommand(options),
  }),
};

/** What a line without a command is told (test/unit/cli-args.test.ts checks it names every command above). */
export const NAME_A_COMMAND =
  'Name a command: init, validate, plan, apply, restore, backup, promote, status, check, verify, facts, show or unlock.';

export type CommandName = keyof typeof COMMANDS;

type OptionsOf<Name extends CommandName> = ReturnType<(typeof COMMANDS)[Name]['optionsOf']>;

/** A command and the options its function is given. */
export type Invocation = { [Name in CommandName]: { command: Name; options: OptionsOf<Name> } }[CommandName];

export function commandSpec(name: string): CommandSpec<unknown> | undefined {
  return Object.hasOwn(COMMANDS, name) ? (COMMANDS[name as CommandName] as CommandSpec<unknown>) : undefined;
}

/** The Invocation of a command whose options are parsed (by either parser) into argv. */
export function invocationOf(name: CommandName, argv: Argv): Invocation {
  return { command: name, options: COMMANDS[name].optionsOf(argv) } as Invocation;
}

/** Runs the command: its module is imported now. */
export function runInvocation(invocation: Invocation): Promise<number> {
  return (COMMANDS[invocation.command] as CommandSpec<unknown>).run(invocation.options);
}
