// pgBackRest options an operator tunes, on the lab: process-max, lz4 compression and no
// bundling in place of bsync's defaults, and asynchronous archiving with its spool folder
// reach every host's pgbackrest.conf, a backup and WAL archiving work with them, a second
// plan is clean, a hand edit is drift.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh-options.toml`;

describe('[pgbackrest.global] options', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
  }, 300_000);

  it('apply converges with them, and the next plan has no changes', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
    for (const host of ['ssh-pg1', 'ssh-backup1']) {
      const conf = await sh(host, 'cat /etc/pgbackrest/pgbackrest.conf');
      expect(conf).toMatch(/^process-max=2$/m);
      expect(conf).toMatch(/^compress-type=lz4$/m);
      expect(conf).toMatch(/^repo1-bundle=n$/m);
      expect(conf).not.toMatch(/^repo1-block=/m);
      expect(conf).toMatch(/^archive-async=y$/m);
    }
    expect(await sh('ssh-pg1', 'stat -c %U /var/spool/pgbackrest')).toBe('postgres\n');
  }, 300_000);

  it('backups are lz4-compressed, a file each, and WAL is archived asynchronously through the spool folder', async () => {
    await sh('ssh-backup1', 'cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-lab-1 --type=diff backup');
    expect(
      await sh('ssh-backup1', 'ls /home/backrest/backup/pgedge-lab-1/latest/pg_data/ | grep -c "\\.lz4$"'),
    ).not.toBe('0\n');
    const check = await onHost('ssh-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');
    expect(check.code, check.stderr).toBe(0);
    expect((await sh('ssh-pg1', 'ls /var/spool/pgbackrest/archive/pgedge-lab-1/out | head -1')).trim()).toMatch(
      /^[0-9A-F]{24}\.ok$/,
    );
  }, 300_000);

  it('a hand edit of one is drift, and apply puts it back', async () => {
    await sh('ssh-pg2', `sed -i 's/^process-max=2$/process-max=8/' /etc/pgbackrest/pgbackrest.conf`);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('-process-max=8');
    expect(plan.stdout).toContain('+process-max=2');
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(0);
    expect(await sh('ssh-pg2', 'grep ^process-max /etc/pgbackrest/pgbackrest.conf')).toBe('process-max=2\n');
  }, 300_000);
});
