// Today's versions (issue 30): the lab's forky generation, Debian's testing suite with
// PostgreSQL 18 and pgBackRest 2.60 (which refuses every command but restore as root). An
// ssh zone (forky.toml), an s3 zone (forky-s3.toml) and a Patroni 4 zone (forky-ha.toml) converge, back up full, diff and
// incr, recover to a time between two commits with the table's checksum as it was, and
// plan No changes after; every pgBackRest call on the hosts is recorded, and none ran as
// root. Versions are held to what matters (18, 2.59 or newer), not to a testing suite's
// minor releases.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { calls, commandOf, recordCalls, stopRecording } from '../support/pgbackrest-calls.js';
import { upForky, upTrixie } from '../lab/lab.js';
import { majorUpgrade } from '../support/upgrade.js';
import {
  converge,
  expectNoChanges,
  expectReplayed,
  expectRestored,
  expectStreaming,
  psql,
  restore,
  timeline,
  twoBatches,
} from '../support/recovery.js';

const HOSTS = ['forky-pg1', 'forky-pg2', 'forky-backup1', 'forky-ha1', 'forky-ha2'];
const ZONES = [
  {
    name: 'ssh',
    config: `${FIXTURES}lab/forky.toml`,
    pg: 'forky-pg1',
    repoHost: 'forky-backup1',
    user: 'backrest',
    stanza: 'pgedge-forky-1',
    data: '/var/lib/postgresql/18/main',
  },
  {
    name: 's3',
    config: `${FIXTURES}lab/forky-s3.toml`,
    pg: 'forky-pg2',
    repoHost: 'forky-pg2',
    user: 'postgres',
    stanza: 'pgedge-forky-s3-1',
    data: '/var/lib/postgresql/18/main',
  },
  // Patroni 4.1 (the lab starts forky-ha1 as its leader), backups on the leader, into the bucket.
  {
    name: 'Patroni',
    config: `${FIXTURES}lab/forky-ha.toml`,
    pg: 'forky-ha1',
    repoHost: 'forky-ha1',
    user: 'postgres',
    stanza: 'pgedge-forky-ha-1',
    data: '/var/lib/postgresql/18/patroni',
    replica: 'forky-ha2',
  },
];

describe('Debian testing hosts: PostgreSQL 18 and pgBackRest 2.60', () => {
  beforeAll(async () => {
    // Not part of the default lab: started here (the root filesystem is built once and cached).
    await upForky();
    await resetScenario('forky');
    for (const host of HOSTS) await recordCalls(host);
  }, 900_000);
  afterAll(async () => {
    for (const host of HOSTS) await stopRecording(host);
  });

  it("the hosts run PostgreSQL 18 and pgBackRest 2.59 or newer, none of the machine's /usr", async () => {
    expect(await sh('forky-pg1', '. /etc/os-release; echo "$ID"')).toBe('debian\n');
    const version = /^pgBackRest 2\.(\d+)/.exec(await sh('forky-backup1', 'runuser -u nobody -- pgbackrest version'));
    expect(Number(version?.[1])).toBeGreaterThanOrEqual(59);
    const server = await sh('forky-pg1', `runuser -u postgres -- psql -XAt -c 'SHOW server_version_num'`);
    expect(server.trim()).toMatch(/^18\d{4}$/);
    // initdb 18 turns data checksums on by default.
    expect(await sh('forky-pg1', `runuser -u postgres -- psql -XAt -c 'SHOW data_checksums'`)).toBe('on\n');
  });

  it.each(ZONES)(
    'the $name zone converges, backs up full, diff and incr, and plans No changes',
    async (zone) => {
      await converge(zone.config);
      await expectNoChanges(zone.config);
      for (const type of ['diff', 'incr']) {
        const run = await bsync(['backup', '-c', zone.config, '--type', type]);
        expect(run.code, run.stdout + run.stderr).toBe(0);
      }
      const info = JSON.parse(
        await sh(
          zone.repoHost,
          `cd / && runuser -u ${zone.user} -- pgbackrest --stanza=${zone.stanza} --output=json info`,
        ),
      );
      expect(info[0].backup.map((backup: { type: string }) => backup.type)).toEqual(['full', 'diff', 'incr']);
      expect(info[0].db[0].version).toBe('18');
      await expectNoChanges(zone.config);
    },
    600_000,
  );

  it.each(ZONES)(
    'the $name zone recovers to a time between two commits: exactly the first batch, a new timeline',
    async (zone) => {
      const { target, first } = await twoBatches(zone.pg);
      const before = await timeline(zone.pg);
      const run = await restore(zone.config, '--target', `time=${target}`, '--allow-overwrite', '--yes');
      expect(run.stdout).toContain(`restore ${zone.data} from backup`);
      await expectRestored(zone.pg, run, first, before, zone.stanza);
      if (zone.replica) {
        // Patroni's replica is built again from the restored leader and streams from it.
        await expectStreaming(zone.pg, zone.replica);
        await expectReplayed(zone.pg, zone.replica);
      }
      await expectNoChanges(zone.config);
      await psql(zone.pg, 'DROP TABLE restore_probe');
    },
    600_000,
  );

  it('verify restores the ssh zone newest backup beside the server and checks it on PostgreSQL 18, pg_amcheck too', async () => {
    // Data checksums are on (initdb 18's default): the restored copy's catalogs pass pg_amcheck.
    const config = join(mkdtempSync(join(tmpdir(), 'bsync-forky-')), 'forky-amcheck.toml');
    writeFileSync(config, `${readFileSync(ZONES[0].config, 'utf8')}\n[verify]\namcheck = true\n`);
    const run = await bsync(['verify', '-c', config]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ok +version: PostgreSQL 18\./);
    expect(run.stdout).toContain('ok   amcheck: system catalogs of every database');
    expect(run.stdout).toContain('Verify: 1 of 1 stanza verified.');
  }, 600_000);

  it('no pgBackRest call on any host ran as root', async () => {
    const recorded = await calls(HOSTS);
    const commands = new Set(recorded.map((call) => commandOf(call.args)));
    for (const command of ['stanza-create', 'check', 'backup', 'info', 'archive-push', 'archive-get', 'restore'])
      expect(commands, command).toContain(command);
    expect(
      recorded.filter((call) => call.uid === 0),
      'pgBackRest calls made as root',
    ).toEqual([]);
  });
});

describe('a major upgrade, PostgreSQL 17 to 18: one stanza in the bucket, stanza-upgrade, a full backup of the new database', () => {
  beforeAll(async () => {
    await upTrixie();
    await upForky();
    await resetScenario('trixie');
    await resetScenario('forky');
  }, 900_000);

  it('plans stanza-upgrade naming both databases; after apply, check passes and a full backup of 18 exists beside the 17 one', async () => {
    // Debian 13, PostgreSQL 17, pgBackRest 2.55 to Debian testing, PostgreSQL 18, pgBackRest 2.60.
    await majorUpgrade(
      'upgrade18',
      { host: 'trixie-pg1', address: '127.0.1.91', version: 17 },
      { host: 'forky-pg1', address: '127.0.1.101', version: 18 },
    );
  }, 900_000);
});
