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
// --rules-from-binary LIST [PROVENANCE]: the rules (`depend`, `beta`) asked of a pgBackRest
// binary itself, for a release whose config.yaml is not at hand. An option given on the command
// line whose rule fails is an error naming the other option and its values (`option
// 'repo2-storage-tag' not valid without option 'repo2-type' in ('azure', 'gcs', 's3')`), and a
// beta option one naming `beta`. So each option is run alone (with the representative command
// of those that read it), then beside each other option set off its default (a rule its default
// meets shows only then: archive-copy needs archive-check, true by default); an error on an
// option the probe set itself is met and the question asked again. A rule seen with some of the
// commands that read the option and not others is a command's rule, which --rules-only does not
// write either. Checked on 2.45: it gives 2.45's config.yaml rules but for what it cannot see:
//   - secure options (repo-cipher-pass, repo-s3-key, ...): pgBackRest refuses them on the command line;
//   - rules needing only pg-path (pg-port, pg-user, pg-database, pg-socket-path): the probe's
//     config sets pg1-path, which every command that reads them needs;
//   - pg-local/repo-local (pg-host, repo-host, pg-host-type, repo-host-type): internal options;
//   - commands' rules that every command reading the option has (archive-copy: backup's;
//     spool-path: archive-get's and archive-push's): written as the option's;
//   - tls-server-*: read only by `server`, which is not run.
// An option whose rule needs a beta option is refused for that one's beta first, and is
// written beta (2.45's repo-block-size-map needs repo-block: both beta in config.yaml).
// What it cannot see gets no rule; the list's `later` part (options the binary lacks) is left as it is.
//
//   PGBACKREST=/tmp/x/usr/bin/pgbackrest npm run pgbackrest-options -- --rules-from-binary \
//     lib/pgbackrest-options/options-2.55.json "Debian trixie pgbackrest_2.55.1-1_amd64.deb, SHA256 ..."
//
// Two pgBackRest processes at a time; 2.55.1 took 18 minutes on 2 busy cores (each refusal
// costs it 0.15 s), 2.45 under 4. PROVENANCE goes into the list's `source`.
//
// It must touch no real PostgreSQL or repository, whatever an option sends pgBackRest to do:
// its own config in a scratch folder (never /etc/pgbackrest), repositories and paths there
// (a path option is never given its default: repo-path's is the real repository), object
// stores and hosts at 127.0.0.1 port 1, cmd-ssh /bin/false, pg1 at a missing socket, stop
// files for every stanza (commands that get past the options refuse to run), as `nobody` when
// run as root, and never the `server` (it would listen), `start` (it removes the stop file),
// `help` or `version` commands.
//
// A rule that every command reading an option gives it (spool-path's archive-async for
// archive-get and archive-push) is written as the option's, as --rules-from-binary writes it.
//
// --without-binary VERSION CONFIG.YAML: a list from config.yaml alone, for a release whose
// binary is not at hand (2.56 to 2.59: no package of them is reachable). The commands are
// config.yaml's (`command`, and from 2.58 `+inherit`, `+role`, `-command`), less internal
// commands and entries and those only a remote or local role reads: 2.56.0's config.yaml so
// read agrees with 2.55.1's help for every option both have, and the 2.60 development tree's
// with 2.60.0's help but for `start`/`stop` on a few protocol options.
//
//   npm run pgbackrest-options -- --without-binary 2.59.1 ../shared/pgbackrest/config-2.59.1.yaml
//
// With a binary, an option its help lists that config.yaml does not define (2.60.0's
// checksum-page-error, newer than the development tree at hand) is asked of the binary: kept
// as a boolean of [global] when a [global] line of it with a non-boolean value is refused as
// not y or n, else the run stops.
//
// --ranges-from-binary LIST CONFIG.YAML and --values-from-binary LIST correct a list made with
// a newer config.yaml than its release's, from its binary: ranges it lacks (compress-level's by
// compress-type, which 2.45 and 2.55 check in code) kept where the binary takes each end and
// refuses one past it; allowed values the binary refuses dropped (2.55's s3 pod-id, azure auto).
//
//   PGBACKREST=/tmp/trixie/pgbackrest npm run pgbackrest-options -- --values-from-binary lib/pgbackrest-options/options-2.55.json
//   PGBACKREST=/tmp/trixie/pgbackrest npm run pgbackrest-options -- --ranges-from-binary lib/pgbackrest-options/options-2.55.json ../shared/pgbackrest/config-2.56.0.yaml
//
// Newer config.yaml files write some things differently, read here as the older ones mean them:
// `default-type: literal|dynamic` (C text or argv[0], no default bsync can compare), defaults
// and ranges that depend on another option's value (a list of `value: ...` maps: kept as `by`,
// per value of the option the definition depends on), times with units (`1m`, `100ms`: turned into seconds, as older
// tables write them) and `bool-like` (a string option that also takes y/n).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { OptionData, OptionInfo } from '../../lib/pgbackrest-options/types.js';

