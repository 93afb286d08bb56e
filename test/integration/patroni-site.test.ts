// A Patroni zone's first data from another zone's backup (issue 29 item 6, its Patroni half), on the lab's forky hosts (Patroni 4.1, PostgreSQL 18, the bucket over
// TLS): forky-ha1 is zone 1 (Patroni cluster bsync-forky-ha), forky-ha2 becomes a cluster of
// its own (bsync-forky-dr), zone 2. Its data is lost as on the worst day (paused, server
// killed, folder emptied, resumed: Patroni waits for a leader). With from_backup, one apply
// has Patroni bootstrap zone 2 from zone 1's backup to a time between two commits, and gives
// it its own stanza, archiving and first backup.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_DIR, upForky } from '../lab/lab.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { checksum, converge, expectNoChanges, psql, timeline, twoBatches } from '../support/recovery.js';

const DATA = '/var/lib/postgresql/18/patroni';
const YML = '/etc/patroni/patroni.yml';
const PATRONICTL = `patronictl -c ${YML}`;
const BUCKET = join(STATE_DIR, 's3/data/bsync-lab/forky-ha');
const work = mkdtempSync(join(tmpdir(), 'bsync-patroni-site-'));
const CONFIG = join(work, 'forky-dr.toml');

/** forky-ha.toml with forky-ha2 in zone 2, and zone 2's [[zone]] table. */
function declare(zone: string): void {
  const base = readFileSync(`${FIXTURES}lab/forky-ha.toml`, 'utf8').replace(
    /(name = "forky-ha2"[\s\S]*?zone = )1/,
    '$12',
  );
  writeFileSync(CONFIG, `${base}${zone ? `\n[[zone]]\nid = 2\n${zone}\n` : ''}`);
}

/** Patroni's members of `scope`, as patronictl lists them on `host`. */
async function members(host: string, scope: string): Promise<Array<{ Member: string; Role: string; State: string }>> {
  return JSON.parse(await sh(host, `${PATRONICTL} list -f json ${scope}`));
}

async function waitFor(host: string, scope: string, role: string): Promise<void> {
  let list: Awaited<ReturnType<typeof members>> = [];
  for (let i = 0; i < 120; i += 1) {
    list = await members(host, scope).catch(() => []);
    if (list.some((member) => member.Role === role && ['running', 'streaming'].includes(member.State))) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(list, `${scope} has a ${role}`).toBe(role);
}

const startPatroni = (host: string) =>
  sh(
    host,
    // Detached (setsid -f), so that the ssh session that starts it ends.
    `cd / && setsid -f runuser -u postgres -- /usr/bin/patroni ${YML} >>/var/log/patroni.log 2>&1 </dev/null; sleep 1`,
  );

/**
 * forky-ha2 leaves bsync-forky-ha for a cluster of its own, bsync-forky-dr, initialized by
 * Patroni. The lab connects to a host's own 127.0.1.x address from 127.0.0.1, which the
 * pg_hba Patroni writes for a custom bootstrap does not trust: its members talk over the socket.
 */
async function ownCluster(): Promise<void> {
  await sh('forky-ha2', 'pkill -x patroni; sleep 3; pkill -KILL -x postgres; sleep 1');
  await sh('forky-ha2', `find ${DATA} -mindepth 1 -delete`);
  await sh(
    'forky-ha2',
    `python3 -c ${JSON.stringify(
      `import yaml; p = '${YML}'; c = yaml.safe_load(open(p)); c['scope'] = 'bsync-forky-dr'; c['postgresql']['use_unix_socket'] = True; yaml.safe_dump(c, open(p, 'w'))`,
    )}`,
  );
  await startPatroni('forky-ha2');
  await waitFor('forky-ha2', 'bsync-forky-dr', 'Leader');
}

/** The worst day for zone 2: paused, its server killed and its folder emptied, resumed; Patroni then names no leader. */
async function loseZone2(): Promise<void> {
  await sh('forky-ha2', `${PATRONICTL} pause --wait bsync-forky-dr`);
  await sh(
    'forky-ha2',
    [
      `cd / && runuser -u postgres -- /usr/lib/postgresql/18/bin/pg_ctl -D ${DATA} stop -m immediate`,
      'pkill -KILL -x pgbackrest; pkill -KILL -x postgres; sleep 1',
      `find ${DATA} -mindepth 1 -delete`,
    ].join('; '),
  );
  await sh('forky-ha2', `${PATRONICTL} resume --wait bsync-forky-dr`);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const lost = await members('forky-ha2', 'bsync-forky-dr');
  expect(
    lost.map((member) => member.Role),
    JSON.stringify(lost),
  ).not.toContain('Leader');
}

/** Zone 2's stanza gone from the bucket: each test's zone 2 is another database's history. */
function dropZone2Stanza(): void {
  for (const kind of ['archive', 'backup'])
    rmSync(join(BUCKET, kind, 'pgedge-forky-ha-2'), { recursive: true, force: true });
}

const pgbackrest = (host: string, args: string) => sh(host, `cd / && runuser -u postgres -- pgbackrest ${args}`);
const archiveMax = async () =>
  (
    JSON.parse(await pgbackrest('forky-ha1', '--stanza=pgedge-forky-ha-1 info --output=json'))[0].archive as Array<{
      max: string | null;
    }>
  )[0].max;

describe('a Patroni zone from another zone’s backup', () => {
  beforeAll(async () => {
    // Not part of the default lab: started here (as forky.test does; the rootfs is cached).
    await upForky();
    await resetScenario('forky');
    await ownCluster();
    declare('');
    await converge(CONFIG);
  }, 900_000);
  afterAll(() => dropZone2Stanza());

  it('from_backup: Patroni bootstraps zone 2 to a time between two commits; it archives into its own stanza', async () => {
    const { target, first } = await twoBatches('forky-ha1');
    await pgbackrest('forky-ha1', '--stanza=pgedge-forky-ha-1 check');
    await loseZone2();
    dropZone2Stanza();
    declare(`from_backup = { zone = 1, target = "time=${target}" }`);

    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('patroni_bootstrap');
    expect(apply.stdout + apply.stderr).toContain('A zone has its first data: planning the declared state again');
    expect(apply.stdout).toMatch(/first_backup/);

    expect((await members('forky-ha2', 'bsync-forky-dr')).find((member) => member.Role === 'Leader')?.Member).toBe(
      'forky-ha2',
    );
    expect(await checksum('forky-ha2')).toBe(first);
    expect(await timeline('forky-ha2')).toBeGreaterThan(1);
    expect((await psql('forky-ha2', 'SHOW archive_command')).trim()).toContain(
      '--stanza=pgedge-forky-ha-2 archive-push',
    );
    await pgbackrest('forky-ha2', '--stanza=pgedge-forky-ha-2 check');
    // Zone 1's archive holds none of zone 2's timelines; patroni.yml keeps no bootstrap.
    expect((await archiveMax())?.startsWith('00000001')).toBe(true);
    expect(await sh('forky-ha2', `cat ${YML}`)).not.toMatch(/method: pgbackrest|keep_existing_recovery_conf/);
    await expectNoChanges(CONFIG);
  }, 1_200_000);
});
