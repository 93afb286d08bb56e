// Replicas follow a restore (docs/recovery.md, "Replicas after a restore"): a point-in-time
// restore of a primary with a plain streaming replica (no Patroni) rebuilds the replica in
// the same plan, from the repository, as a standby of the restored primary. After it the
// replica streams from the primary on its new timeline with exactly the primary's data
// (compared by checksum), follows new writes, and the zone plans no changes. The ssh
// scenario, with ssh-pg2 moved into zone 1 as ssh-pg1's replica.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetScenario } from '../support/lab.js';
import {
  checksum,
  converge,
  expectNoChanges,
  expectReplayed,
  expectRestored,
  expectStreaming,
  psql,
  restore,
  timeline,
  twoBatches,
  wipeForStandby,
  zoneOfTwo,
} from '../support/recovery.js';
import { FIXTURES } from '../support/bsync.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-replicas-'));

/** What ssh-pg2's WAL receiver says: its state, the host it streams from and the timeline it receives. */
const receiver = async () =>
  (await psql('ssh-pg2', 'SELECT status, sender_host, received_tli FROM pg_stat_wal_receiver')).trim();

describe('replicas follow a restore in place: plain streaming replication', () => {
  const config = zoneOfTwo(work);

  beforeAll(async () => {
    await resetScenario('ssh');
    // Zone 1's stanza exists with a full backup of ssh-pg1 before ssh-pg2 joins the zone;
    // then ssh-pg2 is rebuilt from the repository as ssh-pg1's streaming replica.
    await converge(`${FIXTURES}lab/ssh.toml`);
    await converge(config);
    await wipeForStandby('ssh-pg1', 'ssh-pg2');
    const standby = await restore(config, '--host', 'ssh-pg2', '--standby', '--yes');
    expect(standby.code, standby.stdout + standby.stderr).toBe(0);
    await expectStreaming('ssh-pg1', 'ssh-pg2');
  }, 900_000);

  it('after a point-in-time restore of ssh-pg1, ssh-pg2 streams from it on the new timeline with the same data', async () => {
    const before = await timeline('ssh-pg1');
    const { target, first } = await twoBatches('ssh-pg1');
    // The replica holds both batches: past the target, on the old timeline.
    await expectReplayed('ssh-pg1', 'ssh-pg2');
    expect(await checksum('ssh-pg2')).not.toBe(first);

    // --replicas leave only says so: the plan has no step on ssh-pg2 (nothing is applied).
    const left = await restore(
      config,
      '--zone',
      '1',
      '--target',
      `time=${target}`,
      '--allow-overwrite',
      '--replicas',
      'leave',
      '--out',
      join(work, 'leave.json'),
    );
    expect(left.code, left.stdout + left.stderr).toBe(0);
    expect(left.stdout).toContain('--replicas leave: ssh-pg2 is left as it is, on the old timeline past the target.');
    expect(left.stdout).toContain('bsync restore --host ssh-pg2 --standby --allow-overwrite');
    expect(left.stdout).not.toMatch(/^ssh-pg2$/m);

    const run = await restore(config, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--yes');
    expect(run.stdout).toContain('Replicas follow: once ssh-pg1 has promoted on its new timeline, ssh-pg2 is stopped');
    expect(run.stdout).toMatch(/^ssh-pg2\n {2}> pg_stop {2}stop PostgreSQL on port 5432$/m);
    expect(run.stdout).toContain('> standby_ready  the standby becomes consistent');
    await expectRestored('ssh-pg1', run, first, before);

    // ssh-pg2: a standby again, streaming from ssh-pg1 on ssh-pg1's new timeline, with batch A only.
    expect((await psql('ssh-pg2', 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
    await expectStreaming('ssh-pg1', 'ssh-pg2');
    await expectReplayed('ssh-pg1', 'ssh-pg2');
    expect(await checksum('ssh-pg2')).toBe(first);
    const newTimeline = await timeline('ssh-pg1');
    expect(newTimeline).toBeGreaterThan(before);
    expect(await receiver()).toBe(`streaming|ssh-pg1|${newTimeline}`);

    // What the restored primary writes now reaches the replica.
    await psql('ssh-pg1', "INSERT INTO restore_probe SELECT g, 'after' FROM generate_series(7001, 7500) g");
    await expectReplayed('ssh-pg1', 'ssh-pg2');
    await expectNoChanges(config);
  }, 900_000);
});
