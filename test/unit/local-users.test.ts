// Root beside folders other local users can change, for real on this machine (as root, with
// `nobody` as the other user): a verify's base folder someone else made first is refused by
// name and left as it was; each run gets a new folder of its own, 0700, the restoring
// user's; what that user plants in it (links where files are written, a pid file naming a
// root process) gets root to write, read or kill nothing. The same for a clone's folder.
// The whole verify script runs here with the machine's PostgreSQL 15 and a stand-in for
// pgBackRest's restore (initdb), as `nobody`; no lab.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { planClone } from '../../lib/recovery/clone.js';
import { knownText } from '../../lib/resources/types.js';
import { remoteCommand } from '../../lib/transport/commands.js';
import { FOLDER_FUNCTIONS, RUN_FOLDER_FUNCTIONS } from '../../lib/verify/folders.js';
import { parseVerifyOutput, verifyScript, type VerifyJob } from '../../lib/verify/script.js';
import { verdict } from '../../lib/verify/verdict.js';
import { cloneRequest } from '../support/requests.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

const AS_ROOT = process.getuid?.() === 0;
const NOBODY = spawnSync('id', ['-u', 'nobody']).stdout?.toString().trim() ?? '';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const HAS_PG = existsSync(`${PG_BIN}/initdb`) && existsSync(`${PG_BIN}/postgres`);

interface ShellRun {
  code: number;
  stdout: string;
  stderr: string;
}

