// A standby site (issue 29 item 5), on the lab's s3 scenario: s3-pg2 (zone 2) is emptied
// (server stopped, data directory emptied) and declared a standby of zone 1's stanza
// ([[zone]] standby_of). One `bsync apply` restores zone 1's newest backup there as a standby
// from the bucket and keeps it one: it replays zone 1's archive as zone 1 writes (checksums
// equal once zone 1 has switched WAL), archives nothing into zone 1's stanza, and `bsync plan`
// says No changes. With standby_of removed, `bsync promote --zone 2` makes it a primary with
// its own stanza (pgedge-lab-2), archiving and first backup, and a rerun finds nothing to do;
// a primary declared standby_of again is refused as drift. The promotion is killed first at a
// sampled boundary (BSYNC_RESTORE_KILLS=promote:NAME): in pg_promote, or in the declared
// state's restart after it; the same command then converges. While it is a standby, `bsync
// status --json` shows zone 2 as a standby of zone 1's stanza (in recovery, caught up with
// zone 1's newest archived segment, no stanza row of its own), `bsync check` holds it to
// standby_in_recovery and max_replay_lag, and backup and verify of zone 2 are refused naming
// zone 1; a hand-promoted one breaks standby_in_recovery (check exits 2).
// It also streams (standby_of = { zone = 1, stream = true }, [replication_user]): its WAL
// receiver streams from s3-pg1 (the role, pg_hba.conf rule, primary_conninfo and .pgpass line
// all bsync's), rows committed on s3-pg1 reach it before their segment is archived; after the
// promotion primary_conninfo is emptied and the next apply removes the rule on s3-pg1.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandbySiteStatus } from '../../lib/status/standby-sites.js';
import { STATE_DIR } from '../lab/lab.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import {
  checksum,
  converge,
  expectNoChanges,
  expectStreaming,
  killSample,
  killWhile,
  psql,
  timeline,
} from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/main';
const S3_CONFIG = `${FIXTURES}lab/s3.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-standby-site-'));
const CONFIG = join(work, 'standby-site.toml');
const BUCKET = join(STATE_DIR, 's3/data/bsync-lab/bsync');
const STANDBY = '\n[[zone]]\nid = 2\nstandby_of = { zone = 1, stream = true }\n';
// The streaming role's password, in a file of the test's own (0600: validate warns otherwise).
const REPLICATION_SECRET = `repl-${randomBytes(12).toString('hex')}`;
const SECRET_FILE = join(work, 'replication_password');
writeFileSync(SECRET_FILE, REPLICATION_SECRET, { mode: 0o600 });
const ROLE = `\n[replication_user]\npassword = { file = "${SECRET_FILE}" }\n`;
const RULE = 'host    replication    bsync_replication    127.0.1.22/32    scram-sha-256    # bsync';
const HBA = '/etc/postgresql/15/main/pg_hba.conf';

/** Where a promotion may be killed: in the promotion itself, or in the declared state's restart after it. */
const PROMOTE_KILLS = ['pg_promote', 'pg_restart'];
const ALERT = '\n[alert]\nmax_replay_lag = "1h"\n';

/** s3.toml with [alert] max_replay_lag and [replication_user], and zone 2 a streaming standby site of zone 1 when `standby`. */
function declare(standby: boolean): void {
  writeFileSync(CONFIG, `${readFileSync(S3_CONFIG, 'utf8')}${ALERT}${ROLE}${standby ? STANDBY : ''}`);
}

/** bsync status --json's standby site: the type status writes. */
type StandbySiteJson = StandbySiteStatus;

/** bsync status --json: its stanzas' names and zones, and its standby sites. */
async function statusJson(): Promise<{
  stanzas: Array<{ stanza: string; zone: number }>;
  standbySites: StandbySiteJson[];
}> {
  const status = await bsync(['status', '-c', CONFIG, '--json']);
  expect(status.code, status.stdout + status.stderr).toBe(0);
  return JSON.parse(status.stdout);
}

/** The standby site as status sees it, once caught up with zone 1's archive (bounded: a segment archived meanwhile is fetched within seconds). */
async function caughtUp(): Promise<StandbySiteJson> {
  let site = (await statusJson()).standbySites[0];
  for (let attempt = 0; attempt < 30 && site?.behind !== false; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    site = (await statusJson()).standbySites[0];
  }
  return site;
}

/** bsync check --json's results on the standby's host, as `threshold state`, and its exit code. */
async function standbyCheck(): Promise<{ code: number; results: string[] }> {
  const check = await bsync(['check', '-c', CONFIG, '--json']);
  const report = JSON.parse(check.stdout) as {
    results: Array<{ threshold: string; state: string; host: string | null }>;
  };
  return {
    code: check.code,
    results: report.results.filter((result) => result.host === 's3-pg2').map((r) => `${r.threshold} ${r.state}`),
  };
}

/** Zone 2's stanza, of s3-pg2's server before it was emptied (another system id): gone from the bucket. */
function dropZone2Stanza(): void {
  for (const kind of ['archive', 'backup'])
    rmSync(join(BUCKET, kind, 'pgedge-lab-2'), { recursive: true, force: true });
}

const pgbackrest = (host: string, args: string) => sh(host, `cd / && runuser -u postgres -- pgbackrest ${args}`);
const archiveInfo = async (stanza: string) =>
  JSON.parse(await pgbackrest('s3-pg1', `--stanza=${stanza} info --output=json`))[0].archive as Array<{
    id: string;
    max: string | null;
  }>;

/** s3-pg2's WAL receiver as `status|sender_host`, waited for (30 s) until it streams; '' without one. */
async function walReceiver(): Promise<string> {
  let seen = '';
  for (let attempt = 0; attempt < 30 && !seen.startsWith('streaming|'); attempt++) {
    seen = (await psql('s3-pg2', "SELECT status || '|' || sender_host FROM pg_stat_wal_receiver")).trim();
    if (!seen.startsWith('streaming|')) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return seen;
}

/** Waits (bounded) until s3-pg2 has replayed what zone 1 holds now, by streaming or from the archive. */
async function replayed(expected: string): Promise<string> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const seen = await checksum('s3-pg2').catch(() => '');
    if (seen === expected) return seen;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return checksum('s3-pg2');
}

describe('a standby site: zone 2 replays zone 1’s stanza from the bucket and never archives into it', () => {
  beforeAll(async () => {
    await resetScenario('s3');
    await converge(S3_CONFIG);
    await psql('s3-pg1', 'DROP TABLE IF EXISTS restore_probe');
    await psql('s3-pg1', 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql('s3-pg1', 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
    await pgbackrest('s3-pg1', '--stanza=pgedge-lab-1 check');
  }, 600_000);
  afterAll(async () => {
    await onHost('s3-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
    await onHost('s3-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP ROLE IF EXISTS bsync_replication'`);
    rmSync(work, { recursive: true, force: true });
    dropZone2Stanza();
  });

  it('restores zone 1 as a standby into the emptied host, keeps it replaying, and plans no change after', async () => {
    await sh('s3-pg2', 'pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast');
    await sh('s3-pg2', `find ${DATA} -mindepth 1 -delete`);
    dropZone2Stanza();
    declare(true);

    const plan = await bsync(['plan', '-c', CONFIG]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('pg_restore');
    expect(plan.stdout).toContain('first data: a standby of pgedge-lab-1');
    expect(plan.stdout).toContain('standby_ready');

    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout + apply.stderr).toContain('A zone has its first data: planning the declared state again');
    expect(apply.stdout).not.toMatch(/first_backup|stanza-create/);

    // A standby of zone 1's stanza, archiving nothing.
    expect(await psql('s3-pg2', 'SELECT pg_is_in_recovery()')).toBe('t\n');
    expect((await psql('s3-pg2', 'SHOW archive_mode')).trim()).toBe('off');
    expect((await psql('s3-pg2', 'SHOW restore_command')).trim()).toContain('--stanza=pgedge-lab-1 archive-get');
    expect(await checksum('s3-pg2')).toBe(await checksum('s3-pg1'));

    // Streaming from s3-pg1, as bsync declared it: the role, the rule, primary_conninfo with a passfile.
    expect(await walReceiver(), 'pg_stat_wal_receiver on s3-pg2 (s3-pg1 must see it connect from 127.0.1.22)').toBe(
      'streaming|s3-pg1',
    );
    await expectStreaming('s3-pg1', 's3-pg2');
    const conninfo = (await psql('s3-pg2', 'SHOW primary_conninfo')).trim();
    expect(conninfo).toBe(
      'host=s3-pg1 port=5432 user=bsync_replication passfile=/var/lib/postgresql/.pgpass application_name=s3-pg2',
    );
    expect(await sh('s3-pg1', `grep -cxF '${RULE}' ${HBA}`)).toBe('1\n');
    expect(
      (await psql('s3-pg1', "SELECT rolreplication FROM pg_roles WHERE rolname = 'bsync_replication'")).trim(),
    ).toBe('t');
    expect(await sh('s3-pg2', 'stat -c %a /var/lib/postgresql/.pgpass')).toBe('600\n');
    // The password in no plan, no output, no setting.
    for (const text of [plan.stdout, plan.stderr, apply.stdout, apply.stderr, conninfo])
      expect(text).not.toContain(REPLICATION_SECRET);

    // New rows reach it by streaming: before the segment that holds them is archived (no WAL switch).
    await psql('s3-pg1', "INSERT INTO restore_probe SELECT g, 'streamed' FROM generate_series(5001, 6000) g");
    const segment = (await psql('s3-pg1', 'SELECT pg_walfile_name(pg_current_wal_lsn())')).trim();
    const streamed = await checksum('s3-pg1');
    expect(await replayed(streamed)).toBe(streamed);
    const archived = (await psql('s3-pg1', "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")).trim();
    expect(archived < segment, `last archived ${archived}, rows in ${segment}`).toBe(true);

    // And through the archive too: zone 1 switches WAL, and what it archives is replayed.
    const beforeUpdate = Date.now() - 1000;
    await psql('s3-pg1', "INSERT INTO restore_probe SELECT g, 'later' FROM generate_series(6001, 7000) g");
    await psql('s3-pg1', "UPDATE restore_probe SET v = 'changed' WHERE id % 7 = 0");
    await pgbackrest('s3-pg1', '--stanza=pgedge-lab-1 check');
    const source = await checksum('s3-pg1');
    expect(await replayed(source)).toBe(source);

    // status: zone 2 as a standby of zone 1's stanza, caught up, with no stanza row (or noise) of its own.
    const site = await caughtUp();
    const report = await statusJson();
    expect(report.stanzas.map((stanza) => [stanza.stanza, stanza.zone])).toEqual([['pgedge-lab-1', 1]]);
    expect(report.standbySites).toHaveLength(1);
    expect(site).toMatchObject({
      zone: 2,
      host: 's3-pg2',
      standbyOf: { zone: 1, stanza: 'pgedge-lab-1', repo: 'repo1' },
      running: true,
      inRecovery: true,
      behind: false,
      replayLagSeconds: 0,
      problems: [],
    });
    expect(site.replayedLsn).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
    expect(site.newestArchived).toBe((await archiveInfo('pgedge-lab-1'))[0].max);
    // The last replayed commit is the UPDATE above (or later), as the source committed it.
    expect(Date.parse(site.replayedAt!)).toBeGreaterThanOrEqual(beforeUpdate);
    const text = await bsync(['status', '-c', CONFIG]);
    expect(text.stdout).toMatch(
      /\nzone 2 +s3-pg2 +pgedge-lab-1 repo1 +in recovery +\S+ +\S+ \(\S+ ago\) +[0-9A-F]{24} +caught up\n/,
    );
    expect(text.stdout).not.toMatch(/pgedge-lab-2|missing stanza/);
    // check: standby_in_recovery and max_replay_lag held, exit 0.
    expect(await standbyCheck()).toEqual({ code: 0, results: ['standby_in_recovery held', 'max_replay_lag held'] });
    // backup and verify of zone 2 are refused, naming zone 1.
    const backup = await bsync(['backup', '-c', CONFIG, '--zone', '2', '--type', 'full']);
    expect(backup.code).toBe(1);
    expect(backup.stdout + backup.stderr).toContain(
      'zone 2 is a standby site of zone 1 (standby_of): it has no stanza of its own to back up until it is promoted',
    );
    expect(backup.stdout + backup.stderr).toContain('bsync backup --zone 1 --type full');
    const verify = await bsync(['verify', '-c', CONFIG, '--stanza', 'pgedge-lab-2']);
    expect(verify.code).toBe(1);
    expect(verify.stdout + verify.stderr).toContain('bsync verify --stanza pgedge-lab-1');

    // Nothing from s3-pg2 in zone 1's archive: one timeline, and s3-pg2's archiver never ran.
    expect((await archiveInfo('pgedge-lab-1')).every((entry) => entry.max?.startsWith('00000001'))).toBe(true);
    expect((await psql('s3-pg2', 'SELECT archived_count FROM pg_stat_archiver')).trim()).toBe('0');
    // Zone 2 has no stanza of its own while it is a standby.
    expect(
      (await pgbackrest('s3-pg2', '--stanza=pgedge-lab-2 info --output=json').catch(() => '[]')).includes('"ok"'),
    ).toBe(false);

    await expectNoChanges(CONFIG);
  }, 900_000);

  it('promotes with standby_of removed: a primary on a new timeline that archives into its own stanza alone', async () => {
    const sourceArchive = (await archiveInfo('pgedge-lab-1'))[0].max;
    // Refused while the config still declares it a standby site.
    const refused = await bsync(['promote', '-c', CONFIG, '--zone', '2', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('zone 2 is still declared standby_of = { zone = 1 }');

    declare(false);
    const args = ['promote', '-c', CONFIG, '--zone', '2', '--yes', '--allow-restart'];
    const kills = killSample('promote', PROMOTE_KILLS, 1);
    for (const step of kills) {
      // The restart comes in the round after the promotion's, when there is a promotion still to do.
      const promoting = (await psql('s3-pg2', 'SELECT pg_is_in_recovery()')) === 't\n';
      await killWhile(args, `s3-pg2: ${step}...`, undefined, step === 'pg_restart' && promoting ? 1 : 0);
    }
    const promote = await bsync(args);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
    // Killed in pg_promote, the server may have left recovery already; after that, nothing is left to promote.
    if (kills.length === 0) expect(promote.stdout).toContain('pg_promote');
    if (kills.includes('pg_restart')) expect(promote.stdout).not.toContain('pg_promote');
    if (promote.stdout.includes('pg_promote'))
      expect(promote.stdout + promote.stderr).toContain("Zone 2's server is promoted: planning its declared state");
    expect(promote.stdout).toMatch(/first_backup/);
    expect(await psql('s3-pg2', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline('s3-pg2')).toBeGreaterThan(1);
    expect(await checksum('s3-pg2')).toBe(await checksum('s3-pg1'));
    const archiveCommand = (await psql('s3-pg2', 'SHOW archive_command')).trim();
    expect(archiveCommand).toContain('--stanza=pgedge-lab-2 archive-push');
    await pgbackrest('s3-pg2', '--stanza=pgedge-lab-2 check');
    // Zone 1's archive holds nothing of s3-pg2's new timeline.
    const after = (await archiveInfo('pgedge-lab-1'))[0].max;
    expect(after?.slice(0, 8)).toBe(sourceArchive?.slice(0, 8));
    // No dangling connection to zone 1: bsync's primary_conninfo emptied, no WAL receiver.
    expect((await psql('s3-pg2', 'SHOW primary_conninfo')).trim()).toBe('');
    expect((await psql('s3-pg2', 'SELECT count(*) FROM pg_stat_wal_receiver')).trim()).toBe('0');
    // Promote planned zone 2 alone: the next apply removes zone 1's replication rule (the role stays).
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`-${RULE}`);
    expect(await sh('s3-pg1', `grep -cxF '${RULE}' ${HBA} || true`)).toBe('0\n');
    await expectNoChanges(CONFIG);

    // Rerun (as after a kill): nothing is left to promote, and nothing changes.
    const again = await bsync(['promote', '-c', CONFIG, '--zone', '2', '--yes', '--allow-restart']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toContain('pg_promote');
    await expectNoChanges(CONFIG);
  }, 900_000);

  it('refuses a primary declared standby_of as drift it does not repair', async () => {
    declare(true);
    const refused = await bsync(['plan', '-c', CONFIG]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(
      'zone 2 is declared a standby of zone 1 (standby_of), but PostgreSQL on s3-pg2 runs as a primary, not a standby',
    );
    expect(await psql('s3-pg2', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    // status says so under the standby site; check breaks standby_in_recovery (and max_replay_lag): exit 2.
    const [site] = (await statusJson()).standbySites;
    expect(site).toMatchObject({ host: 's3-pg2', running: true, inRecovery: false, behind: null });
    expect(site.problems.join('\n')).toContain('runs as a primary, not a standby');
    expect(await standbyCheck()).toEqual({
      code: 2,
      results: ['standby_in_recovery broken', 'max_replay_lag broken'],
    });
  }, 300_000);
});
