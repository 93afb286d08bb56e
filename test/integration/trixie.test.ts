// The Debian 13 generation of the lab (PostgreSQL 17, pgBackRest 2.55) under bsync: the
// acceptance story on a real second version of both, a point-in-time recovery there, and
// a mixed fleet (2.45 and 2.55 side by side) planned and kept in sync in one run.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { upTrixie } from '../lab/lab.js';
import { converge, expectNoChanges, expectRestored, restore, timeline, twoBatches } from '../support/recovery.js';

const TRIXIE = `${FIXTURES}lab/trixie.toml`;
const SSH = `${FIXTURES}lab/ssh.toml`;
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
    // The ssh scenario as it comes, whatever other suites left on it.
    await resetScenario('ssh');
    expect(await sh('ssh-pg1', 'pgbackrest version')).toMatch(/^pgBackRest 2\.45/);
    expect(await sh('trixie-pg1', 'pgbackrest version')).toMatch(/^pgBackRest 2\.55\./);
    const apply = await bsync(['apply', '-c', SSH, '-c', TRIXIE, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const plan = await bsync(['plan', '-c', SSH, '-c', TRIXIE, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout + plan.stderr).toMatch(/Fleet: 2 clusters, 0 with changes/);
  }, 600_000);
});
