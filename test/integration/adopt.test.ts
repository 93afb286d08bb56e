// Adoption, on the lab's adopt scenario: a zone that the Ansible role setup_backrest set up
// (test/lab/adopt-role.sh). The first plan takes over the role's cron jobs, pg_hba line,
// .pgpass lines, RSA key pairs, passphrase and stanza; apply converges without doubling
// anything and without a new stanza-create or full backup.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { loginFrom, onHost, resetScenario, sh } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/adopt.toml`;
const STANZA = 'pgedge-adopt-1';
const PG = 'adopt-pg1';
const BACKUP = 'adopt-backup1';

const backupLabels = async () =>
  JSON.parse(
    await sh(BACKUP, `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
  )[0].backup.map((backup: { label: string }) => backup.label) as string[];

describe('adopting what the Ansible role made', () => {
  let labelsBefore: string[] = [];
  beforeAll(async () => {
    await resetScenario('adopt');
    labelsBefore = await backupLabels();
  }, 600_000);

  it('the first plan shows adoptions and improvements, and no new key pair, stanza or full backup', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/~ adopt\s+crontab\[backrest\]/);
    expect(run.stdout).toMatch(/~ adopt\s+pg_hba/);
    expect(run.stdout).toMatch(/method: md5 -> scram-sha-256/);
    for (const absent of [
      'ssh_keypair',
      `stanza[${STANZA}]`,
      `first_backup[${STANZA}]`,
      'known_hosts',
      'pgpass',
      'authorized_keys',
    ]) {
      expect(run.stdout, absent).not.toContain(absent);
    }
    expect(run.stdout).toMatch(/^Plan: .*\d+ to adopt\.$/m);
  });

  it('applies and converges: a second plan shows no changes', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(apply.code).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 2 hosts match adopt.toml.');
    expect(plan.code).toBe(0);
  }, 600_000);

  it("doubles nothing: one job per backup type, one hba rule, one .pgpass line, the role's keys only", async () => {
    const crontab = await sh(BACKUP, 'crontab -l -u backrest');
    expect(crontab).not.toContain('#Ansible:');
    expect(crontab.split('\n').filter((line) => /pgbackrest .*--type=full/.test(line))).toHaveLength(1);
    expect(crontab.split('\n').filter((line) => /pgbackrest .*--type=diff/.test(line))).toHaveLength(1);
    const hba = await sh(PG, 'grep -v "^#" /etc/postgresql/15/main/pg_hba.conf | grep backrest');
    expect(hba.trim().split('\n')).toHaveLength(1);
    expect(hba).toMatch(/127\.0\.1\.43\/32\s+scram-sha-256/);
    expect(await sh(PG, 'cat ~postgres/.pgpass | wc -l')).toBe('1\n');
    expect(await sh(BACKUP, 'cat ~backrest/.pgpass | wc -l')).toBe('1\n');
    expect(await sh(PG, 'ls ~postgres/.ssh')).toBe('authorized_keys\nid_rsa\nid_rsa.pub\nknown_hosts\n');
    expect(await sh(BACKUP, 'ls ~backrest/.ssh')).toBe('authorized_keys\nid_rsa\nid_rsa.pub\nknown_hosts\n');
    expect(await sh(BACKUP, 'wc -l < ~backrest/.ssh/authorized_keys')).toBe('1\n');
    expect(await sh(PG, 'wc -l < ~postgres/.ssh/authorized_keys')).toBe('1\n');
    expect(await sh(PG, 'wc -l < ~postgres/.ssh/known_hosts')).toBe('3\n');
  });

  it('keeps the backups made before and the repository working', async () => {
    expect(await backupLabels()).toEqual(labelsBefore);
    const check = await onHost(BACKUP, `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} check`);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    // From the backup host's own address, with its .pgpass: the adopted pg_hba rule lets it in.
    const login = await loginFrom(BACKUP, '127.0.1.43', PG, { user: 'backrest' });
    expect(login.stderr).toBe('');
    expect(login.stdout).toBe('backrest 127.0.1.43\n');
  }, 300_000);
});
