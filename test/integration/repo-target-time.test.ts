// Issue 29, item 7, the lab's half: a bucket after a ransomware event. The trixie scenario
// (pgBackRest 2.55, which has repo-target-time) with the lab S3 server's versioned bucket as
// its repo2: a full backup there, rows, a time T, more rows, then every object of the
// stanza overwritten or deleted through the S3 API. A restore without --repo-target-time
// cannot read repo2; with --repo-target-time T it reads the bucket as it was at T and gives
// back exactly the rows committed before T, by checksum.
//
// Needs lab.sh to start the S3 server with `--versioned-bucket bsync-lab-versioned` and
// `reset trixie` to remove the prefix /trixie-ransom of that bucket (docs/lab.md).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_DIR, upTrixie } from '../lab/lab.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { labSecret, resetScenario, sh } from '../support/lab.js';
import { checksum, converge, psql, restore, timeline } from '../support/recovery.js';
import { type S3Endpoint, s3Request, xmlTexts } from '../support/s3-client.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-repo-target-time-'));
const CONFIG = join(work, 'trixie-versioned.toml');
const STANZA = 'pgedge-trixie-1';
const BUCKET = 'bsync-lab-versioned';
const PREFIX = 'trixie-ransom';
const PG = 'trixie-pg1';

/** trixie.toml with repo2 in the lab's versioned bucket (multi.toml's S3 table, a folder of its own), declared versioned. */
function versionedConfig(): string {
  const multi = readFileSync(`${FIXTURES}lab/multi.toml`, 'utf8');
  const s3 = multi
    .slice(multi.indexOf('[[repo]]\ntype = "s3"'), multi.indexOf('[backup_user]'))
    .replace('path = "/multi"', `path = "/${PREFIX}"`)
    .replace('bucket = "bsync-lab"', `bucket = "${BUCKET}"`)
    .replace('[repo.s3]\n', '[repo.s3]\nversioned = true\n');
  const trixie = readFileSync(`${FIXTURES}lab/trixie.toml`, 'utf8').replace('[repo]\n', '[[repo]]\n');
  return trixie.replace('[backup_user]', `${s3}[backup_user]`);
}

let endpoint: S3Endpoint;
const s3 = (method: string, url: string, body = '') => s3Request(endpoint, method, url, body);

/** Every current object of the stanza's folder in the bucket (ListObjects, page by page). */
async function currentKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (let marker = ''; ; ) {
    const page = await s3('GET', `/${BUCKET}?marker=${encodeURIComponent(marker)}&prefix=${PREFIX}%2F`);
    expect(page.status, page.body).toBe(200);
    const found = xmlTexts(page.body, 'Key');
    keys.push(...found);
    if (xmlTexts(page.body, 'IsTruncated')[0] !== 'true' || found.length === 0) return keys;
    marker = found.at(-1)!;
  }
}

/** Waits until the clock has passed `ms` by more than a second (object versions carry whole seconds). */
async function pastSecond(ms: number): Promise<void> {
  while (Date.now() < ms + 1100) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Pushes the WAL written so far into both repositories (pgbackrest check switches and waits for it). */
const archiveNow = () => sh(PG, `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} check`);

describe('a versioned bucket after a ransomware event (pgBackRest 2.55, repo-target-time)', () => {
  let before: { rows: string; at: string; timeline: number };

  beforeAll(async () => {
    await upTrixie();
    await resetScenario('trixie');
    endpoint = {
      address: '127.0.1.29',
      port: 443,
      host: 's3.lab',
      ca: readFileSync(`${STATE_DIR}/s3/ca.crt`),
      keyId: await labSecret('s3_key'),
      secret: await labSecret('s3_key_secret'),
    };
    const versioning = await s3('GET', `/${BUCKET}?versioning`);
    expect(versioning.body, `lab.sh must start the S3 server with --versioned-bucket ${BUCKET}`).toContain(
      '<Status>Enabled</Status>',
    );
    expect(await currentKeys(), `lab.sh reset trixie must empty /${PREFIX} of ${BUCKET}`).toEqual([]);
    writeFileSync(CONFIG, versionedConfig());
    await converge(CONFIG);
  }, 900_000);

  it('a full backup in repo2, rows archived, the time T, then more rows archived after it', async () => {
    await psql(PG, 'DROP TABLE IF EXISTS restore_probe');
    await psql(PG, 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql(PG, 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
    const backup = await bsync(['backup', '-c', CONFIG, '--zone', '1', '--repo', '2', '--type', 'full']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    await psql(PG, "UPDATE restore_probe SET v = 'after the backup' WHERE id % 5 = 0");
    await archiveNow();
    const rows = await checksum(PG);
    const archived = Date.now();
    await pastSecond(archived);
    const at = new Date().toISOString();
    await pastSecond(Date.parse(at));
    await psql(PG, "INSERT INTO restore_probe SELECT g, 'after T' FROM generate_series(5001, 6000) g");
    await psql(PG, "UPDATE restore_probe SET v = 'after T' WHERE id % 7 = 0");
    await archiveNow();
    expect(await checksum(PG)).not.toBe(rows);
    before = { rows, at, timeline: await timeline(PG) };
  }, 600_000);

  it('the event: the info files overwritten, every other object of the stanza deleted; repo2 cannot be read', async () => {
    await pastSecond(Date.now());
    const keys = await currentKeys();
    const infos = keys.filter((key) => /\/(backup|archive)\.info(\.copy)?$/.test(key));
    expect(infos).toHaveLength(4);
    for (const key of infos)
      expect((await s3('PUT', `/${BUCKET}/${key}`, 'encrypted by ransomware\n')).status).toBe(200);
    for (const key of keys.filter((entry) => !infos.includes(entry)))
      expect((await s3('DELETE', `/${BUCKET}/${key}`)).status).toBe(204);
    expect(await currentKeys()).toEqual(infos);
    const info = await sh(
      'trixie-backup1',
      `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --repo=2 --output=json info || true`,
    );
    expect(info).not.toContain('"status":{"code":0');
    // Without the repository time, bsync cannot plan from repo2 and stops nothing.
    const refused = await restore(
      CONFIG,
      '--zone',
      '1',
      '--repo',
      '2',
      '--allow-overwrite',
      '--out',
      join(work, 'no.json'),
    );
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(await psql(PG, 'SELECT pg_is_in_recovery()')).toBe('f\n');
  }, 600_000);

  it('restore --repo-target-time T reads the bucket as it was at T: the rows committed before T, a new timeline', async () => {
    // As psql prints a time: a space, the fraction, +00.
    const asPsql = before.at.replace('T', ' ').replace('Z', '+00');
    const planned = await restore(
      CONFIG,
      '--zone',
      '1',
      '--repo',
      '2',
      '--repo-target-time',
      asPsql,
      '--allow-overwrite',
      '--out',
      join(work, 'restore.json'),
    );
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    expect(planned.stdout).toContain(`repository as of: ${before.at}`);
    expect(planned.stdout).toContain(`repo2 is read as it was at ${before.at} (UTC)`);
    const run = await bsync(['apply', '-c', CONFIG, join(work, 'restore.json')]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
    expect(await checksum(PG)).toBe(before.rows);
    expect(await psql(PG, 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline(PG)).toBeGreaterThan(before.timeline);
  }, 900_000);
});