type YamlOption = Record<string, unknown>;
/** The rules between options of one option, as a list writes them. */
type Finding = Pick<OptionInfo, 'depend' | 'beta'>;

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
function rulesOf(table: Record<string, YamlOption>, option: YamlOption): Finding {
  const depend = dependOf(table, option);
  return { ...(depend ? { depend } : {}), ...(option.beta === true ? { beta: true } : {}) };
}

/**
 * Writes `depend` and `beta` of every option of an existing list from `rulesFor` (nothing for
 * undefined), in the order the list writes them; nothing else changes but `source`, when given.
 */
function writeRules(listPath: string, rulesFor: (name: string) => Finding | undefined, source?: string): void {
  const data = JSON.parse(readFileSync(listPath, 'utf8')) as OptionData;
  const withRules = (part: Record<string, OptionInfo>) =>
    Object.fromEntries(
      Object.entries(part).map(([name, info]) => {
        const { commands, depend: _depend, beta: _beta, ...rest } = info;
        return [name, { ...rest, ...rulesFor(name), commands }];
      }),
    );
  const updated: OptionData = {
    ...data,
    ...(source ? { source } : {}),
    options: withRules(data.options),
    later: withRules(data.later),
  };
  writeFileSync(listPath, `${JSON.stringify(updated, null, 2)}\n`);
  const count = Object.values(updated.options).filter((info) => info.depend || info.beta).length;
  console.log(`${listPath}: depend or beta for ${count} options`);
}

/** --rules-only: `depend` and `beta` of every option of an existing list, from config.yaml; nothing else changes. */
function rulesOnly(table: Record<string, YamlOption>, listPath: string): void {
  writeRules(listPath, (name) => (table[name] ? rulesOf(table, resolved(table, name)) : undefined));
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

// --rules-from-binary (see the header): nothing it runs may reach a real PostgreSQL or
// repository, whatever an option sends pgBackRest to do.
const PROBE_SKIPPED = new Set([
  'server', // it would listen for connections
  'start', // it removes the stop file that keeps the other commands from doing anything
  'stop', // it only writes one
  'help', // these two read no options
  'version',
]);
/** The commands tried first for an option: they read many options and stop early. */
const PROBE_FIRST = ['info', 'repo-ls', 'check', 'expire', 'verify', 'backup', 'restore'];
const rank = (cmd: string) => (PROBE_FIRST.includes(cmd) ? PROBE_FIRST.indexOf(cmd) : PROBE_FIRST.length);
/** Values of backup's and restore's command-line `type`, which the lists give no allowed values for. */
const TYPES = ['default', 'immediate', 'lsn', 'name', 'preserve', 'standby', 'time', 'xid', 'full', 'diff', 'incr'];
const RULE_ERROR = /option '([^']+)' not valid without option '([^']+)'(?: = '([^']*)'| in \(([^)]*)\))?/;
const BETA_ERROR = /option '([^']+)' is not valid without option 'beta'/;

/**
 * The probe's pgbackrest.conf, in a scratch folder (passed with --config: /etc/pgbackrest is
 * never read): repositories there, repo2 with every object store and sftp setting at
 * 127.0.0.1 port 1 (nothing listens), cmd-ssh /bin/false (no remote host is reached), pg1 at a
 * missing socket and port 1 (no PostgreSQL is reached). An older release warns about the lines
 * of options it lacks, and runs.
 */
function probeConfig(scratch: string, ioTimeout: string): string {
  const global = [
    ...[`log-path=${scratch}/log`, `lock-path=${scratch}/lock`, `spool-path=${scratch}/spool`, 'log-level-file=off'],
    ...['cmd-ssh=/bin/false', 'db-timeout=1', 'protocol-timeout=2', `io-timeout=${ioTimeout}`],
    ...['tls-server-address=127.0.0.1', 'tls-server-port=1', 'annotation=a=b', `repo1-path=${scratch}/repo1`],
    ...[`path=${scratch}/repo2`, 'cipher-pass=x', `host-cert-file=${scratch}/c`, `host-key-file=${scratch}/k`]
      .concat(['storage-host=127.0.0.1', 'storage-port=1', 's3-bucket=b', 's3-endpoint=127.0.0.1', 's3-region=r'])
      .concat(['s3-key=k', 's3-key-secret=s', 'azure-account=a', 'azure-container=c', 'azure-key=aGVsbG8='])
      .concat(['gcs-bucket=b', 'gcs-endpoint=127.0.0.1:1', `gcs-key=${scratch}/k`, 'sftp-host=127.0.0.1'])
      .concat([
        'sftp-host-port=1',
        'sftp-host-user=u',
        `sftp-private-key-file=${scratch}/k`,
        'sftp-host-key-hash-type=sha1',
      ])
      .map((line) => `repo2-${line}`),
  ];
  const stanza = [`pg1-path=${scratch}/pg`, `pg1-socket-path=${scratch}/nosock`, 'pg1-port=1'];
  return `[global]\n${global.join('\n')}\n\n[s]\n${stanza.join('\n')}\n`;
}

