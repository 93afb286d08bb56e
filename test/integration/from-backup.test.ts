// A cluster from a backup (issue 29 item 6), on the lab's s3 scenario: s3-pg2 (zone 2) is
// emptied (server stopped, data directory emptied) and declared as zone 3, whose first data
// comes from zone 1's backup at a time T ([[zone]] from_backup). One `bsync apply` restores it
// there from the bucket, promotes it, and, planning again once it runs, gives it its own
// stanza (pgedge-lab-3), archive_command and first full backup. Its data is zone 1's at T, it
// never archived into zone 1's stanza, `pgbackrest check` passes on its own, and `bsync plan`
// says No changes: from_backup has no effect once the zone has data.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_DIR } from '../lab/lab.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { checksum, converge, expectNoChanges, psql, timeline, twoBatches } from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/main';
const S3_CONFIG = `${FIXTURES}lab/s3.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-from-backup-'));
const CONFIG = join(work, 'from-backup.toml');
const BUCKET = join(STATE_DIR, 's3/data/bsync-lab/bsync');

/** s3.toml with s3-pg2 as zone 3, whose first data is zone 1's at `target`. */
function declareZone3(target: string): void {
  const text = readFileSync(S3_CONFIG, 'utf8').replace(/(name = "s3-pg2"[\s\S]*?zone = )2/, '$13');
  expect(text).toMatch(/name = "s3-pg2"[\s\S]*?zone = 3/);
  writeFileSync(CONFIG, `${text}\n[[zone]]\nid = 3\nfrom_backup = { zone = 1, target = "time=${target}" }\n`);
}

/** Zone 3's stanza from an earlier run, gone from the bucket: stanza-create starts it anew. */
function dropZone3Stanza(): void {
  for (const kind of ['archive', 'backup'])
    rmSync(join(BUCKET, kind, 'pgedge-lab-3'), { recursive: true, force: true });
}

const pgbackrest = (host: string, args: string) => sh(host, `cd / && runuser -u postgres -- pgbackrest ${args}`);

describe('a cluster from a backup: a new zone starts with zone 1’s data at a time, then archives on its own', () => {
  beforeAll(async () => {
    await resetScenario('s3');
    dropZone3Stanza();
    await converge(S3_CONFIG);
  }, 600_000);
  afterAll(async () => {
    await onHost('s3-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
    dropZone3Stanza();
  });

  it('restores zone 1 at T into the emptied host, gives it its own stanza and archiving, and plans no change after', async () => {
    // Rows, a time T, more rows; the WAL past T reaches the repository.
    const { target, first } = await twoBatches('s3-pg1');
    await pgbackrest('s3-pg1', '--stanza=pgedge-lab-1 check');
    const sourceArchive = JSON.parse(await pgbackrest('s3-pg1', '--stanza=pgedge-lab-1 info --output=json'))[0]
      .archive[0].max as string;

    // s3-pg2 becomes a new host: its server stopped, its data directory emptied.
    await sh('s3-pg2', 'pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast');
    await sh('s3-pg2', `find ${DATA} -mindepth 1 -delete`);
    declareZone3(target);

    const plan = await bsync(['plan', '-c', CONFIG]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('pg_restore');
    expect(plan.stdout).toContain("first data: from pgedge-lab-1's backup");
    expect(plan.stdout).toContain(`target: time=${target}`);

    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout + apply.stderr).toContain('A zone has its first data: planning the declared state again');
    expect(apply.stdout).toMatch(/first_backup/);

    // Zone 1's data at T, on a timeline of its own, archiving into pgedge-lab-3 alone.
    expect(await checksum('s3-pg2')).toBe(first);
    expect(await psql('s3-pg2', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline('s3-pg2')).toBeGreaterThan(1);
    expect((await psql('s3-pg2', 'SHOW archive_mode')).trim()).toBe('on');
    const archiveCommand = (await psql('s3-pg2', 'SHOW archive_command')).trim();
    expect(archiveCommand).toContain('--stanza=pgedge-lab-3 archive-push');
    expect(archiveCommand).not.toContain('pgedge-lab-1');
    await pgbackrest('s3-pg2', '--stanza=pgedge-lab-3 check');
    const own = JSON.parse(await pgbackrest('s3-pg2', '--stanza=pgedge-lab-3 info --output=json'))[0];
    expect(own.backup.some((backup: { type: string }) => backup.type === 'full')).toBe(true);
    // Zone 1's archive holds nothing of the new server's timeline.
    const after = JSON.parse(await pgbackrest('s3-pg1', '--stanza=pgedge-lab-1 info --output=json'))[0];
    expect(after.archive[0].max.slice(0, 8)).toBe(sourceArchive.slice(0, 8));

    // from_backup has no further effect.
    await expectNoChanges(CONFIG);
  }, 900_000);

  it('never restores over data: a stopped zone 3 whose data directory holds files is refused', async () => {
    await sh('s3-pg2', 'pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast');
    try {
      const plan = await bsync(['plan', '-c', CONFIG]);
      expect(plan.code).toBe(1);
      expect(plan.stdout + plan.stderr).toContain(
        `${DATA} holds a data directory (PG_VERSION), but PostgreSQL does not answer on port 5432`,
      );
    } finally {
      await sh('s3-pg2', 'pg_ctlcluster --skip-systemctl-redirect 15 main start');
    }
    await expectNoChanges(CONFIG);
  }, 300_000);
});
