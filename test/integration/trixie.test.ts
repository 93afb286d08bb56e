// The Debian 13 generation of the lab (PostgreSQL 17, pgBackRest 2.55) under bsync: the
// acceptance story on a real second version of both, a point-in-time recovery there, and
// a mixed fleet (2.45 and 2.55 side by side) planned and kept in sync in one run, and a
// major upgrade (PostgreSQL 15 on Debian 12 to 17 on Debian 13, by dump and restore, one
// stanza in one bucket) through stanza-upgrade; bsync's measured defaults on a stanza
// whose backups predate them; and backup_from = "prefer" (2.55 has it) with a streaming
// standby that answers, then one that does not.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bigIdsAsText } from '../../lib/facts/repo.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { majorUpgrade } from '../support/upgrade.js';
import { upTrixie } from '../lab/lab.js';
import {
  converge,
  expectNoChanges,
  expectRestored,
  expectStreaming,
  restore,
  standbyReads,
  timeline,
  twoBatches,
  wipeForStandby,
} from '../support/recovery.js';

const TRIXIE = `${FIXTURES}lab/trixie.toml`;
// The 2.45 side of the mixed fleet and the upgrade's old server: the multi scenario's, a
// lane of its own beside the ssh and s3 scenarios (docs/lab.md, Lanes).
const MULTI = `${FIXTURES}lab/multi.toml`;
const STANZA = 'pgedge-trixie-1';

