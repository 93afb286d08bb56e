// Hosts in odd but ordinary states: noise where facts are read, the wrong type of file
// at a managed path, a pgBackRest that does not run, a tool that answers nonsense. The
// drift check must still tell the truth, and apply must never write through or into
// what it does not manage.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { labSecret, onHost, resetScenario, sh } from '../support/lab.js';
import { shq } from '../../lib/formats/shell.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
/** What a terminal acts on: C0 controls but tab and newline, DEL, C1 controls, bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

async function converge(): Promise<void> {
  const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
  expect(plan.code, plan.stdout).toBe(0);
}

/** Undo for the current test, run even when it fails. */
const undo: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (undo.length > 0) await undo.pop()!();
});

describe('odd host states', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge();
  }, 600_000);

  it('libpq and server noise (a 0644 .pgpass, client_min_messages = debug5) do not break the drift check', async () => {
    await sh(
      'ssh-pg1',
      `chmod 644 ~postgres/.pgpass && runuser -u postgres -- psql -XAtq -c "ALTER ROLE postgres SET client_min_messages = 'debug5'" -c "ALTER ROLE postgres SET search_path = nowhere" -c "ALTER ROLE postgres SET statement_timeout = 1"`,
    );
    undo.push(() => onHost('ssh-pg1', `runuser -u postgres -- psql -XAtq -c "ALTER ROLE postgres RESET ALL"`));
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('~ pgpass[postgres]');
    expect(plan.stdout).toContain('mode: 0644 -> 0600');
    const json = await bsync(['plan', '-c', CONFIG, '--json']);
    expect(JSON.parse(json.stdout).actions.map((action: { address: string }) => action.address)).toEqual([
      'ssh-pg1.pgpass[postgres]',
    ]);
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(0);
    expect(await sh('ssh-pg1', 'stat -c %a ~postgres/.pgpass')).toBe('600\n');
  });

  it('a folder where .pgpass belongs is a conflict: shown, refused, nothing written into it', async () => {
    await sh('ssh-pg1', 'mv ~postgres/.pgpass /root/pgpass.saved && mkdir ~postgres/.pgpass');
    undo.push(() => onHost('ssh-pg1', 'rm -rf ~postgres/.pgpass && mv /root/pgpass.saved ~postgres/.pgpass'));
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(
      /! pgpass\[postgres\] {2}\/var\/lib\/postgresql\/\.pgpass\n\s+conflict: \/var\/lib\/postgresql\/\.pgpass is a directory, where bsync manages a regular file/,
    );
    expect(plan.stdout).toContain('1 conflict that apply refuses');
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/failed: ssh-pg1\.pgpass\[postgres\]: refused: .*is a directory/);
    expect(await sh('ssh-pg1', 'ls -A ~postgres/.pgpass | wc -l')).toBe('0\n');
  });

  it('a folder where pgbackrest.conf belongs on a converged host: refused, no passphrase left anywhere', async () => {
    await sh('ssh-pg2', 'mv /etc/pgbackrest/pgbackrest.conf /root/conf.saved && mkdir /etc/pgbackrest/pgbackrest.conf');
    undo.push(() =>
      onHost(
        'ssh-pg2',
        'rm -rf /etc/pgbackrest/pgbackrest.conf && mv /root/conf.saved /etc/pgbackrest/pgbackrest.conf',
      ),
    );
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(
      /failed: ssh-pg2\.pgbackrest_conf: refused: \/etc\/pgbackrest\/pgbackrest\.conf is a directory/,
    );
    expect(apply.stdout).not.toMatch(/failed: ssh-(pg1|backup1)/);
    expect(await sh('ssh-pg2', 'find /etc/pgbackrest -mindepth 1 | wc -l')).toBe('1\n');
    const passphrase = await labSecret('cipher_pass');
    const leaked = await onHost(
      'ssh-pg2',
      `grep -rlF -- ${JSON.stringify(passphrase)} /etc/pgbackrest /tmp /root 2>/dev/null`,
    );
    expect(leaked.stdout.split('\n').filter((path) => path && path !== '/root/conf.saved')).toEqual([]);
    const again = await bsync(['plan', '-c', CONFIG]);
    expect(again.stdout).toContain('! pgbackrest_conf');
  });

  it('a FIFO at a managed path neither hangs the probe nor is written through', async () => {
    await sh(
      'ssh-pg1',
      'mv ~postgres/.ssh/known_hosts /root/known_hosts.saved && mkfifo -m 600 ~postgres/.ssh/known_hosts',
    );
    undo.push(() =>
      onHost('ssh-pg1', 'rm -f ~postgres/.ssh/known_hosts && mv /root/known_hosts.saved ~postgres/.ssh/known_hosts'),
    );
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/! known_hosts\[postgres\].*\n\s+conflict: .*known_hosts is a fifo/);
    // Apply refuses that action, does not block on the FIFO (nobody reads or writes it), and leaves it a FIFO.
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/failed: ssh-pg1\.known_hosts\[postgres\]: refused: .*known_hosts is a fifo/);
    expect(await sh('ssh-pg1', 'stat -c %F ~postgres/.ssh/known_hosts')).toBe('fifo\n');
  });

  it('a symbolic link at a managed file is not written through', async () => {
    await sh(
      'ssh-backup1',
      'cp ~backrest/.pgpass /root/target && mv ~backrest/.pgpass /root/pgpass.saved && ln -s /root/target ~backrest/.pgpass && echo "x:1:*:backrest:drifted" >> /root/target',
    );
    undo.push(() =>
      onHost('ssh-backup1', 'rm -f ~backrest/.pgpass /root/target && mv /root/pgpass.saved ~backrest/.pgpass'),
    );
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.stdout).toMatch(/failed: ssh-backup1\.pgpass\[backrest\]: refused: .*is a symbolic link/);
    expect(await sh('ssh-backup1', 'tail -n 1 /root/target')).toBe('x:1:*:backrest:drifted\n');
  });

  it('a pgBackRest that does not run makes the drift check fail naming the host (exit 1), not say No changes', async () => {
    await sh(
      'ssh-pg1',
      `printf '#!/bin/sh\\necho "error while loading shared libraries: libssl.so.3" >&2\\nexit 127\\n' > /root/broken && chmod +x /root/broken && mount --bind /root/broken /usr/bin/pgbackrest`,
    );
    undo.push(() => onHost('ssh-pg1', 'umount /usr/bin/pgbackrest'));
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      'ssh-pg1: pgBackRest does not run here (pgbackrest version exited 127: error while loading shared libraries: libssl.so.3)',
    );
    expect(plan.stderr).toContain('bsync: error: backups cannot run on ssh-pg1');
    const json = await bsync(['plan', '-c', CONFIG, '--json']);
    expect(JSON.parse(json.stdout).problems).toEqual([expect.objectContaining({ host: 'ssh-pg1' })]);
  });

  it('a tool that answers nonsense fails as HOST: probe NAME, with --json still machine-readable', async () => {
    await sh(
      'ssh-backup2',
      `printf '#!/bin/sh\\necho "crontab: segmentation fault in \\033[31mred\\033[0m" >&2\\nexit 139\\n' > /root/crontab && chmod +x /root/crontab && mount --bind /root/crontab /usr/bin/crontab`,
    );
    undo.push(() => onHost('ssh-backup2', 'umount /usr/bin/crontab'));
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(
      'ssh-backup2: probe crontab: expected a crontab or "no crontab for backrest" from crontab -l, received: crontab: segmentation fault',
    );
    expect(plan.stderr).not.toMatch(STACK_TRACE);
    expect(plan.stderr).toContain('\\x1b[31mred\\x1b[0m');
    expect(plan.stderr).not.toMatch(TERMINAL_CONTROL);
    const json = await bsync(['plan', '-c', CONFIG, '--json']);
    expect(json.code).toBe(1);
    const error = JSON.parse(json.stdout).error;
    expect(error.hosts).toEqual(['ssh-backup2']);
    expect(error.message).toContain('probe crontab');
  });
});

