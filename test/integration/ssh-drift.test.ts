// Hand-made changes on converged hosts: each is reported by plan --detailed-exitcode
// (exit 2, the resource named) and repaired by apply; lines bsync did not write survive.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;

async function converge(): Promise<void> {
  const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
  expect(run.stderr + run.stdout).not.toMatch(/failed: [1-9]|Apply incomplete/);
  expect(run.code).toBe(0);
}

async function expectDriftRepaired(resource: string): Promise<void> {
  const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
  expect(drift.code).toBe(2);
  expect(drift.stdout).toContain(resource);
  const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
  expect(apply.stdout).toMatch(/Apply complete/);
  expect(apply.code).toBe(0);
  const after = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
  expect(after.stdout).toContain('No changes.');
  expect(after.code).toBe(0);
}

describe('drift on ssh repositories', () => {
  // From pristine hosts, whatever other suites left (files run alone and in any order).
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge();
  }, 900_000);

  it('a deleted cron line comes back, a hand-made one stays', async () => {
    await sh(
      'ssh-backup1',
      `(crontab -u backrest -l | grep -v 'bsync:diff'; echo '0 3 * * * /bin/true # mine') | crontab -u backrest -`,
    );
    await expectDriftRepaired('~ crontab[backrest]');
    const crontab = await sh('ssh-backup1', 'crontab -u backrest -l');
    expect(crontab).toContain('0 3 * * * /bin/true # mine');
    expect(crontab).toMatch(
      /^10 0 \* \* 1-6 \/etc\/pgbackrest\/bsync-backup-job \/var\/log\/pgbackrest\/pgedge-lab-1\.bsync-diff-repo1\.outcome \/var\/log\/pgbackrest\/pgedge-lab-1\.bsync-backup\.lock pgbackrest --stanza=pgedge-lab-1 --type=diff backup # bsync:diff:pgedge-lab-1$/m,
    );
    expect(crontab.match(/bsync:full/g)).toHaveLength(1);
  });

  it('retention edited in pgbackrest.conf is put back', async () => {
    await sh('ssh-pg1', `sed -i 's/^repo1-retention-full=1$/repo1-retention-full=5/' /etc/pgbackrest/pgbackrest.conf`);
    const drift = await bsync(['plan', '-c', CONFIG]);
    expect(drift.stdout).toContain('-repo1-retention-full=5');
    expect(drift.stdout).toContain('+repo1-retention-full=1');
    await expectDriftRepaired('~ pgbackrest_conf');
    expect(await sh('ssh-pg1', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('repo1-retention-full=1\n');
  });

  it('a removed authorized_keys line comes back, a hand-added key stays', async () => {
    const handKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandMadeKeyForTheDriftTestOnlyxxxxxxxxxxxxx admin@laptop';
    await sh(
      'ssh-backup1',
      `f=/home/backrest/.ssh/authorized_keys; (grep -v 'bsync:postgres@ssh-pg1' $f; echo '${handKey}') > $f.new && cat $f.new > $f && rm $f.new`,
    );
    await expectDriftRepaired('authorized_keys[backrest]');
    const keys = await sh('ssh-backup1', 'cat /home/backrest/.ssh/authorized_keys');
    expect(keys).toContain(handKey);
    expect(keys).toContain('bsync:postgres@ssh-pg1');
  });

  it('a changed archive_command is reported where it is set and repaired', async () => {
    await sh(
      'ssh-pg1',
      `runuser -u postgres -- psql -XAtq -c "ALTER SYSTEM SET archive_command = '/bin/true'" -c 'SELECT pg_reload_conf()'`,
    );
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toMatch(/setting_override\[archive_command@.*postgresql\.auto\.conf/);
    expect(drift.stdout).toContain('archive_command: /bin/true -> pgbackrest --stanza=pgedge-lab-1 archive-push %p');
    await expectDriftRepaired('pg_reload');
    expect((await sh('ssh-pg1', `runuser -u postgres -- psql -XAtc 'SHOW archive_command'`)).trim()).toBe(
      'pgbackrest --stanza=pgedge-lab-1 archive-push %p',
    );
  });

  it('a changed .pgpass line is replaced, not duplicated', async () => {
    await sh(
      'ssh-backup1',
      `sed -i 's/^\\(ssh-pg1:5432:\\*:backrest:\\).*/\\1wrong/' /home/backrest/.pgpass && echo 'other:5432:*:app:apppw' >> /home/backrest/.pgpass`,
    );
    await expectDriftRepaired('pgpass[backrest]');
    const pgpass = await sh('ssh-backup1', 'cat /home/backrest/.pgpass');
    expect(pgpass.match(/^ssh-pg1:5432:\*:backrest:/gm)).toHaveLength(1);
    expect(pgpass).not.toContain(':wrong');
    expect(pgpass).toContain('other:5432:*:app:apppw');
  });

  it("the backup user's password changed by hand is set back", async () => {
    await sh('ssh-pg1', `runuser -u postgres -- psql -XAtq -c "ALTER ROLE backrest PASSWORD 'changed-by-hand'"`);
    const drift = await bsync(['plan', '-c', CONFIG]);
    expect(drift.stdout).toContain('password: (sensitive) -> (sensitive)');
    await expectDriftRepaired('pg_role[backrest]');
  });
});

describe('managed files deleted by hand', () => {
  it('on every host role are drift (exit 2, each named) that apply puts back, not an error', async () => {
    await converge();
    await sh('ssh-pg1', 'rm /etc/pgbackrest/pgbackrest.conf ~postgres/.pgpass ~postgres/.ssh/known_hosts');
    await sh('ssh-backup1', 'rm /etc/pgbackrest/pgbackrest.conf ~backrest/.pgpass ~backrest/.ssh/authorized_keys');
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode', '--json']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    const created = (JSON.parse(drift.stdout).actions as Array<{ address: string; action: string }>)
      .filter((action) => action.action === 'create')
      .map((action) => action.address);
    expect(created).toEqual(
      expect.arrayContaining([
        'ssh-pg1.pgbackrest_conf',
        'ssh-pg1.pgpass[postgres]',
        'ssh-pg1.known_hosts[postgres]',
        'ssh-backup1.pgbackrest_conf',
        'ssh-backup1.pgpass[backrest]',
        'ssh-backup1.authorized_keys[backrest]',
      ]),
    );
    await expectDriftRepaired('pgbackrest_conf');
  });

  it('WAL archiving that fails into the repository is a problem plan names (exit 1); archiving again, plan says No changes', async () => {
    await converge();
    const psql = (sql: string) =>
      sh('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c "${sql}"`);
    const failing = async () =>
      (
        await psql(
          "SELECT coalesce(last_failed_time > coalesce(last_archived_time, last_failed_time - interval '1s'), false) FROM pg_stat_archiver",
        )
      ).trim();
    /** Writes and switches WAL until the archiver's state is `want` (t: failing, f: archiving). */
    const until = async (want: string) => {
      let seen = '';
      for (let i = 0; i < 90 && seen !== want; i += 1) {
        await psql(
          'CREATE TABLE IF NOT EXISTS archive_probe (n int); INSERT INTO archive_probe VALUES (1); SELECT pg_switch_wal()',
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        seen = await failing();
      }
      expect(seen, `archiver failing = ${want}`).toBe(want);
    };
    // The repository's archive stops taking files: archive-push on ssh-pg1 fails.
    const archive = '/home/backrest/archive/pgedge-lab-1';
    await sh('ssh-backup1', `chmod -R u-w ${archive}`);
    try {
      await until('t');
      const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(1);
      expect(plan.stdout).toMatch(
        /Problems that keep backups from running:\n {2}ssh-pg1: WAL archiving into stanza pgedge-lab-1 fails: [0-9A-F]{24} failed at /,
      );
      expect(plan.stderr).toContain('bsync: error: backups cannot run on ssh-pg1');
    } finally {
      await sh('ssh-backup1', `chmod -R u+w ${archive}`);
    }
    await until('f');
    await psql('DROP TABLE archive_probe');
    const after = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(after.stdout + after.stderr).toContain('No changes.');
    expect(after.code).toBe(0);
  }, 600_000);
});
