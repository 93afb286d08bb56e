// Patroni HA clusters on the lab's `ha` scenario: archive settings and the backup role's
// pg_hba rule go through Patroni's dynamic configuration, changed only where they differ,
// and backups keep working after a switchover.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario } from '../support/lab.js';
import { killSample, killWhile } from '../support/recovery.js';

const CONFIG = `${FIXTURES}lab/ha.toml`;
const STANZA = 'pgedge-lab-1';
const PATRONICTL = 'patronictl -c /etc/patroni/patroni.yml';

interface Member {
  Member: string;
  Role: string;
  State: string;
}

async function members(): Promise<Member[]> {
  return JSON.parse((await onHost('ha-pg1', `${PATRONICTL} list -f json`)).stdout) as Member[];
}

async function leader(): Promise<string> {
  return (await members()).find((member) => member.Role === 'Leader')!.Member;
}

/** etcd's modification revision of the cluster's dynamic configuration. */
async function configRevision(): Promise<number> {
  const out = await onHost(
    'ha-pg1',
    `ETCDCTL_API=3 etcdctl --endpoints http://127.0.1.39:2379 get /service/bsync-ha/config -w json`,
  );
  return JSON.parse(out.stdout).kvs[0].mod_revision as number;
}

async function pgbackrest(args: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return onHost('ha-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} ${args}`);
}

const haSql = (host: string, query: string) =>
  onHost(host, `cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c ${JSON.stringify(query)}`);
const HA_SUM = `SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM ha_probe`;

/** Batch A on the leader, the time, then batch B: a recovery to that time gives back exactly A. */
async function haBatches(): Promise<{ lead: string; target: string; first: string }> {
  const lead = await leader();
  await haSql(lead, 'DROP TABLE IF EXISTS ha_probe');
  await haSql(lead, 'CREATE TABLE ha_probe (id int PRIMARY KEY, v text)');
  await haSql(lead, 'INSERT INTO ha_probe SELECT g, md5(g::text) FROM generate_series(1, 3000) g');
  const first = (await haSql(lead, HA_SUM)).stdout.trim();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const target = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await haSql(lead, "INSERT INTO ha_probe SELECT g, 'B' FROM generate_series(3001, 4000) g");
  await haSql(lead, "UPDATE ha_probe SET v = 'changed' WHERE id % 5 = 0");
  expect((await haSql(lead, HA_SUM)).stdout.trim()).not.toBe(first);
  return { lead, target, first };
}

/**
 * After a restore of the leader `lead` to batch A (`first`): it still leads with exactly A,
 * every replica is rebuilt from it, streams and holds A (by checksum), `check` passes (run
 * by `checkOn(leader)` where the repository is read), and the zone plans no changes.
 */
async function expectPatroniRestored(
  config: string,
  run: { code: number; stdout: string; stderr: string },
  lead: string,
  first: string,
  checkOn: (leader: string) => Promise<{ code: number; stderr: string }>,
): Promise<void> {
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(await leader()).toBe(lead);
  expect((await haSql(lead, HA_SUM)).stdout.trim()).toBe(first);
  let streaming = 0;
  for (let i = 0; i < 90 && streaming < 2; i += 1) {
    const rows = await haSql(lead, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
    streaming = Number(rows.stdout.trim() || 0);
    if (streaming < 2) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(streaming).toBe(2);
  for (const replica of ['ha-pg1', 'ha-pg2', 'ha-pg3'].filter((host) => host !== lead)) {
    let seen = '';
    for (let i = 0; i < 30 && seen !== first; i += 1) {
      seen = (await haSql(replica, HA_SUM)).stdout.trim();
      if (seen !== first) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(seen, replica).toBe(first);
  }
  const check = await checkOn(lead);
  expect(check.code, check.stderr).toBe(0);
  const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
  expect(plan.stdout).toContain('No changes.');
}

/** A point-in-time recovery of the leader to a moment between two commits, checked as above. */
async function expectPatroniPitr(
  config: string,
  checkOn: (leader: string) => Promise<{ code: number; stderr: string }>,
): Promise<void> {
  const { lead, target, first } = await haBatches();
  const run = await bsync(['restore', '-c', config, '--target', `time=${target}`, '--allow-overwrite', '--yes']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`Patroni's cluster bsync-ha is paused while its leader ${lead} is restored`);
  expect(run.stdout).toMatch(/patroni_reinit\[ha-pg\d\]/);
  await expectPatroniRestored(config, run, lead, first, checkOn);
  await haSql(lead, 'DROP TABLE ha_probe');
}

/**
 * The boundaries of a Patroni restore, in order, as progress lines of the leader `lead`
 * and its replicas: where a kill lands (`started`), and the line that must not have come
 * yet. The replicas stop (and are rebuilt) in parallel: either one starting counts.
 */
function patroniBoundaries(lead: string): Array<{ name: string; started: RegExp; notYet?: RegExp }> {
  const replicas = ['ha-pg1', 'ha-pg2', 'ha-pg3'].filter((host) => host !== lead).join('|');
  // `action` is a regular expression's source: brackets escaped by the caller.
  const on = (hosts: string, action: string) => new RegExp(`(${hosts}): ${action}\\.\\.\\.`);
  const order: Array<[string, RegExp]> = [
    ['patroni_pause', on(lead, 'patroni_pause\\[bsync-ha\\]')],
    ['replica pg_stop', on(replicas, 'pg_stop')],
    ['leader pg_stop', on(lead, 'pg_stop')],
    ['pg_restore', on(lead, 'pg_restore')],
    ['pg_start', on(lead, 'pg_start')],
    ['recovery_end', on(lead, 'recovery_end')],
    ['patroni_resume', on(lead, 'patroni_resume\\[bsync-ha\\]')],
    ['patroni_reinit', on(replicas, 'patroni_reinit\\[ha-pg\\d\\]')],
  ];
  return order.map(([name, started], index) => ({ name, started, notYet: order[index + 1]?.[1] }));
}

describe('a pending restart without --allow-restart', () => {
  beforeAll(async () => {
    await resetScenario('ha');
  }, 300_000);

  it('is reported and deferred, PostgreSQL keeps running, and --allow-restart finishes the job', async () => {
    const run = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /deferred: ha-pg1\.pg_restart: PostgreSQL needs a restart; run apply with --allow-restart/,
    );
    expect(run.stdout).toMatch(/skipped: ha-backup1\.first_backup\[pgedge-lab-1\]/);
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    const state = await members();
    expect(state.filter((member) => member.State === 'running' || member.State === 'streaming')).toHaveLength(3);
    expect(
      (await onHost('ha-pg1', `cd / && runuser -u postgres -- psql -XAtc 'SHOW archive_mode'`)).stdout.trim(),
    ).toBe('off');

    const plan = await bsync(['plan', '-c', CONFIG]);
    expect(plan.stdout).toContain(
      'pg_restart  members that need a restart  (restarts PostgreSQL: needs --allow-restart)',
    );
    expect(plan.stdout).not.toContain('patroni_config');

    const finish = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(finish.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
    expect(finish.code).toBe(0);
  }, 600_000);
});

/** A copy of `config` with [cluster] backup_from set. */
function withBackupFrom(config: string, from: 'standby' | 'prefer'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bsync-ha-from-')), `ha-${from}.toml`);
  writeFileSync(
    file,
    readFileSync(config, 'utf8').replace('pg_version = 15\n', `pg_version = 15\nbackup_from = "${from}"\n`),
  );
  return file;
}

/** How many backups so far read a standby, by the lines pgBackRest logs for them on `host`. */
async function standbyBackups(host: string): Promise<number> {
  const log = `/var/log/pgbackrest/${STANZA}-backup.log`;
  const run = await onHost(host, `cat ${log} 2>/dev/null | grep -c 'replay on the standby reached'`);
  return Number(run.stdout.trim());
}

/** A Patroni switchover to another member; waits until it leads and all three run. */
async function switchOver(): Promise<string> {
  const old = await leader();
  const candidate = old === 'ha-pg2' ? 'ha-pg3' : 'ha-pg2';
  const switchover = await onHost(
    'ha-pg1',
    `${PATRONICTL} switchover bsync-ha --leader ${old} --candidate ${candidate} --force`,
  );
  expect(switchover.code, switchover.stderr).toBe(0);
  for (let i = 0; i < 60; i += 1) {
    const state = await members();
    if (
      state.find((member) => member.Member === candidate)?.Role === 'Leader'
      && state.filter((member) => /running|streaming/.test(member.State)).length === 3
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(await leader()).toBe(candidate);
  return candidate;
}

describe('ha clusters: plan, apply, converge, switch over', () => {
  it('converges: no changes, a full backup from the backup host, check passes', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 4 hosts match ha.toml.');
    expect(plan.code).toBe(0);
    const info = JSON.parse((await pgbackrest('--output=json info')).stdout);
    expect(info[0].backup.some((backup: { type: string }) => backup.type === 'full')).toBe(true);
    const conf = (await onHost('ha-backup1', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout;
    expect(conf).toMatch(/pg1-host=ha-pg1\n[\s\S]*pg2-host=ha-pg2\n[\s\S]*pg3-host=ha-pg3\n/);
    const memberConf = (await onHost('ha-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout;
    expect(memberConf).not.toMatch(/pg2-/);
    const check = await pgbackrest('check');
    expect(check.code, check.stderr).toBe(0);
  }, 600_000);

  it("a second apply executes nothing and leaves Patroni's configuration untouched", async () => {
    const before = await configRevision();
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(run.stdout).toContain('No changes.');
    expect(run.code).toBe(0);
    expect(await configRevision()).toBe(before);
  });

  it('after a switchover: still no changes, a diff backup against the new primary, WAL from it reaches the repository', async () => {
    await switchOver();

    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    const diff = await pgbackrest('--type=diff backup');
    expect(diff.code, diff.stderr).toBe(0);
    const info = JSON.parse((await pgbackrest('--output=json info')).stdout);
    expect(info[0].backup.at(-1).type).toBe('diff');
    const check = await pgbackrest('check');
    expect(check.code, check.stderr).toBe(0);
  }, 600_000);

  it("every member's patroni.yml builds replicas from the repository first; a replica wiped on disk comes back through pgBackRest and streams", async () => {
    for (const host of ['ha-pg1', 'ha-pg2', 'ha-pg3']) {
      const yml = (await onHost(host, `${PATRONICTL} show-config >/dev/null; cat /etc/patroni/patroni.yml`)).stdout;
      expect(yml).toContain('create_replica_methods:\n    - pgbackrest\n    - basebackup');
      expect(yml).toContain(`command: pgbackrest --stanza=${STANZA} --delta --type=standby restore`);
    }
    const replica = (await members()).find((member) => member.Role !== 'Leader')!.Member;
    const restoreLog = `/var/log/pgbackrest/${STANZA}-restore.log`;
    const logBefore = Number(
      (await onHost(replica, `grep -c 'restore command begin' ${restoreLog} 2>/dev/null || echo 0`)).stdout.trim(),
    );
    // The replica's data is gone under a running Patroni: it must build the member again by itself.
    const wiped = await onHost(
      replica,
      // The killed server's children may still write a file while rm walks the folder: try again.
      'd=/var/lib/postgresql/15/patroni; pid=$(head -n 1 $d/postmaster.pid); kill -9 "$pid" && for i in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$d" 2>/dev/null && echo wiped && break; sleep 0.3; done',
    );
    expect(wiped.stdout.trim(), wiped.stderr).toBe('wiped');
    // Streaming as the leader sees it (Patroni 3.0 lists a streaming replica as `running`).
    const streaming = async () => {
      const lead = await leader();
      const run = await onHost(
        lead,
        `cd / && runuser -u postgres -- psql -XAtq -c "SELECT state FROM pg_stat_replication WHERE application_name = '${replica}'"`,
      );
      return run.stdout.trim();
    };
    let seen = '';
    for (let i = 0; i < 120 && seen !== 'streaming'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      seen = await streaming().catch(() => '');
    }
    expect(seen).toBe('streaming');
    // It came from the repository: pgBackRest ran a restore on that host, and Patroni says which method built it.
    const logAfter = Number((await onHost(replica, `grep -c 'restore command begin' ${restoreLog}`)).stdout.trim());
    expect(logAfter).toBe(logBefore + 1);
    const patroniLog = (await onHost(replica, 'tail -n 200 /var/log/patroni.log')).stdout;
    expect(patroniLog).toMatch(/replica has been created using pgbackrest/);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes.');
  }, 600_000);

  it('restores the leader to a time between two commits: exactly the first batch on every member, replicas rebuilt and streaming, archiving on', async () => {
    await expectPatroniPitr(CONFIG, () => pgbackrest('check'));
  }, 600_000);

  // Killed at a boundary, then run again with the same arguments: the leader ends at the
  // target, the replicas are rebuilt from it, and nothing is left paused or stopped.
  it.each(
    killSample(
      'patroni',
      patroniBoundaries('ha-pg1').map((boundary) => boundary.name),
      1,
    ),
  )(
    'a restore killed while %s runs: the rerun ends at the target with every replica streaming',
    async (name) => {
      const { lead, target, first } = await haBatches();
      const boundary = patroniBoundaries(lead).find((entry) => entry.name === name)!;
      const args = ['restore', '-c', CONFIG, '--target', `time=${target}`, '--allow-overwrite', '--yes'];
      await killWhile(args, boundary.started, boundary.notYet);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const rerun = await bsync(args);
      await expectPatroniRestored(CONFIG, rerun, lead, first, () => pgbackrest('check'));
      // patronictl list ends with "Maintenance mode: on" while the cluster is paused.
      const list = await onHost(lead, `timeout 15 ${PATRONICTL} list bsync-ha`);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).not.toMatch(/maintenance mode/i);
    },
    900_000,
  );

  it('bsync backup --type incr runs on the backup host against the current leader, prints the label, and status lists it', async () => {
    const run = await bsync(['backup', '-c', CONFIG, '--type', 'incr']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('ha-backup1\n  > backup[incr:repo1]');
    const label = /New backup in repo1: (\S+I) \(incr, /.exec(run.stderr)?.[1];
    expect(label, run.stderr).toBeDefined();
    const info = JSON.parse((await pgbackrest('--output=json info')).stdout);
    expect(info[0].backup.at(-1).label).toBe(label);
    const status = JSON.parse((await bsync(['status', '-c', CONFIG, '--json'])).stdout);
    expect(status.stanzas[0].newest.incr.label).toBe(label);
  }, 600_000);
  it('backup_from = "standby": the backup host reads a replica; "prefer" stops the plan on 2.45', async () => {
    const prefer = await bsync(['plan', '-c', withBackupFrom(CONFIG, 'prefer')]);
    expect(prefer.code).toBe(1);
    expect(prefer.stderr).toMatch(
      /cluster\.backup_from: host ha-\S+ runs pgBackRest 2\.45: .*backup-standby must be true or false, got "prefer"/,
    );
    expect(prefer.stderr).not.toMatch(STACK_TRACE);

    const config = withBackupFrom(CONFIG, 'standby');
    const apply = await bsync(['apply', '-c', config, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect((await onHost('ha-backup1', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout).toContain('backup-standby=y\n');
    expect((await onHost('ha-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout).not.toContain('backup-standby');
    expect((await bsync(['plan', '-c', config])).stdout).toContain('No changes.');
    // pgBackRest picks the standby among pg1..pg3 at each backup (after a switchover too:
    // the test without a backup host below switches over).
    const before = await standbyBackups('ha-backup1');
    const run = await bsync(['backup', '-c', config, '--type', 'incr']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await standbyBackups('ha-backup1')).toBe(before + 1);
    const check = await pgbackrest('check');
    expect(check.code, check.stderr).toBe(0);
    // Back to the primary: the line goes, and the fixture's plan is clean again.
    expect((await bsync(['apply', '-c', CONFIG, '--yes'])).code).toBe(0);
    expect((await onHost('ha-backup1', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout).not.toContain('backup-standby');
    expect((await bsync(['plan', '-c', CONFIG])).stdout).toContain('No changes.');
  }, 600_000);
});

describe('drift in an ha cluster', () => {
  it('archive_command changed with patronictl edit-config is reported and repaired; a hand-added pg_hba line survives', async () => {
    const handRule = 'host all monitoring 127.0.0.1/32 scram-sha-256';
    const edit = `${PATRONICTL} edit-config --force --quiet -p "archive_command=/bin/true"`;
    expect((await onHost('ha-pg1', edit)).code).toBe(0);
    const hba = JSON.parse(
      (
        await onHost(
          'ha-pg1',
          `${PATRONICTL} show-config | python3 -c 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin)["postgresql"]["pg_hba"]))'`,
        )
      ).stdout,
    ) as string[];
    const withHand = JSON.stringify({ postgresql: { pg_hba: [...hba, handRule] } });
    expect(
      (await onHost('ha-pg1', `echo '${withHand}' | ${PATRONICTL} edit-config --force --quiet --apply -`)).code,
    ).toBe(0);

    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain(
      'postgresql.parameters.archive_command: /bin/true -> pgbackrest --stanza=pgedge-lab-1 archive-push %p',
    );
    expect(drift.stdout).not.toContain(`- ${handRule}`);

    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.stdout).toMatch(/Apply complete/);
    expect(apply.code).toBe(0);
    const after = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(after.code).toBe(0);
    const config = (await onHost('ha-pg1', `${PATRONICTL} show-config`)).stdout;
    expect(config).toContain(handRule);
    expect(config).toContain('archive_command: pgbackrest --stanza=pgedge-lab-1 archive-push %p');
    for (const host of ['ha-pg1', 'ha-pg2', 'ha-pg3']) {
      const running = await onHost(host, `cd / && runuser -u postgres -- psql -XAtc 'SHOW archive_command'`);
      expect(running.stdout.trim()).toBe('pgbackrest --stanza=pgedge-lab-1 archive-push %p');
    }
  }, 300_000);
});

describe('an ha cluster with an s3 repository (no backup host)', () => {
  /** ha.toml with the s3 scenario's repository (the bucket's /ha) in place of the backup host. */
  function haS3Config(): string {
    const ha = readFileSync(CONFIG, 'utf8');
    const s3 = readFileSync(`${FIXTURES}lab/s3.toml`, 'utf8');
    const s3Repo = s3
      .slice(s3.indexOf('[repo]'), s3.indexOf('[backup_user]'))
      .replace('path = "/bsync"', 'path = "/ha"');
    const text = `${ha.slice(0, ha.indexOf('[repo]'))}${s3Repo}${ha.slice(ha.indexOf('[patroni]'), ha.indexOf('[[host]]\nname = "ha-backup1"'))}`;
    const file = join(mkdtempSync(join(tmpdir(), 'bsync-ha-s3-')), 'ha-s3.toml');
    writeFileSync(file, text);
    return file;
  }

  // With backups from a standby, which lists every member in every member's stanza and
  // lets them reach each other over SSH: the restore and Patroni's pgbackrest replica
  // method must work as without.
  it('restores the leader from the bucket to a time between two commits, on every member, archiving on (backup_from = "standby")', async () => {
    await resetScenario('ha');
    const config = withBackupFrom(haS3Config(), 'standby');
    const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    await expectPatroniPitr(config, (lead) =>
      onHost(lead, `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} check`),
    );
  }, 900_000);
  it('backup_from = "standby": the leader reads a replica over SSH as postgres, after a switchover too; a peer key removed is drift', async () => {
    const config = withBackupFrom(haS3Config(), 'standby');
    const conf = (await onHost('ha-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout;
    expect(conf).toMatch(
      /pg1-path=\/var\/lib\/postgresql\/15\/patroni\n[\s\S]*pg2-host=ha-pg1\n[\s\S]*pg3-host=ha-pg3\n[\s\S]*backup-standby=y\n/,
    );
    for (const round of [1, 2]) {
      const lead = round === 1 ? await leader() : await switchOver();
      const before = await standbyBackups(lead);
      const run = await bsync(['backup', '-c', config, '--type', 'incr']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain(`${lead}\n  > backup[incr:repo1]`);
      expect(await standbyBackups(lead), `round ${round} on ${lead}`).toBe(before + 1);
    }
    const keys = '~postgres/.ssh/authorized_keys';
    const cut = await onHost('ha-pg3', `grep -c ha-pg1 ${keys} && sed -i '/ha-pg1/d' ${keys}`);
    expect(cut.stdout.trim(), cut.stderr).toBe('1');
    const drift = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toMatch(/ha-pg3[\s\S]*~ authorized_keys\[postgres\]/);
    expect((await bsync(['apply', '-c', config, '--yes'])).code).toBe(0);
    expect((await bsync(['plan', '-c', config])).stdout).toContain('No changes.');
  }, 600_000);
});
