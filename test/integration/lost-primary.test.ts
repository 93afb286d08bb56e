// A primary whose data is gone (issue 29, item 1), on the lab's ssh scenario with a config
// that names neither pg_data nor pg_version, like the README's example: the server is killed
// (-m immediate) and its data directory emptied, and `bsync restore --zone 1 --yes` finds
// the layout in what the host still holds (the pgbackrest.conf bsync wrote, postgresql-common's
// cluster), restores every row the repository's WAL holds, and `bsync plan` then finds
// nothing to change. No --allow-overwrite: nothing runs there to overwrite.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { checksum, converge, expectNoChanges, psql, restore, timeline } from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/main';
const work = mkdtempSync(join(tmpdir(), 'bsync-lost-primary-'));
/** ssh.toml without pg_data and pg_version: bsync learns both from the hosts. */
const BARE = join(work, 'bare.toml');
writeFileSync(
  BARE,
  readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
    .replace(/^pg_data = .*\n/gm, '')
    .replace(/^pg_version = .*\n/m, ''),
);

describe('a primary whose data is gone, restored from a config without pg_data or pg_version', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(BARE);
  }, 600_000);
  afterAll(async () => {
    await onHost('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('brings back every committed row, then plan finds nothing to change', async () => {
    expect(readFileSync(BARE, 'utf8')).not.toMatch(/pg_data|pg_version/);
    await psql('ssh-pg1', 'DROP TABLE IF EXISTS restore_probe');
    await psql('ssh-pg1', 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql('ssh-pg1', 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
    await psql('ssh-pg1', "UPDATE restore_probe SET v = 'changed' WHERE id % 7 = 0");
    const rows = await checksum('ssh-pg1');
    const timelineBefore = await timeline('ssh-pg1');
    // The rows' WAL reaches the repository (check switches the segment and waits for it):
    // what a killed server had not archived is gone with its data directory, whatever restores it.
    await sh('ssh-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');

    // The worst day: the server killed, its data directory's contents deleted.
    await sh(
      'ssh-pg1',
      `cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D ${DATA} stop -m immediate`,
    );
    await sh('ssh-pg1', `find ${DATA} -mindepth 1 -delete`);
    expect((await onHost('ssh-pg1', `ls -A ${DATA}`)).stdout.trim()).toBe('');

    const run = await restore(BARE, '--zone', '1', '--yes');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `PostgreSQL does not run on ssh-pg1: its data directory ${DATA} is restored and started.`,
    );
    expect(run.stdout).toContain(`ssh-pg1's data directory ${DATA} is pgbackrest.conf's pg1-path.`);
    expect(run.stdout).not.toContain('pg_stop');
    expect(run.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);

    expect(await checksum('ssh-pg1')).toBe(rows);
    expect(await psql('ssh-pg1', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline('ssh-pg1')).toBeGreaterThan(timelineBefore);
    await sh('ssh-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');
    await expectNoChanges(BARE);
  }, 900_000);
});
