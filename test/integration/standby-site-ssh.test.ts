// A standby site (issue 29 item 5) on the lab's ssh scenario, modelled on standby-site.test.ts
// (the s3 scenario's): ssh-pg2 (zone 2, with its own backup host ssh-backup2) is emptied and
// declared a standby of zone 1's stanza. Zone 1's repository is a folder on ssh-backup1, so
// while ssh-pg2 is a standby its pgbackrest.conf points there and ssh-backup1's repository
// user lets its postgres key in (one way); ssh-backup2 makes no stanza, backup or job. It
// replays zone 1's archive through ssh-backup1 as zone 1 writes it. With standby_of removed,
// `bsync promote --zone 2` makes it a primary archiving into pgedge-lab-2 on ssh-backup2; the
// next plan of the whole config takes the trust on ssh-backup1 away.
// Written, not yet run on the lab (docs/recovery.md, "Another zone's repository").
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { checksum, converge, expectNoChanges, psql, timeline } from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/main';
const SSH_CONFIG = `${FIXTURES}lab/ssh.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-standby-site-ssh-'));
const CONFIG = join(work, 'standby-site-ssh.toml');
const PG2_LINE = 'bsync:postgres@ssh-pg2';

/** ssh.toml, with zone 2 a standby site of zone 1 when `standby`. */
function declare(standby: boolean): void {
  const zone = standby ? '\n[[zone]]\nid = 2\nstandby_of = { zone = 1 }\n' : '';
  writeFileSync(CONFIG, `${readFileSync(SSH_CONFIG, 'utf8')}${zone}`);
}

const pgbackrest = (host: string, args: string) => sh(host, `cd / && runuser -u postgres -- pgbackrest ${args}`);
const backup1Keys = () => sh('ssh-backup1', 'cat /home/backrest/.ssh/authorized_keys');

/** Waits (bounded) until ssh-pg2 has replayed what zone 1 holds now: the archive is its only source. */
async function replayed(expected: string): Promise<string> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const seen = await checksum('ssh-pg2').catch(() => '');
    if (seen === expected) return seen;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return checksum('ssh-pg2');
}

describe('a standby site on an ssh repository: zone 2 replays zone 1’s stanza through ssh-backup1', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH_CONFIG);
    await psql('ssh-pg1', 'DROP TABLE IF EXISTS restore_probe');
    await psql('ssh-pg1', 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql('ssh-pg1', 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
    await pgbackrest('ssh-pg1', '--stanza=pgedge-lab-1 check');
  }, 600_000);
  afterAll(async () => {
    await onHost('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('restores zone 1 as a standby through ssh-backup1, keeps it replaying, trusted one way, and plans no change after', async () => {
    await sh(
      'ssh-pg2',
      `pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast && find ${DATA} -mindepth 1 -delete`,
    );
    // Zone 2's stanza of the server just emptied (another system id) goes.
    await sh('ssh-backup2', 'rm -rf /home/backrest/archive/pgedge-lab-2 /home/backrest/backup/pgedge-lab-2');
    declare(true);

    const plan = await bsync(['plan', '-c', CONFIG]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('first data: a standby of pgedge-lab-1');
    expect(plan.stdout).toContain('+repo1-host=ssh-backup1');
    expect(plan.stdout).toContain(PG2_LINE);

    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).not.toMatch(/first_backup|stanza-create/);

    expect(await psql('ssh-pg2', 'SELECT pg_is_in_recovery()')).toBe('t\n');
    expect((await psql('ssh-pg2', 'SHOW archive_mode')).trim()).toBe('off');
    expect((await psql('ssh-pg2', 'SHOW restore_command')).trim()).toContain('--stanza=pgedge-lab-1 archive-get');
    expect(await sh('ssh-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('repo1-host=ssh-backup1\n');
    expect(await checksum('ssh-pg2')).toBe(await checksum('ssh-pg1'));

    // New rows on zone 1 reach it through ssh-backup1 once zone 1 switches WAL.
    await psql('ssh-pg1', "INSERT INTO restore_probe SELECT g, 'later' FROM generate_series(5001, 7000) g");
    await pgbackrest('ssh-pg1', '--stanza=pgedge-lab-1 check');
    const source = await checksum('ssh-pg1');
    expect(await replayed(source)).toBe(source);

    // The trust stays while it is a standby; ssh-backup2 holds no stanza of zone 2 meanwhile.
    expect(await backup1Keys()).toContain(PG2_LINE);
    expect((await onHost('ssh-backup2', 'test -e /home/backrest/backup/pgedge-lab-2/backup.info')).code).not.toBe(0);
    expect((await psql('ssh-pg2', 'SELECT archived_count FROM pg_stat_archiver')).trim()).toBe('0');
    await expectNoChanges(CONFIG);
  }, 900_000);

  it('promotes with standby_of removed onto its own backup host; the next whole plan takes the trust away', async () => {
    declare(false);
    const promote = await bsync(['promote', '-c', CONFIG, '--zone', '2', '--yes', '--allow-restart']);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
    expect(promote.stdout).toMatch(/first_backup/);
    expect(await psql('ssh-pg2', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline('ssh-pg2')).toBeGreaterThan(1);
    expect((await psql('ssh-pg2', 'SHOW archive_command')).trim()).toContain('--stanza=pgedge-lab-2 archive-push');
    expect(await sh('ssh-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('repo1-host=ssh-backup2\n');
    await pgbackrest('ssh-pg2', '--stanza=pgedge-lab-2 check');

    // promote planned zone 2 alone: ssh-backup1 still lets ssh-pg2 in, which the whole plan shows.
    expect(await backup1Keys()).toContain(PG2_LINE);
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    expect(drift.stdout).toContain(`-no-agent-forwarding`);
    expect(drift.stdout).toContain(PG2_LINE);
    await converge(CONFIG);
    expect(await backup1Keys()).not.toContain(PG2_LINE);
    await expectNoChanges(CONFIG);
  }, 900_000);
});