/**
 * A scratch folder for asking the binary, and `run` (a command with arguments, its output);
 * `config` names another config file of the folder. `stanzaCommands`: those given --stanza=s.
 */
async function prober(stanzaCommands: string[]) {
  const scratch = mkdtempSync(join(tmpdir(), 'bsync-rules-'));
  for (const folder of ['log', 'spool', 'repo1', 'repo2', 'pg', 'lock']) mkdirSync(join(scratch, folder));
  // Stop files: a command that gets past its options refuses to run. The lock folder is sticky,
  // so `nobody` cannot remove them.
  for (const stop of ['s.stop', 'all.stop']) writeFileSync(join(scratch, 'lock', stop), '');
  chmodSync(scratch, 0o755);
  for (const folder of ['log', 'spool', 'repo1', 'repo2', 'pg']) chmodSync(join(scratch, folder), 0o777);
  chmodSync(join(scratch, 'lock'), 0o1777);
  // As root, run as nobody: it cannot write anything of the host's.
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
  const [program, ...programArgs] = [...asNobody, command, ...commandArgs];
  const run = (cmd: string, args: string[], config = 'pgbackrest.conf') =>
    new Promise<string>((resolve) => {
      const fixed = [`--config=${scratch}/${config}`, '--log-level-console=error', '--log-level-stderr=off'];
      const stanza = stanzaCommands.includes(cmd) ? ['--stanza=s'] : [];
      const set = cmd === 'annotate' ? ['--set=20250101-000000F'] : [];
      execFile(
        program,
        [...programArgs, ...fixed, ...stanza, ...set, ...args, cmd],
        // Past its options a command is no use here (io-timeout 0.1 s ends most soon).
        { cwd: scratch, timeout: 2000, killSignal: 'SIGKILL' },
        (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });

  // The probe's own config must be taken, or every answer is that error. A short io-timeout
  // ends a command that got past its options soon: 2.55 writes it 100ms, 2.45 0.1.
  for (const ioTimeout of ['0.1', '100ms']) {
    writeFileSync(join(scratch, 'pgbackrest.conf'), probeConfig(scratch, ioTimeout));
    const plain = await run('info', []);
    if (!/ERROR: \[03[0-9]\]/.test(plain)) break;
    if (ioTimeout === '100ms') throw new Error(`pgbackrest refuses the probe's config: ${plain}`);
  }
  return { scratch, run };
}

/** The key the probe gives an option: repoN- options as repo2's (its object-store repository), pgN- as pg1's. */
function probeKey(options: Record<string, OptionInfo>, name: string): string {
  const index = options[name]?.index;
  return index ? `${index.prefix}${index.prefix === 'repo' ? 2 : 1}${name.slice(index.prefix.length)}` : name;
}

/** The rules the binary itself enforces, for every option of the list it can observe. */
async function probeRules(options: Record<string, OptionInfo>): Promise<Map<string, Finding>> {
  const { scratch, run } = await prober(options.stanza?.commands ?? []);

  const unindexed = (key: string) => key.replace(/^(repo|pg)[0-9]+-/, '$1-');
  // repoN- options as repo2 (the config's object-store repository), pgN- as pg1.
  const keyOf = (name: string) => probeKey(options, name);
  const flag = (key: string, value: string) =>
    options[unindexed(key)]?.type !== 'boolean' ? `--${key}=${value}` : value === 'false' ? `--no-${key}` : `--${key}`;
  /** A value the option takes; a path is always one in the scratch folder (repo-path's default is the real repository). */
  const sample = (name: string): string => {
    const info = options[name];
    if (!info || info.type === 'boolean') return 'true';
    if (info.allowed) return info.default ?? info.allowed[0];
    if (info.type === 'path') return `${scratch}/p`;
    if (info.default !== undefined && !['string', 'time'].includes(info.type)) return info.default;
    return { integer: String(info.min ?? 1), size: '1MiB', time: '1', hash: 'a=b' }[info.type] ?? 'x';
  };
  /** The rule a RULE_ERROR names: booleans are written without values (`no-` for false). */
  const ruleIn = (match: RegExpExecArray) => {
    const key = match[2].replace(/^no-/, '');
    const option = unindexed(key);
    const list =
      options[option]?.type === 'boolean'
        ? [match[2].startsWith('no-') ? 'false' : 'true']
        : match[3] !== undefined
          ? [match[3]]
          : match[4]?.split(',').map((value) => value.trim().replace(/^'|'$/g, ''));
    return { key, depend: { option, ...(list ? { list } : {}) } };
  };

  /** Runs the option with `extra`; an error on an option the probe set is met and the run repeated. */
  const ask = async (name: string, cmd: string, extra: string[]) => {
    const args = [...extra];
    for (let step = 0; step < 5; step += 1) {
      const text = await run(cmd, [...args, flag(keyOf(name), sample(name))]);
      const beta = BETA_ERROR.exec(text)?.[1];
      if (beta) return { beta };
      const match = RULE_ERROR.exec(text);
      // Another error on the options (`annotate command requires option: set`) tells nothing.
      if (!match) return { clear: !/ERROR: \[03[0-9]\]/.test(text) };
      const rule = ruleIn(match);
      if (match[1] === keyOf(name)) return { rule };
      if (!options[rule.depend.option]) return {};
      args.push(flag(rule.key, rule.depend.list?.[0] ?? sample(rule.depend.option)));
    }
    return {};
  };

  /** The option's rule with `extra` set, and whether it is beta once the rule is met. */
  const probe = async (name: string, cmd: string, extra: string[]): Promise<Finding> => {
    const found = await ask(name, cmd, extra);
    if (!found.rule) return found.beta === keyOf(name) ? { beta: true } : {};
    const { key } = found.rule;
    let { depend } = found.rule;
    // `not valid without option 'repo2-s3-key-type'` (no values): that option was unset, its
    // own rule failing; set it to each of its values to see those the rule wants.
    for (const value of depend.list ? [] : (options[depend.option]?.allowed ?? [])) {
      const again = await ask(name, cmd, [...extra, flag(key, value)]);
      if (again.rule?.depend.list) {
        depend = again.rule.depend;
        break;
      }
    }
    // 2.45's beta repo-block says so only once its rule is met; repo-block-size-map, beta too,
    // is refused for repo-block's beta first: refused without beta either way, so beta.
    const met = await ask(name, cmd, [...extra, flag(key, depend.list?.[0] ?? sample(depend.option))]);
    return { depend, ...(met.beta === keyOf(name) || met.beta === key ? { beta: true as const } : {}) };
  };

  /** The other options off their defaults that the command reads, each with its name. */
  const toggles = (name: string, cmd: string) =>
    Object.entries(options)
      .filter(([other, info]) => other !== name && !info.secure && info.commands.includes(cmd))
      .flatMap(([other, info]) => {
        const values = info.type === 'boolean' ? ['true', 'false'] : (info.allowed ?? (other === 'type' ? TYPES : []));
        return values
          .filter((value) => value !== info.default)
          .map((value) => ({ other, arg: flag(keyOf(other), value) }));
      });

  const explore = async (name: string): Promise<Finding | undefined> => {
    const info = options[name];
    const commands = info.commands.filter((cmd) => !PROBE_SKIPPED.has(cmd)).sort((a, b) => rank(a) - rank(b));
    if (info.secure || commands.length === 0) return undefined;
    let found = await probe(name, commands[0], []);
    let via: { other: string; arg: string } | undefined;
    for (const toggle of found.depend || found.beta ? [] : toggles(name, commands[0])) {
      found = await probe(name, commands[0], [toggle.arg]);
      if (found.depend || found.beta) {
        via = toggle;
        break;
      }
    }
    if (!found.depend) return found;
    // A rule some commands that read the option (and the option toggled) do not show is a command's.
    for (const cmd of commands.slice(1).filter((cmd) => !via || options[via.other].commands.includes(cmd))) {
      const there = await ask(name, cmd, via ? [via.arg] : []);
      if (there.rule?.depend.option !== found.depend.option && (there.rule || there.clear)) {
        console.log(`${name}: depends on ${found.depend.option} for ${commands[0]}, not for ${cmd}: a command's rule`);
        return found.beta ? { beta: true } : {};
      }
    }
    return found;
  };

  // Two at a time: each lane runs one pgBackRest after another.
  const queue = Object.keys(options);
  const rules = new Map<string, Finding>();
  const lane = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const found = await explore(name);
      if (found?.depend || found?.beta) console.log(`${name}: ${JSON.stringify(found)}`);
      if (found) rules.set(name, found);
      else console.log(`${name}: not observable (${options[name].secure ? 'secure' : 'no command the probe runs'})`);
    }
  };
  await Promise.all([lane(), lane()]);
  rmSync(scratch, { recursive: true, force: true });
  return rules;
}