function shell(script: string, options: { shell?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): ShellRun {
  const run = spawnSync(options.shell ?? '/bin/sh', ['-c', script], {
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
    cwd: '/',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** A command run as `nobody` (the local user who gets there first), which must succeed. */
function asNobody(command: string): string {
  const run = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/bin/sh', '-c', command], {
    cwd: '/',
    encoding: 'utf8',
  });
  expect(run.status, `as nobody: ${command}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

const owner = (path: string) => spawnSync('stat', ['-c', '%U %a', path], { encoding: 'utf8' }).stdout.trim();
const ownerOfLink = (path: string) => spawnSync('stat', ['-c', '%U', path], { encoding: 'utf8' }).stdout.trim();
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

let work = '';
const sleepers: ChildProcess[] = [];

/** A long sleep, as root or as nobody, working in `cwd`: a process a pid file can name. */
function sleeper(user: 'root' | 'nobody', cwd = '/'): number {
  const command = `cd '${cwd}' && exec sleep 600`;
  const child =
    user === 'root'
      ? spawn('/bin/sh', ['-c', command], { stdio: 'ignore' })
      : spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/bin/sh', '-c', command], {
          stdio: 'ignore',
        });
  sleepers.push(child);
  return child.pid!;
}

/** A root-owned file with known content that a planted link points at: it must stay exactly so. */
function standIn(name: string): { path: string; unchanged: () => void } {
  const path = join(work, name);
  const content = `root's own ${name}, not to be written through a link\n`;
  writeFileSync(path, content, { mode: 0o644 });
  return {
    path,
    unchanged: () => {
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(owner(path)).toBe('root 644');
    },
  };
}

beforeAll(() => {
  if (!AS_ROOT) return;
  work = mkdtempSync(join(tmpdir(), 'bsync-local-users-'));
  // Reachable by nobody, writable by root only, like /var above /var/tmp.
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'sticky'), { mode: 0o1777 });
  chmodSync(join(work, 'sticky'), 0o1777);
  // A stand-in for pgBackRest: its restore is an initdb where the backup would go; told
  // to (PLANT), it also leaves what a hostile restoring user could: links where the
  // configure step writes, and a pid file naming a root process. It prints who ran it,
  // and its run folder's owner and mode.
  mkdirSync(join(work, 'stub'), { mode: 0o755 });
  writeFileSync(
    join(work, 'stub', 'pgbackrest'),
    [
      '#!/bin/sh',
      'for a; do case $a in --pg1-path=*) data=${a#--pg1-path=} ;; esac; done',
      'eval "last=\\${$#}"',
      '[ "$last" = restore ] || exit 0',
      'dir=$(dirname "$data")',
      'echo "ran as $(id -un)"',
      `stat -c 'folder %U %a %n' "$dir"`,
      `${PG_BIN}/initdb -D "$data" -U postgres -A trust >/dev/null || exit 1`,
      'if [ -n "${PLANT:-}" ]; then',
      '  ln -s "$PLANT" "$dir/verify.conf"; ln -s "$PLANT" "$dir/pg_hba.conf"',
      '  rm -f "$data/postgresql.auto.conf"; ln -s "$PLANT" "$data/postgresql.auto.conf"',
      '  echo "$PLANT_PID" > "$data/postmaster.pid"',
      'fi',
    ].join('\n'),
    { mode: 0o755 },
  );
});

afterAll(() => {
  for (const child of sleepers) child.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

const job = (path: string): VerifyJob => ({
  stanza: 's1',
  runAs: 'nobody',
  pgVersion: '15',
  binDir: PG_BIN,
  label: '20260101-000000F',
  recovery: 'immediate',
  pgHostCount: 1,
  path,
  neededBytes: 1,
  timeoutSeconds: 60,
  amcheck: false,
});

/** The verify script as lib/apply/verify.ts runs it (bash, from a file it removes), and what bsync would conclude. */
function runVerifyScript(path: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(work, `verify-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, verifyScript(job(path)), { mode: 0o600 });
  const run = spawnSync('bash', [file], {
    cwd: '/',
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(work, 'stub')}:${process.env.PATH}`, ...env },
    timeout: 120_000,
  });
  const steps = parseVerifyOutput(run.stdout);
  return { steps, result: verdict(job(path), steps, undefined), stderr: run.stderr };
}

describe.skipIf(!AS_ROOT || NOBODY === '')('the verify base folder, for real', () => {
  const folders = (script: string) => shell(`${FOLDER_FUNCTIONS}\n${script}`);
  const hint = 'HINT';

  it('a missing base folder is made root-owned, mode 0711, and the one above it 0755', () => {
    const base = join(work, 'made', 'base');
    const run = folders(`bsync_trusted_folder '${base}' 0711 ${hint}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(base);
    expect(owner(base)).toBe('root 711');
    expect(owner(join(work, 'made'))).toBe('root 755');
  });

  it('a base folder another user made first is refused by name before anything runs, and stays as it was', () => {
    const base = join(work, 'sticky', 'premade');
    const lock = standIn('lock-standin');
    asNobody(`mkdir -m 0777 '${base}' && ln -s '${lock.path}' '${base}/.s1.lock' && echo mine > '${base}/note'`);
    const { steps, result } = runVerifyScript(base);
    // The script's end is told even when it stops at its first step (it ends the last phase).
    expect(steps.map((step) => step.name)).toEqual(['folder', 'end']);
    expect(result).toMatchObject({ ok: false, failedStep: 'folder', cleanedUp: null });
    expect(result.message).toBe(
      `${base} is not safe for root to work in: it is owned by nobody, not root. bsync makes it itself (root-owned, mode 0711) where only root can change the folders above: remove what another user made there, or set [verify] path to another folder.`,
    );
    expect(owner(base)).toBe('nobody 777');
    expect(readdirSync(base).sort()).toEqual(['.s1.lock', 'note']);
    lock.unchanged();
  });

  it.each([
    {
      what: 'a link another user planted where the base folder goes',
      arrange: (base: string, target: string) => {
        asNobody(`ln -s '${target}' '${base}'`);
      },
      why: 'it is a symbolic link',
    },
    {
      what: 'a root-owned base folder others can write to',
      arrange: (base: string) => {
        shell(`install -d -m 0777 '${base}'`);
      },
      why: 'it is writable by group or others (mode 777)',
    },
    {
      what: 'a folder above it that another user owns',
      arrange: (base: string) => {
        asNobody(`mkdir '${base}'`);
        return join(base, 'verify');
      },
      why: 'is owned by nobody, not root',
    },
  ])('refuses $what, naming the folder, and makes nothing', ({ arrange, why }) => {
    const base = join(work, 'sticky', `case-${Math.random().toString(36).slice(2)}`);
    const target = join(work, `target-${Math.random().toString(36).slice(2)}`);
    mkdirSync(target, { mode: 0o755 });
    const path = arrange(base, target) ?? base;
    const run = folders(`bsync_trusted_folder '${path}' 0711 ${hint}`);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${path} is not safe for root to work in:`);
    expect(run.stderr).toContain(why);
    expect(run.stderr.trim().endsWith('. HINT.')).toBe(true);
    expect(readdirSync(target)).toEqual([]);
    expect(existsSync(join(base, 'verify'))).toBe(false);
  });

  it('the lock is never opened through a link, nor taken over from a file another user owns', () => {
    const base = join(work, 'lock-base');
    mkdirSync(base, { mode: 0o711 });
    const target = standIn('lock-target');
    shell(`ln -s '${target.path}' '${base}/.a.lock'`);
    writeFileSync(join(base, '.b.lock'), '', { mode: 0o666 });
    spawnSync('chown', ['nobody', join(base, '.b.lock')]);
    for (const name of ['a', 'b']) {
      const run = folders(`bsync_lock_file '${base}/.${name}.lock'`);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`the lock ${base}/.${name}.lock is not a regular file of root's: remove it`);
    }
    target.unchanged();
    const made = folders(`bsync_lock_file '${base}/.c.lock' && bsync_lock_file '${base}/.c.lock'`);
    expect(made.code, made.stderr).toBe(0);
    expect(owner(join(base, '.c.lock'))).toBe('root 644');
  });

  it('leftovers of earlier runs are removed, their server stopped as the restoring user, never a root process a pid file names', () => {
    const base = join(work, 'leftovers');
    mkdirSync(base, { mode: 0o711 });
    const rootSleep = sleeper('root');
    const leftover = (name: string) => {
      const data = join(base, name, 'data');
      mkdirSync(data, { recursive: true });
      spawnSync('chown', ['-R', 'nobody:nogroup', join(base, name)]);
      return data;
    };
    // A crashed run's "postmaster": nobody's process working in that run's data folder.
    const crashed = leftover('s1.AAAAAAAAAA');
    const ownSleep = sleeper('nobody', crashed);
    asNobody(`echo ${ownSleep} > '${crashed}/postmaster.pid'`);
    // What the restoring user wrote in another: root's process.
    const hostile = leftover('s1.BBBBBBBBBB');
    asNobody(`echo ${rootSleep} > '${hostile}/postmaster.pid'`);
    leftover('s1'); // an older bsync's folder
    leftover('s2.CCCCCCCCCC'); // another stanza's run
    const victim = join(work, 'victim');
    mkdirSync(join(victim, 'keep'), { recursive: true });
    shell(`ln -s '${victim}' '${base}/s1.DDDDDDDDDD'`);
    for (let i = 0; i < 50 && !readFileSync(`/proc/${ownSleep}/cmdline`, 'utf8').startsWith('sleep'); i += 1)
      spawnSync('sleep', ['0.1']);
    const run = shell(`${FOLDER_FUNCTIONS}\n${RUN_FOLDER_FUNCTIONS}\nbsync_remove_runs '${base}' s1 nobody ''`, {
      shell: 'bash',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('found');
    expect(readdirSync(base)).toEqual(['s2.CCCCCCCCCC']);
    expect(readdirSync(victim)).toEqual(['keep']);
    expect(alive(rootSleep)).toBe(true);
    for (let i = 0; i < 50 && alive(ownSleep); i += 1) spawnSync('sleep', ['0.1']);
    expect(alive(ownSleep)).toBe(false);
  });

  it.skipIf(!HAS_PG)(
    "each run restores into a new folder of its own (random name, 0700, the restoring user's), and all of it as that user",
    () => {
      const base = join(work, 'sticky', 'runs');
      const seen: string[] = [];
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const { steps, result, stderr } = runVerifyScript(base);
        expect(result, stderr + JSON.stringify(steps)).toMatchObject({ ok: true, cleanedUp: true });
        const restore = steps.find((step) => step.name === 'restore')!;
        const scratch = steps.find((step) => step.name === 'scratch')!.stdout.trim();
        expect(scratch).toMatch(new RegExp(`^${base}/s1\\.[A-Za-z0-9]{10}$`));
        expect(restore.stdout).toContain('ran as nobody');
        expect(restore.stdout).toContain(`folder nobody 700 ${scratch}`);
        seen.push(scratch);
      }
      expect(new Set(seen).size).toBe(2);
      expect(owner(base)).toBe('root 711');
      expect(readdirSync(base)).toEqual(['.s1.lock']);
      expect(owner(join(base, '.s1.lock'))).toBe('root 600');
    },
  );

  it.skipIf(!HAS_PG)(
    'links the restoring user plants where the configure step writes get written as that user (refused), and a pid file naming a root process gets it killed by no one',
    () => {
      const base = join(work, 'sticky', 'hostile');
      const target = standIn('configure-standin');
      const rootSleep = sleeper('root');
      const { steps, result } = runVerifyScript(base, { PLANT: target.path, PLANT_PID: String(rootSleep) });
      target.unchanged();
      expect(alive(rootSleep)).toBe(true);
      expect(result).toMatchObject({ ok: false, failedStep: 'configure', cleanedUp: true });
      expect(result.message).toMatch(/verify\.conf: Permission denied/);
      expect(steps.map((step) => step.name).slice(-2)).toEqual(['cleanup', 'end']);
      expect(readdirSync(base)).toEqual(['.s1.lock']);
    },
  );
});

describe.skipIf(!AS_ROOT || NOBODY === '')("a clone's folder, for real", () => {
  const inventory = { ...parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV), repoUser: 'nobody' };
  const facts = () =>
    new Map(
      Object.entries(
        JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
      ),
    );
  const steps = (path: string) => {
    const { resources } = planClone({
      inventory,
      facts: facts(),
      request: cloneRequest(`ssh-backup1:${path}`),
      space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
      now: Date.now(),
    });
    const of = (kind: string) => resources.find((resource) => resource.kind === kind)!.change!.steps;
    return { prepare: of('clone_prepare'), configure: of('clone_configure'), start: of('clone_start') };
  };
  /** A step as bsync runs it when it logs in as root: the same command line, here. */
  const runStep = (step: { command: string; user?: string }, input?: string) =>
    shell(remoteCommand('root', step.command, step.user, input === undefined ? undefined : Buffer.byteLength(input)), {
      ...(input === undefined ? {} : { input }),
    });

  it('inside the folder the clone is configured and started as its user; only the marker beside it is written as root', () => {
    const { configure, start } = steps('/var/lib/bsync-clones/pgedge-lab-1');
    expect(configure.map((step) => step.user)).toEqual(['nobody']);
    expect(start.map((step) => step.user)).toEqual(['nobody', undefined]);
    expect(start[1].command).toMatch(/echo ready > "\$M"$/);
  });

  it.each([
    {
      what: 'writable by others (sticky or not)',
      parent: () => join(work, 'sticky'),
      why: 'writable by group or others (mode 1777)',
    },
    {
      what: 'owned by another user',
      parent: () => {
        const parent = join(work, 'sticky', 'theirs');
        asNobody(`mkdir -p '${parent}'`);
        return parent;
      },
      why: 'is owned by nobody, not root',
    },
  ])('refuses a folder whose parent is $what, naming it, and writes nothing', ({ parent, why }) => {
    const folder = parent();
    const path = join(folder, `clone-${Math.random().toString(36).slice(2, 8)}`);
    const marker = standIn(`marker-standin-${Math.random().toString(36).slice(2, 8)}`);
    if (why.includes('nobody')) asNobody(`ln -s '${marker.path}' '${path}.bsync-clone'`);
    const before = readdirSync(folder).sort();
    const run = runStep(steps(path).prepare[0]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${folder} is not safe for root to work in:`);
    expect(run.stderr).toContain(why);
    expect(readdirSync(folder).sort()).toEqual(before);
    marker.unchanged();
  });

  it("an interrupted clone is cleared without root killing what its pid file names; the new folder is its user's, 0700", () => {
    const parent = join(work, 'clones');
    mkdirSync(parent, { mode: 0o755 });
    const path = join(parent, 'c1');
    mkdirSync(path, { mode: 0o700 });
    spawnSync('chown', ['nobody:nogroup', path]);
    writeFileSync(`${path}.bsync-clone`, 'restoring\n');
    const rootSleep = sleeper('root');
    asNobody(`echo ${rootSleep} > '${path}/postmaster.pid'`);
    const run = runStep(steps(path).prepare[0]);
    expect(run.code, run.stderr).toBe(0);
    expect(alive(rootSleep)).toBe(true);
    expect(owner(path)).toBe('nobody 700');
    expect(readdirSync(path)).toEqual([]);
    expect(readFileSync(`${path}.bsync-clone`, 'utf8')).toBe('restoring\n');
    expect(ownerOfLink(`${path}.bsync-clone`)).toBe('root');
  });

  it('a clone a killed bsync left restoring is waited for: prepare clears nothing while its lock is held', async () => {
    const parent = join(work, 'clones-locked');
    mkdirSync(parent, { mode: 0o755 });
    const path = join(parent, 'c1');
    mkdirSync(path, { mode: 0o700 });
    writeFileSync(join(path, 'PG_VERSION'), '15\n');
    writeFileSync(`${path}.bsync-clone`, 'restoring\n');
    writeFileSync(`${path}.lock`, '');
    // The earlier run's restore, still holding the lock as the restore step takes it.
    const holder = spawn('/bin/sh', ['-c', `exec 9<'${path}.lock' && flock 9 && exec sleep 600`], { stdio: 'ignore' });
    sleepers.push(holder);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const command = remoteCommand('root', steps(path).prepare[0].command, undefined, undefined);
    const prepare = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ended = new Promise<number | null>((resolve) => prepare.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(prepare.exitCode, 'prepare went on while the lock was held').toBeNull();
    expect(readdirSync(path)).toEqual(['PG_VERSION']);
    holder.kill('SIGKILL');
    expect(await ended).toBe(0);
    expect(readdirSync(path)).toEqual([]);
  });

  it('links its user planted where the configure step writes are written through as that user only: refused', () => {
    const parent = join(work, 'clones2');
    mkdirSync(parent, { mode: 0o755 });
    const path = join(parent, 'c1');
    mkdirSync(path, { mode: 0o700 });
    spawnSync('chown', ['nobody:nogroup', path]);
    const target = standIn('clone-configure-standin');
    asNobody(
      ['postgresql.conf', 'pg_hba.conf', 'postgresql.auto.conf']
        .map((name) => `ln -s '${target.path}' '${path}/${name}'`)
        .join(' && '),
    );
    const [configure] = steps(path).configure;
    const run = runStep(configure, knownText(configure.stdin!)!);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/postgresql\.auto\.conf: Permission denied/);
    target.unchanged();
  });
});