describe('Debian 13 hosts: PostgreSQL 17 and pgBackRest 2.55', () => {
  beforeAll(async () => {
    // Not part of the default lab: started here (the root filesystem is built once and cached).
    await upTrixie();
    await resetScenario('trixie');
    await converge(TRIXIE);
  }, 600_000);

  it("the hosts are Debian 13 with PostgreSQL 17 and pgBackRest 2.55, none of the machine's /usr", async () => {
    expect(await sh('trixie-pg1', '. /etc/os-release; echo "$ID $VERSION_ID"')).toBe('debian 13\n');
    expect(await sh('trixie-pg1', 'pgbackrest version')).toMatch(/^pgBackRest 2\.55\./);
    const version = await sh('trixie-pg1', `runuser -u postgres -- psql -XAt -c 'SHOW server_version_num'`);
    expect(version.trim()).toMatch(/^170\d{3}$/);
    expect(await sh('trixie-backup1', 'ls /usr/lib/postgresql')).toBe('17\n');
  });

  it('converge: no changes after, a full backup of PostgreSQL 17 in the repository, archiving checks', async () => {
    await expectNoChanges(TRIXIE);
    const info = JSON.parse(
      await sh('trixie-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
    );
    expect(info[0].backup.map((backup: { type: string }) => backup.type)).toEqual(['full']);
    expect(info[0].db[0].version).toBe('17');
    expect(info[0].backup[0].backrest.version).toMatch(/^2\.55\./);
    await sh('trixie-pg1', `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} check`);
  }, 600_000);

  it('recovers to a time between two commits on PostgreSQL 17: exactly the first batch, a new timeline', async () => {
    const { target, first } = await twoBatches('trixie-pg1');
    const before = await timeline('trixie-pg1');
    const run = await restore(TRIXIE, '--target', `time=${target}`, '--allow-overwrite', '--yes');
    expect(run.stdout).toContain('restore /var/lib/postgresql/17/main from backup');
    await expectRestored('trixie-pg1', run, first, before, STANZA);
    await expectNoChanges(TRIXIE);
  }, 600_000);

  it('a mixed fleet, pgBackRest 2.45 beside 2.55: one apply, then both in sync in one plan', async () => {
    // The multi scenario as it comes, whatever other suites left on it.
    await resetScenario('multi');
    expect(await sh('multi-pg1', 'pgbackrest version')).toMatch(/^pgBackRest 2\.45/);
    expect(await sh('trixie-pg1', 'pgbackrest version')).toMatch(/^pgBackRest 2\.55\./);
    const apply = await bsync(['apply', '-c', MULTI, '-c', TRIXIE, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const plan = await bsync(['plan', '-c', MULTI, '-c', TRIXIE, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout + plan.stderr).toMatch(/Fleet: 2 clusters, 0 with changes/);
  }, 600_000);
});

describe('a major upgrade, PostgreSQL 15 to 17: one stanza in the bucket, stanza-upgrade, a full backup of the new database', () => {
  beforeAll(async () => {
    await upTrixie();
    await resetScenario('multi');
    await resetScenario('trixie');
  }, 600_000);

  it('plans stanza-upgrade naming both databases; after apply, check passes and a full backup of 17 exists beside the 15 one', async () => {
    // The old generation: PostgreSQL 15 on Debian 12 (pgBackRest 2.45); the new: Debian 13, PostgreSQL 17, pgBackRest 2.55.
    await majorUpgrade(
      'upgrade',
      { host: 'multi-pg1', address: '127.0.1.61', version: 15 },
      { host: 'trixie-pg1', address: '127.0.1.91', version: 17 },
    );
  }, 900_000);
});

describe("bsync's measured defaults (zst, bundles, block incremental) on a stanza whose backups predate them", () => {
  it('keeps the gz full it finds, takes the next backup on top of it with the new defaults, and restores from that one', async () => {
    await upTrixie();
    await resetScenario('trixie');
    // The repository as pgBackRest's own defaults (and bsync before them) left it.
    const old = join(tmpdir(), `bsync-trixie-old-defaults-${process.pid}.toml`);
    writeFileSync(
      old,
      `${readFileSync(TRIXIE, 'utf8')}\n[pgbackrest.global]\ncompress-type = "gz"\nrepo1-bundle = false\n`,
    );
    await converge(old);
    const infoOf = async () =>
      JSON.parse(
        bigIdsAsText(
          await sh('trixie-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
        ),
      )[0] as { backup: Array<{ label: string; type: string; prior: string | null }> };
    const [gzFull] = (await infoOf()).backup;
    expect(gzFull?.type).toBe('full');

    const plan = await bsync(['plan', '-c', TRIXIE, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    // The old conf overrode every default, so it had no note on them: it comes with zst.
    expect(plan.stdout).toMatch(
      /-compress-type=gz\n\s*\+# bsync's defaults, measured \(docs\/performance\.md\)[^\n]*\n\s*\+compress-type=zst\n/,
    );
    expect(plan.stdout).toMatch(/-repo1-bundle=n\n\s*\+repo1-bundle=y\n\s*\+repo1-block=y\n/);
    await converge(TRIXIE);
    await expectNoChanges(TRIXIE);

    const incr = await bsync(['backup', '-c', TRIXIE, '--type', 'incr']);
    expect(incr.code, incr.stdout + incr.stderr).toBe(0);
    const backups = (await infoOf()).backup;
    expect(backups.map((backup) => backup.label)[0]).toBe(gzFull!.label);
    expect(backups.at(-1)).toMatchObject({ type: 'incr', prior: gzFull!.label });

    // The restore reads the incr (zst, bundled, block) and, for what it did not copy, the gz full.
    const { target, first } = await twoBatches('trixie-pg1');
    const before = await timeline('trixie-pg1');
    const run = await restore(TRIXIE, '--target', `time=${target}`, '--allow-overwrite', '--yes');
    expect(run.stdout).toContain(`from backup ${backups.at(-1)!.label}`);
    await expectRestored('trixie-pg1', run, first, before, STANZA);
    await expectNoChanges(TRIXIE);
  }, 600_000);
});

describe('backup_from = "prefer" on pgBackRest 2.55, with a real standby and without one', () => {
  /** trixie.toml with trixie-pg2 in zone 1 (its data directory named: it is wiped first), and backup_from. */
  const withStandby = (backupFrom?: string) => {
    const file = join(tmpdir(), `bsync-trixie-${backupFrom ?? 'two'}.toml`);
    let text = readFileSync(TRIXIE, 'utf8').replace(
      '[[host]]\nname = "trixie-backup1"',
      '[[host]]\nname = "trixie-pg2"\naddress = "127.0.1.92"\nrole = "postgres"\nzone = 1\npg_data = "/var/lib/postgresql/17/main"\n\n[[host]]\nname = "trixie-backup1"',
    );
    if (backupFrom) text = text.replace('pg_version = 17\n', `pg_version = 17\nbackup_from = "${backupFrom}"\n`);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    await upTrixie();
    await resetScenario('trixie');
    await converge(TRIXIE);
    await converge(withStandby());
    await wipeForStandby('trixie-pg1', 'trixie-pg2', 17);
    const run = await restore(withStandby(), '--host', 'trixie-pg2', '--standby', '--yes');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await expectStreaming('trixie-pg1', 'trixie-pg2');
  }, 900_000);

  it('writes backup-standby=prefer on the backup host; an incr reads the standby while it answers, and the primary once it is down', async () => {
    const config = withStandby('prefer');
    await converge(config);
    expect(await sh('trixie-backup1', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('backup-standby=prefer\n');
    await expectNoChanges(config);
    const backup = async () => {
      const run = await bsync(['backup', '-c', config, '--type', 'incr']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    };
    const before = await standbyReads('trixie-backup1', STANZA);
    await backup();
    expect(await standbyReads('trixie-backup1', STANZA)).toBe(before + 1);
    // The standby stops: "prefer" falls back to the primary, where "standby" would fail.
    await sh('trixie-pg2', 'pg_ctlcluster --skip-systemctl-redirect 17 main stop -m fast');
    try {
      await backup();
      expect(await standbyReads('trixie-backup1', STANZA)).toBe(before + 1);
      const info = JSON.parse(
        await sh('trixie-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
      );
      expect(info[0].backup.map((entry: { type: string }) => entry.type).slice(-2)).toEqual(['incr', 'incr']);
    } finally {
      await sh('trixie-pg2', 'pg_ctlcluster --skip-systemctl-redirect 17 main start');
    }
  }, 600_000);
});