/** --rules-from-binary: `depend` and `beta` of every option of an existing list, asked of the binary. */
async function rulesFromBinary(listPath: string | undefined, provenance: string | undefined): Promise<void> {
  if (!listPath)
    throw new Error(
      'usage: tsx test/support/pgbackrest-options.ts --rules-from-binary options-<version>.json [PROVENANCE]',
    );
  const data = JSON.parse(readFileSync(listPath, 'utf8')) as OptionData;
  const binary = /^pgBackRest (\S+)$/m.exec(pgbackrest('version'))?.[1];
  if (!binary?.startsWith(`${data.version}.`) && binary !== data.version)
    throw new Error(`${listPath} is pgBackRest ${data.version}'s list; PGBACKREST runs ${binary}`);
  const started = Date.now();
  const rules = await probeRules(data.options);
  const made = `its rules (depend, beta) asked of pgBackRest ${binary}'s own binary${provenance ? ` (${provenance})` : ''} by test/support/pgbackrest-options.ts --rules-from-binary`;
  // The binary knows nothing of `later` options: theirs stay as they are.
  const kept = ({ depend, beta }: OptionInfo): Finding => ({
    ...(depend ? { depend } : {}),
    ...(beta ? { beta } : {}),
  });
  writeRules(
    listPath,
    (name) => (data.options[name] ? rules.get(name) : kept(data.later[name])),
    `${data.source.split('; its rules')[0]}; ${made}`,
  );
  console.log(`asked in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** config.yaml: its commands and its options. */
interface YamlDoc {
  command: Record<string, YamlOption | null>;
  option: Record<string, YamlOption>;
}

function readYaml(path: string): YamlDoc {
  // uniqueKeys: newer tables give pg-host-port `default` twice (the later one counts, as for pgBackRest).
  return parse(readFileSync(path, 'utf8'), { version: '1.2', uniqueKeys: false }) as YamlDoc;
}

type CommandMap = Record<string, YamlOption>;

/**
 * The commands config.yaml gives an option, with their overrides. No `command`: every command
 * but help and version (whose help lists only their own switches); another option's name: that
 * option's. From 2.59 a map may say `+inherit: OPTION` (that option's commands), `+role: ROLE`
 * (the commands with that role; `any`, all but help and version) and `-command: COMMAND` (but
 * not that one). Checked against 2.60.0's own help: see the header.
 */
function commandMap(doc: YamlDoc, spec: unknown): CommandMap {
  const all = Object.keys(doc.command);
  if (typeof spec === 'string') return commandMap(doc, resolved(doc.option, spec).command);
  if (typeof spec !== 'object' || spec === null)
    return Object.fromEntries(all.filter((cmd) => !['help', 'version'].includes(cmd)).map((cmd) => [cmd, {}]));
  const entries = spec as Record<string, unknown>;
  const roles = (cmd: string) => ['main', ...Object.keys((doc.command[cmd]?.['command-role'] as object) ?? {})];
  const role = entries['+role'];
  const map: CommandMap = {
    // Inherited without attributes but `internal` (2.60.0's help: pg-host-type's +inherit pg-host, repo-type's repo).
    ...(typeof entries['+inherit'] === 'string'
      ? Object.fromEntries(
          Object.entries(commandMap(doc, resolved(doc.option, entries['+inherit']).command)).map(([cmd, def]) => [
            cmd,
            def.internal === true ? { internal: true } : {},
          ]),
        )
      : {}),
    ...(typeof role === 'string'
      ? Object.fromEntries(
          all
            .filter((cmd) => (role === 'any' ? !['help', 'version'].includes(cmd) : roles(cmd).includes(role)))
            .map((cmd) => [cmd, {}]),
        )
      : {}),
  };
  for (const [cmd, def] of Object.entries(entries)) if (!/^[+-]/.test(cmd)) map[cmd] = (def as YamlOption | null) ?? {};
  for (const cmd of [entries['-command']].flat()) if (typeof cmd === 'string') delete map[cmd];
  return map;
}

/**
 * The commands whose help lists the option, from config.yaml: those of its command map that
 * are not internal (the command or the option's entry for it), and that the main role reads
 * (a command-role without main is the remote's or a local's only).
 */
function yamlCommands(doc: YamlDoc, name: string): string[] {
  const option = resolved(doc.option, name);
  const mainRole = (def: YamlOption) => !def['command-role'] || 'main' in (def['command-role'] as object);
  if (!mainRole(option)) return [];
  return Object.entries(commandMap(doc, option.command))
    .filter(([cmd, def]) => doc.command[cmd]?.internal !== true && def.internal !== true && mainRole(def))
    .map(([cmd]) => cmd);
}

/** `[{gz: [-1, 9]}, {lz4: [-5, 12]}]` (a value per value of another option) as one map; undefined otherwise. */
function perValue(entry: unknown): Record<string, unknown> | undefined {
  if (
    !Array.isArray(entry)
    || !entry.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))
  )
    return undefined;
  return Object.assign({}, ...entry) as Record<string, unknown>;
}

/** The range and default that depend on another option's value (`by`), from config.yaml. */
function byOf(table: Record<string, YamlOption>, name: string, option: YamlOption): OptionInfo['by'] {
  const ranges = perValue(option['allow-range']);
  const defaults = perValue(option.default);
  if (!ranges && !defaults) return undefined;
  const over = dependOf(table, option)?.option;
  if (!over) throw new Error(`config.yaml: ${name}'s range or default depends on a value, but on no option`);
  const end = (value: unknown) => (option.type === 'time' ? seconds(value as string) : (value as number | string));
  const map = <T>(entries: Record<string, unknown>, to: (value: unknown) => T) =>
    Object.fromEntries(Object.entries(entries).map(([value, what]) => [value, to(what)]));
  return {
    option: over,
    ...(ranges ? { ranges: map(ranges, (pair) => [end((pair as unknown[])[0]), end((pair as unknown[])[1])]) } : {}),
    ...(defaults ? { defaults: map(defaults, (value) => String(end(value))) } : {}),
  } as OptionInfo['by'];
}

/**
 * The rule every command that reads the option gives it, when the option has none of its own
 * (spool-path: archive-get's and archive-push's `archive-async`; archive-copy: backup's
 * `archive-check`): written as the option's, as --rules-from-binary writes what the binary
 * shows (2.55's list), so the newer lists keep the rules bsync checks.
 */
function commandRule(table: Record<string, YamlOption>, entries: CommandMap, commands: string[]): Finding {
  const rules = commands.map((cmd) => JSON.stringify(dependOf(table, entries[cmd] ?? {}) ?? null));
  const [first] = rules;
  if (!first || first === 'null' || rules.some((rule) => rule !== first)) return {};
  return { depend: JSON.parse(first) as OptionInfo['depend'] };
}

/** An option's OptionInfo from its config.yaml definition, with the commands that read it (and their entries, for their rules). */
function definition(
  table: Record<string, YamlOption>,
  name: string,
  commands: string[],
  entries: CommandMap = {},
): OptionInfo {
  const option = resolved(table, name);
  const own = rulesOf(table, option);
  const time = option.type === 'time';
  const allowRange = option['allow-range'] as Array<number | string> | undefined;
  const range = allowRange?.every((end) => scalar(end) !== undefined && typeof end !== 'object')
    ? allowRange.map((end) => (time ? seconds(end) : end))
    : undefined;
  const fallback = scalar(option.default) as number | string | boolean | undefined;
  const literal = option['default-literal'] === true || ['literal', 'dynamic'].includes(String(option['default-type']));
  const group = option.group as 'pg' | 'repo' | undefined;
  const indexMax = (of: string) => Number((resolved(table, of)['allow-range'] as number[])[1]);
  const by = byOf(table, name, option);
  return {
    section: option.section === 'global' || option.section === 'stanza' ? option.section : 'command-line',
    type: String(option.type),
    ...(option['bool-like'] === true ? { boolLike: true } : {}),
    ...(allowList(table, option) ? { allowed: allowList(table, option) } : {}),
    ...(range ? { min: range[0], max: range[1] } : {}),
    ...(fallback !== undefined && !literal
      ? { default: String(time && typeof fallback === 'string' ? seconds(fallback) : fallback) }
      : {}),
    ...(by ? { by } : {}),
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
    ...(own.depend ? own : { ...commandRule(table, entries, commands), ...own }),
    commands,
  };
}

/**
 * An option the binary's help lists and config.yaml does not define (2.60.0's
 * checksum-page-error: newer than the development tree at hand), asked of the binary: kept
 * only when a [global] line of it with a value no boolean has is refused as not y or n (so
 * [global] holds it, and it is a boolean); its default from `pgbackrest help COMMAND OPTION`.
 */
async function binaryOnly(name: string, commands: string[]): Promise<OptionInfo> {
  const cmd = commands.filter((each) => !PROBE_SKIPPED.has(each)).sort((a, b) => rank(a) - rank(b))[0];
  const { scratch, run } = await prober(commands);
  const base = readFileSync(join(scratch, 'pgbackrest.conf'), 'utf8');
  writeFileSync(join(scratch, 'asked.conf'), base.replace('[global]\n', `[global]\n${name}=maybe\n`));
  const answer = cmd ? await run(cmd, [], 'asked.conf') : '';
  rmSync(scratch, { recursive: true, force: true });
  if (!answer.includes(`boolean option '${name}' must be 'y' or 'n'`))
    throw new Error(
      `pgbackrest lists ${name}, which config.yaml does not define and the binary does not show as a boolean of [global]; use the config.yaml of its release`,
    );
  // Each command's default; one only when they agree (2.60.0's checksum-page-error: n for backup, y for expire and restore).
  const defaults = commands.map((each) => /^default: ([yn])$/m.exec(pgbackrest('help', each, name))?.[1]);
  const agreed = defaults.every((value) => value === defaults[0]) ? defaults[0] : undefined;
  console.log(`${name}: not in config.yaml; a boolean of [global] by the binary, defaults ${defaults.join(', ')}`);
  return {
    section: 'global',
    type: 'boolean',
    ...(agreed ? { default: agreed === 'y' ? 'true' : 'false' } : {}),
    commands,
  };
}

/** The release's options as `pgbackrest help` lists them, and its version: from the binary, or (without one) from config.yaml. */
async function releaseOptions(doc: YamlDoc, release: string | undefined) {
  if (release) {
    const listed = Object.keys(doc.option).filter((name) => resolved(doc.option, name).internal !== true);
    const help = new Map(listed.map((name) => [name, yamlCommands(doc, name)] as const));
    return { binary: release, help: new Map([...help].filter(([, commands]) => commands.length > 0)) };
  }
  const binary = /^pgBackRest (\S+)$/m.exec(pgbackrest('version'))?.[1];
  if (!binary) throw new Error('pgbackrest version printed no version');
  return { binary, help: helpOptions() };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rules = args[0] === '--rules-only';
  const release = args[0] === '--without-binary' ? args[1] : undefined;
  const [yamlPath, listPath] = args.slice(rules ? 1 : release ? 2 : 0);
  if (!yamlPath || (rules && !listPath) || (args[0] === '--without-binary' && !release))
    throw new Error(
      'usage: tsx test/support/pgbackrest-options.ts [--rules-only | --without-binary VERSION] path/to/config.yaml [options-<version>.json]',
    );
  const doc = readYaml(yamlPath);
  const table = doc.option;
  if (rules) {
    rulesOnly(table, listPath);
    return;
  }
  const { binary, help } = await releaseOptions(doc, release);
  // The release series: 2.55.1 -> 2.55 (2.45 stays 2.45).
  const version = /^[0-9]+\.[0-9]+/.exec(binary)?.[0] ?? binary;
  const options: Record<string, OptionInfo> = {};
  const later: Record<string, OptionInfo> = {};
  for (const name of Object.keys(table).sort()) {
    // Internal options are not the user's, unless this version's help lists them (2.45 lists repo-block-*).
    if (resolved(table, name).internal === true && !help.has(name)) continue;
    const info = definition(table, name, help.get(name) ?? [], commandMap(doc, resolved(table, name).command));
    if (help.has(name)) options[name] = info;
    else later[name] = { ...info, commands: [] };
  }
  for (const name of [...help.keys()].filter((each) => !options[each]).sort())
    options[name] = await binaryOnly(name, help.get(name)!);

  const data: OptionData = {
    version,
    source: release
      ? `pgBackRest's config.yaml of release ${binary} alone (${yamlPath.split('/').pop()}; no binary: the commands too are config.yaml's, its internal ones left out); made by test/support/pgbackrest-options.ts --without-binary`
      : `pgBackRest's src/build/config/config.yaml${/dev/.test(yamlPath) ? ` (${yamlPath.split('/').pop()}: the development tree; the binary's help wins where they differ)` : ''} and \`pgbackrest help\` of pgBackRest ${binary}; made by test/support/pgbackrest-options.ts`,
    options: Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1))),
    later,
  };
  const out = fileURLToPath(new URL(`../../lib/pgbackrest-options/options-${version}.json`, import.meta.url));
  writeFileSync(out, `${JSON.stringify(data, null, 2)}\n`);
  console.log(
    `${out}: ${Object.keys(options).length} options of pgBackRest ${binary}, ${Object.keys(later).length} only in later versions`,
  );
}

