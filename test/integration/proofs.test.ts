// What an operator takes on trust, proved on the lab's ssh scenario: the repository holds
// ciphertext, not the database's pages; no log on any host holds a secret; and the cron
// job bsync writes really fires and leaves a backup.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../lib/formats/shell.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { labSecret, onHost, resetScenario, sh } from '../support/lab.js';
import { converge, psql } from '../support/recovery.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];
const REPO = '/home/backrest';

/** The labels and types of zone 1's backups, as the repository lists them. */
async function backups(): Promise<Array<{ label: string; type: string }>> {
  const info = JSON.parse(
    await sh('ssh-backup1', 'cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-lab-1 --output=json info'),
  );
  return info[0].backup.map((backup: { label: string; type: string }) => ({ label: backup.label, type: backup.type }));
}

describe('proofs on real hosts', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(CONFIG);
  }, 600_000);

  it('the repository holds ciphertext: every file is an OpenSSL-encrypted stream, and a known row is in none', async () => {
    // A row no compression could hide if it were stored in the clear, in a table of its own.
    const marker = 'bsync-plaintext-marker-7f3a9c';
    await psql('ssh-pg1', `CREATE TABLE cipher_probe AS SELECT '${marker}' || g AS v FROM generate_series(1, 2000) g`);
    await psql('ssh-pg1', 'CHECKPOINT');
    const run = await bsync(['backup', '-c', CONFIG, '--zone', '1', '--type', 'full']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // pgBackRest's aes-256-cbc files start with OpenSSL's "Salted__" header, whatever the compression.
    const files = await sh(
      'ssh-backup1',
      `cd ${REPO} && find backup archive -type f | wc -l && find backup archive -type f -exec sh -c 'head -c 8 "$1" | grep -q "^Salted__" || echo "plain: $1"' sh {} \\;`,
    );
    const [count, ...plain] = files.trim().split('\n');
    // Data files travel in bundles (repo1-bundle=y, bsync's default), so a backup is a dozen files, not hundreds.
    expect(Number(count)).toBeGreaterThan(5);
    expect(plain).toEqual([]);
    const found = await onHost('ssh-backup1', `grep -rl '${marker}' ${REPO}/backup ${REPO}/archive`);
    expect(found.stdout).toBe('');
    expect(found.code).toBe(1); // grep: searched, found nothing
    // The same row is on the server in the clear, so the search itself can find it.
    expect((await onHost('ssh-pg1', `grep -rl '${marker}' /var/lib/postgresql/15/main/base`)).stdout).not.toBe('');
    await psql('ssh-pg1', 'DROP TABLE cipher_probe');
  }, 600_000);

  it("no log on any host holds a secret: pgBackRest's, PostgreSQL's, cron's", async () => {
    const secrets = [await labSecret('cipher_pass'), await labSecret('backup_password')];
    for (const host of HOSTS) {
      const logs = await sh(host, 'ls /var/log/pgbackrest/* /var/log/postgresql/* 2>/dev/null | wc -l');
      if (host.includes('pg')) expect(Number(logs.trim()), `${host} has logs to search`).toBeGreaterThan(0);
      for (const secret of secrets) {
        const hit = await onHost(
          host,
          `grep -rlF -- ${shq(secret)} /var/log /var/spool/cron /var/lib/postgresql/15/main/log 2>/dev/null`,
        );
        expect(hit.stdout, `${host} logs a secret`).toBe('');
      }
    }
  }, 300_000);

  it('the cron job bsync writes fires under the cron daemon and leaves a backup', async () => {
    // A diff job every minute, then the schedule as it was.
    const everyMinute = join(tmpdir(), 'bsync-cron-every-minute.toml');
    writeFileSync(everyMinute, readFileSync(CONFIG, 'utf8').replace('diff = "10 0 * * 1-6"', 'diff = "* * * * *"'));
    await converge(everyMinute);
    expect(await sh('ssh-backup1', 'crontab -l -u backrest')).toContain(
      // Through bsync's job script, under the stanza's lock (docs/config.md): the daemon runs the line as written.
      '* * * * * /etc/pgbackrest/bsync-backup-job /var/log/pgbackrest/pgedge-lab-1.bsync-diff-repo1.outcome /var/log/pgbackrest/pgedge-lab-1.bsync-backup.lock pgbackrest --stanza=pgedge-lab-1 --type=diff backup',
    );
    const before = (await backups()).map((backup) => backup.label);
    let fired: Array<{ label: string; type: string }> = [];
    for (let waited = 0; waited < 150 && fired.length === 0; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      fired = (await backups()).filter((backup) => !before.includes(backup.label) && backup.type === 'diff');
    }
    expect(fired.length, 'a diff backup taken by cron within 150 s').toBeGreaterThan(0);
    await converge(CONFIG);
    expect(await sh('ssh-backup1', 'crontab -l -u backrest')).not.toContain('* * * * *');
  }, 600_000);
});