describe("what a host's files hold is shown, not obeyed", () => {
  it('escape sequences, a carriage return and a bidi override in a crontab reach the plan escaped, in text and --json', async () => {
    const crontab = await sh('ssh-backup1', 'crontab -u backrest -l');
    undo.push(() => onHost('ssh-backup1', `printf %s ${shq(crontab)} | crontab -u backrest -`));
    const hostile = '# \u001b[2J\u001b]0;owned\u0007 \u202edesrever\r';
    const drifted = [hostile, ...crontab.split('\n').filter((line) => !line.includes('bsync:diff'))].join('\n');
    await sh('ssh-backup1', `printf %s ${shq(drifted)} | crontab -u backrest -`);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('\\x1b[2J\\x1b]0;owned\\x07 \\u202edesrever\\r');
    expect(plan.stdout).not.toMatch(TERMINAL_CONTROL);
    // JSON escapes them as JSON does (\u001b): safe to print, and the host's text exactly once parsed.
    const json = await bsync(['plan', '-c', CONFIG, '--json']);
    expect(json.stdout).not.toMatch(TERMINAL_CONTROL);
    // (The carriage return reaches the crontab as the shell that planted it wrote it: a CR, or \r.)
    expect(json.stdout).toMatch(/\\u001b\[2J\\u001b\]0;owned\\u0007 \\u202edesrever(\\r|\\\\r)/);
    const [action] = JSON.parse(json.stdout).actions;
    expect(action.diff).toContain(hostile.slice(0, -1));
  });
});

describe('a conflict on a fresh zone', () => {
  beforeAll(() => resetScenario('ssh'), 600_000);
  afterEach(() => onHost('ssh-pg2', 'rmdir /etc/pgbackrest/pgbackrest.conf 2>/dev/null; true'));

  it('holds back what depends on the refused action; the other zone converges', async () => {
    await sh('ssh-pg2', 'mkdir -p /etc/pgbackrest/pgbackrest.conf');
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('failed: ssh-pg2.pgbackrest_conf: refused:');
    expect(apply.stdout).toContain(
      'skipped: ssh-backup2.stanza[pgedge-lab-2]: waits for ssh-pg2.pgbackrest_conf (failed)',
    );
    expect(apply.stdout).not.toMatch(/(failed|skipped): ssh-(pg1|backup1)/);
    expect(await sh('ssh-pg2', 'find /etc/pgbackrest/pgbackrest.conf -mindepth 1 | wc -l')).toBe('0\n');
    await sh('ssh-pg2', 'rmdir /etc/pgbackrest/pgbackrest.conf');
    await converge();
  }, 600_000);
});