const SIZE_UNITS: Record<string, number> = { B: 0, KiB: 1, MiB: 2, GiB: 3, TiB: 4, PiB: 5 };

/** A range end as a number: sizes (`64KiB`) in bytes. */
function endNumber(end: number | string): number {
  const match = /^([0-9]+)(B|KiB|MiB|GiB|TiB|PiB)$/.exec(String(end));
  return match ? Number(match[1]) * 1024 ** SIZE_UNITS[match[2]] : Number(end);
}

type Run = (cmd: string, args: string[]) => Promise<string>;

/**
 * Whether the binary takes exactly `min` to `max` for `key` (with `fixed` set too): each end
 * taken, one past each refused as out of range. A run that says nothing in time is asked again.
 */
async function takesExactly(run: Run, cmd: string, fixed: string[], key: string, min: number, max: number) {
  const refused = async (value: number) => {
    for (let tries = 0; ; tries += 1) {
      const text = await run(cmd, [...fixed, `--${key}=${value}`]);
      if (/ERROR/.test(text) || tries === 2) return /is out of range/.test(text);
    }
  };
  const answers: boolean[] = [];
  for (const edge of [min - 1, min, max, max + 1]) answers.push(await refused(edge));
  return answers.join() === 'true,false,false,true';
}

/**
 * --ranges-from-binary LIST CONFIG.YAML: ranges a list lacks, from a newer config.yaml, kept
 * only where the list's own binary agrees at every edge (each end taken, one past each refused
 * as out of range): those that depend on another option's value (`by`: compress-level by
 * compress-type, which 2.45 and 2.55 check in code), and plain ones the list's newer
 * config.yaml wrote by value (2.55's repo-storage-upload-chunk-size: 64KiB to 1TiB in 2.56's).
 * Each option as repo2's (the probe config's object store), its rule met.
 */
