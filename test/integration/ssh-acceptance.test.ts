// The acceptance story for SSH repositories, on the lab's `ssh` scenario: a fresh lab,
// plan shows everything, apply converges, plan shows no changes, real full backups exist,
// WAL archiving works, and a second apply does nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { hostState, labSecret, loginFrom, onHost, resetScenario } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const ZONES = [
  { stanza: 'pgedge-lab-1', postgres: 'ssh-pg1', backup: 'ssh-backup1' },
  { stanza: 'pgedge-lab-2', postgres: 'ssh-pg2', backup: 'ssh-backup2' },
];

describe('ssh repositories: plan, apply, converge', () => {
  const outputs: string[] = [];
  beforeAll(async () => {
    await resetScenario('ssh');
  });

  it('plans every resource on all four hosts and reports drift with exit code 2', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    outputs.push(run.stdout, run.stderr);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(2);
    for (const { stanza, postgres, backup } of ZONES) {
      expect(run.stdout).toMatch(new RegExp(`^${postgres}$`, 'm'));
      expect(run.stdout).toMatch(new RegExp(`^${backup}$`, 'm'));
      expect(run.stdout).toContain(`+ stanza[${stanza}]`);
      expect(run.stdout).toContain(`+ first_backup[${stanza}]`);
    }
    for (const kind of [
      'os_user[backrest]',
      'ssh_keypair[backrest]',
      'ssh_keypair[postgres]',
      'authorized_keys[postgres]',
      'known_hosts[backrest]',
      'pgbackrest_conf',
      'postgresql_conf',
      'pg_role[backrest]',
      'pg_hba',
      'pgpass[postgres]',
      'pgpass[backrest]',
      'crontab[backrest]',
      'pg_restart',
      'legacy_pgbackrest_conf',
    ]) {
      expect(run.stdout).toContain(kind);
    }
    expect(run.stdout).toContain('(known after apply: public key of postgres@ssh-pg1)');
    expect(run.stdout).toContain('repo1-cipher-pass=(sensitive)');
    expect(run.stdout).toMatch(/^Plan: \d+ to add, \d+ to change, \d+ to remove\.$/m);
  });

  it('applies and converges', async () => {
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    outputs.push(run.stdout, run.stderr);
    expect(run.stdout + run.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(run.code).toBe(0);
  }, 600_000);

  it('plans no changes afterwards', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    outputs.push(run.stdout, run.stderr);
    expect(run.stdout).toContain('No changes. 4 hosts match ssh.toml.');
    expect(run.code).toBe(0);
  });

  it('leaves a real full backup and working WAL archiving in each zone', async () => {
    for (const { stanza, backup } of ZONES) {
      const info = await onHost(backup, `runuser -u backrest -- pgbackrest --stanza=${stanza} --output=json info`);
      expect(info.code).toBe(0);
      const [entry] = JSON.parse(info.stdout);
      expect(entry.status.code).toBe(0);
      expect(entry.backup.some((b: { type: string }) => b.type === 'full')).toBe(true);
      const check = await onHost(backup, `runuser -u backrest -- pgbackrest --stanza=${stanza} check`);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
    }
  }, 300_000);

  it('lets the backup user log in from the backup host with its .pgpass', async () => {
    for (const { postgres, backup } of ZONES) {
      const login = await onHost(
        backup,
        `cd / && runuser -u backrest -- psql -XAt -h ${postgres} -U backrest -d postgres -c 'SELECT rolreplication FROM pg_roles WHERE rolname = current_user'`,
      );
      expect(login.stderr).toBe('');
      expect(login.stdout.trim()).toBe('t');
    }
  });

  it("logs the backup user in from the backup host's own address through bsync's pg_hba rule, and is refused without it", async () => {
    const password = await labSecret('backup_password');
    const through = await loginFrom('ssh-backup1', '127.0.1.13', 'ssh-pg1', { password });
    expect(through.stderr).toBe('');
    expect(through.stdout.trim()).toBe('backrest 127.0.1.13');
    // Without bsync's rule nothing else lets that address in.
    await onHost(
      'ssh-pg1',
      `sed -i '/backrest .*127\\.0\\.1\\.13\\/32/d' /etc/postgresql/15/main/pg_hba.conf && pg_ctlcluster 15 main reload`,
    );
    const refused = await loginFrom('ssh-backup1', '127.0.1.13', 'ssh-pg1', { password });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('no pg_hba.conf entry for host "127.0.1.13", user "backrest"');
    const repaired = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('pg_hba');
    expect((await loginFrom('ssh-backup1', '127.0.1.13', 'ssh-pg1', { password })).stdout.trim()).toBe(
      'backrest 127.0.1.13',
    );
  });

  it('executes nothing on a second apply: no file, crontab or server on any host changes', async () => {
    const hosts = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];
    const before = await Promise.all(hosts.map(hostState));
    const run = await bsync(['apply', '-c', CONFIG, '--yes']);
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No changes.');
    expect(run.stdout).not.toContain('Apply complete');
    expect(await Promise.all(hosts.map(hostState))).toEqual(before);
  });

  it('never printed a secret', async () => {
    const secrets = [await labSecret('cipher_pass'), await labSecret('backup_password')];
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const text of outputs) expect(text).not.toContain(secret);
    }
  });
});
