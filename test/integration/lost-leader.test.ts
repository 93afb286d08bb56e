// A Patroni cluster whose data is gone (issue 29, item 1's Patroni half), on the lab's ha
// scenario with a config that names neither pg_data nor pg_version: every member's server
// killed and its data directory emptied while Patroni keeps running, so Patroni names no
// leader and each member waits "for leader to bootstrap". `bsync restore --zone 1 --yes`
// restores the first member declared, which leads the cluster when it resumes; the others
// are rebuilt from it and stream on its new timeline with the same rows.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import {
  checksum,
  converge,
  expectNoChanges,
  expectReplayed,
  expectStreaming,
  psql,
  restore,
  timeline,
} from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/patroni';
const MEMBERS = ['ha-pg1', 'ha-pg2', 'ha-pg3'];
const PATRONICTL = 'patronictl -c /etc/patroni/patroni.yml';
const work = mkdtempSync(join(tmpdir(), 'bsync-lost-leader-'));
const BARE = join(work, 'ha-bare.toml');
writeFileSync(
  BARE,
  readFileSync(`${FIXTURES}lab/ha.toml`, 'utf8')
    .replace(/^pg_data = .*\n/gm, '')
    .replace(/^pg_version = .*\n/m, ''),
);

/** Patroni's view of the cluster: member name, role and state per line. */
async function members(): Promise<string> {
  return sh('ha-pg2', `${PATRONICTL} list -f json bsync-ha`);
}

/** Waits up to 60 s for a running leader and two replicas running or streaming (Patroni 3.0 says running), and expects them. */
async function settled(): Promise<void> {
  let list: Array<{ Role: string; State: string }> = [];
  for (let i = 0; i < 60; i += 1) {
    list = JSON.parse(await members());
    const replicas = list.filter(
      (member) => member.Role === 'Replica' && ['running', 'streaming'].includes(member.State),
    );
    if (list.some((member) => member.Role === 'Leader' && member.State === 'running') && replicas.length === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(list, 'a leader and two streaming replicas before the loss is staged').toBe('settled');
}

describe('a Patroni cluster whose data is gone, restored from a config without pg_data or pg_version', () => {
  beforeAll(async () => {
    await resetScenario('ha');
    await converge(BARE);
  }, 600_000);

  it('the first member declared is restored and leads; the others stream from it with every row', async () => {
    expect(readFileSync(BARE, 'utf8')).not.toMatch(/pg_data|pg_version/);
    const lead = JSON.parse(await members()).find((member: { Role: string }) => member.Role === 'Leader').Member;
    await psql(lead, 'DROP TABLE IF EXISTS restore_probe');
    await psql(lead, 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql(lead, 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
    const rows = await checksum(lead);
    const timelineBefore = await timeline(lead);
    await sh(lead, 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');

    // The worst day: paused so Patroni neither fails over nor restarts while it is staged,
    // every server killed and its data deleted, then Patroni left to itself again. Staged on
    // a settled cluster (a leader and two streaming replicas), each member's server gone and
    // its folder empty before the next: a CI run once restored a cluster whose replicas had
    // kept their data, which Patroni then led again by itself.
    await settled();
    await sh(lead, `${PATRONICTL} pause --wait bsync-ha`);
    for (const member of MEMBERS) {
      await sh(
        member,
        [
          `cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D ${DATA} stop -m immediate`,
          'pkill -KILL -x pgbackrest; pkill -KILL -x postgres; sleep 1',
          `find ${DATA} -mindepth 1 -delete`,
          `test -z "$(ls -A ${DATA})"`,
        ].join('; '),
      );
    }
    await sh(lead, `${PATRONICTL} resume --wait bsync-ha`);
    // Left to itself for a while, Patroni still names no leader and runs no server.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const lost = JSON.parse(await members()) as Array<{ Role: string; State: string }>;
    expect(
      lost.map((member) => member.Role),
      JSON.stringify(lost),
    ).not.toContain('Leader');
    expect(
      lost.every((member) => member.State !== 'running' && member.State !== 'streaming'),
      JSON.stringify(lost),
    ).toBe(true);

    const run = await restore(BARE, '--zone', '1', '--yes');
    expect(run.code, `${run.stdout}${run.stderr}\nPatroni now: ${await members()}`).toBe(0);
    expect(run.stdout).toContain(
      "Patroni's cluster bsync-ha has no leader and no member runs PostgreSQL: ha-pg1 is restored while the cluster is paused and leads it when it resumes; ha-pg2, ha-pg3 are rebuilt from it after.",
    );
    expect(run.stdout).toContain(`ha-pg1's data directory ${DATA} is`);
    expect(run.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);

    const after = JSON.parse(await members()) as Array<{ Member: string; Role: string }>;
    expect(after.find((member) => member.Role === 'Leader')?.Member).toBe('ha-pg1');
    expect(await checksum('ha-pg1')).toBe(rows);
    expect(await timeline('ha-pg1')).toBeGreaterThan(timelineBefore);
    for (const replica of ['ha-pg2', 'ha-pg3']) {
      await expectStreaming('ha-pg1', replica);
      await expectReplayed('ha-pg1', replica);
    }
    // Nothing is left paused, and the restored leader archives into the stanza.
    expect((await onHost('ha-pg1', `${PATRONICTL} list bsync-ha`)).stdout).not.toMatch(/maintenance mode/i);
    await sh('ha-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');
    await expectNoChanges(BARE);
  }, 900_000);
});