async function rangesFromBinary(listPath: string | undefined, yamlPath: string | undefined): Promise<void> {
  if (!listPath || !yamlPath)
    throw new Error(
      'usage: tsx test/support/pgbackrest-options.ts --ranges-from-binary options-<version>.json config.yaml',
    );
  const data = JSON.parse(readFileSync(listPath, 'utf8')) as OptionData;
  const table = readYaml(yamlPath).option;
  const { scratch, run } = await prober(data.options.stanza?.commands ?? []);
  const keyOf = (name: string) => probeKey(data.options, name);
  for (const [name, info] of Object.entries(data.options)) {
    if (!table[name] || !['integer', 'size'].includes(info.type) || info.min !== undefined) continue;
    const theirs = definition(table, name, []);
    const by = theirs.by?.ranges ? theirs.by : undefined;
    if (!by && theirs.min === undefined) continue;
    const cmd = info.commands.filter((each) => !PROBE_SKIPPED.has(each)).sort((a, b) => rank(a) - rank(b))[0];
    const rule = info.depend?.list ? [`--${keyOf(info.depend.option)}=${info.depend.list[0]}`] : [];
    const ranges = by?.ranges ?? { '': [theirs.min!, theirs.max!] };
    for (const [value, [min, max]] of Object.entries(ranges)) {
      const fixed = by ? [`--${keyOf(by.option)}=${value}`] : rule;
      if (!(await takesExactly(run, cmd, fixed, keyOf(name), endNumber(min), endNumber(max))))
        throw new Error(`${name} ${fixed.join(' ')}: the binary does not refuse exactly outside ${min} to ${max}`);
    }
    const { commands, ...rest } = info;
    data.options[name] = by
      ? { ...rest, by: { option: by.option, ranges: by.ranges }, commands }
      : { ...rest, min: theirs.min, max: theirs.max, commands };
    console.log(`${name}: ${JSON.stringify(ranges)}${by ? ` by ${by.option}` : ''}, as the binary enforces it`);
  }
  rmSync(scratch, { recursive: true, force: true });
  data.source = `${data.source}; ranges it lacked from ${yamlPath.split('/').pop()}, each edge checked against the binary by test/support/pgbackrest-options.ts --ranges-from-binary`;
  writeFileSync(listPath, `${JSON.stringify(data, null, 2)}\n`);
}

/**
 * --values-from-binary LIST: the allowed values of each option of a list made with a newer
 * config.yaml than its release's (2.55's: its list gave s3 key-type pod-id and azure key-type
 * auto, which 2.55.1 refuses), asked of the binary: a value it refuses as not allowed is dropped.
 * Each option as repo2's (the probe config's object-store repository) or pg1's, the option its
 * rule depends on set to the first value the rule wants.
 */
async function valuesFromBinary(listPath: string | undefined): Promise<void> {
  if (!listPath)
    throw new Error('usage: tsx test/support/pgbackrest-options.ts --values-from-binary options-<version>.json');
  const data = JSON.parse(readFileSync(listPath, 'utf8')) as OptionData;
  const { scratch, run } = await prober(data.options.stanza?.commands ?? []);
  const keyOf = (name: string) => probeKey(data.options, name);
  const dropped: string[] = [];
  for (const [name, info] of Object.entries(data.options)) {
    const cmd = info.commands.filter((each) => !PROBE_SKIPPED.has(each)).sort((a, b) => rank(a) - rank(b))[0];
    if (!info.allowed || info.secure || !cmd || data.options[info.depend?.option ?? '']?.type === 'boolean') continue;
    const rule = info.depend?.list ? [`--${keyOf(info.depend.option)}=${info.depend.list[0]}`] : [];
    const kept: string[] = [];
    for (const value of info.allowed) {
      const text = await run(cmd, [...rule, `--${keyOf(name)}=${value}`]);
      if (text.includes(`'${value}' is not allowed for '${keyOf(name)}' option`)) dropped.push(`${name}=${value}`);
      else kept.push(value);
    }
    data.options[name] = { ...info, allowed: kept };
  }
  rmSync(scratch, { recursive: true, force: true });
  console.log(`${listPath}: values the binary refuses, dropped: ${dropped.join(', ') || 'none'}`);
  if (dropped.length)
    data.source = `${data.source}; values the binary refuses (${dropped.join(', ')}) dropped by test/support/pgbackrest-options.ts --values-from-binary`;
  writeFileSync(listPath, `${JSON.stringify(data, null, 2)}\n`);
}

if (process.argv[2] === '--rules-from-binary') await rulesFromBinary(process.argv[3], process.argv[4]);
else if (process.argv[2] === '--ranges-from-binary') await rangesFromBinary(process.argv[3], process.argv[4]);
else if (process.argv[2] === '--values-from-binary') await valuesFromBinary(process.argv[3]);
else await main();
