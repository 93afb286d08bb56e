// bsync restore on the lab: a point-in-time recovery to a moment between two commits ends
// with exactly the data of the first (compared by checksum), on a new timeline, archiving
// again, and `plan` finds nothing to change; what cannot be done is refused at plan time
// with the server untouched; a stale saved plan is refused; a restore killed inside a step
// ends at the target when run again. ssh (backup host) and s3 repositories.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { shq } from '../../lib/formats/shell.js';
import {
  checksum,
  converge,
  expectNoChanges,
  expectRestored,
  killSample,
  killWhile,
  psql,
  removeClone,
  restore,
  standbyReads,
  timeline,
  twoBatches,
  expectReplayed,
  expectStreaming,
  wipeForStandby,
  zoneOfTwo as zoneOfTwoIn,
} from '../support/recovery.js';

const SSH = `${FIXTURES}lab/ssh.toml`;
const S3 = `${FIXTURES}lab/s3.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-restore-'));

/** The postmaster's pid, or '' when no server runs: the same pid before and after means nothing was stopped. */
const postmaster = async (host: string) =>
  (await onHost(host, 'head -n 1 /var/lib/postgresql/15/main/postmaster.pid 2>/dev/null')).stdout.trim();

/** Every file of the stanza's WAL archive, as the repository lists it (from a host that reads it, as `user`). */
const archiveListing = async (host: string, user: string) =>
  sh(host, `cd / && runuser -u ${user} -- pgbackrest --stanza=pgedge-lab-1 repo-ls --recurse archive/pgedge-lab-1`);

/** Runs SQL on a clone through its own socket, as the user it runs as. */
const onClone = (host: string, user: string, path: string, port: number, sql: string) =>
  sh(
    host,
    `cd / && runuser -u ${user} -- psql -XAtq -v ON_ERROR_STOP=1 -h ${path} -p ${port} -U postgres -d postgres -c ${shq(sql)}`,
  );

/**
 * A clone of zone 1 at `target` on `host`: it answers with exactly batch A, the source keeps
 * running with A and B, and WAL the clone writes and switches never reaches the repository.
 */
async function expectClone(options: {
  config: string;
  host: string;
  user: string;
  source: string;
  reader: { host: string; user: string };
  path: string;
  port: number;
}): Promise<void> {
  const { config, host, user, source, reader, path, port } = options;
  const { target, first } = await twoBatches(source);
  const sourceNow = await checksum(source);
  const pid = await postmaster(source);
  const run = await restore(
    config,
    '--zone',
    '1',
    '--to',
    `${host}:${path}`,
    '--port',
    String(port),
    '--target',
    `time=${target}`,
    '--yes',
  );
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`A clone of pgedge-lab-1 starts on ${host} in ${path}, port ${port}`);
  const sql = `SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM restore_probe`;
  expect((await onClone(host, user, path, port, sql)).trim()).toBe(first);
  expect(await onClone(host, user, path, port, 'SHOW archive_mode')).toBe('off\n');
  // The source is untouched, and the clone's own WAL stays its own.
  expect(await postmaster(source)).toBe(pid);
  expect(await checksum(source)).toBe(sourceNow);
  const archive = await archiveListing(reader.host, reader.user);
  await onClone(host, user, path, port, 'CREATE TABLE clone_only AS SELECT g FROM generate_series(1, 100000) g');
  await onClone(host, user, path, port, 'SELECT pg_switch_wal()');
  await onClone(host, user, path, port, 'CHECKPOINT');
  await onClone(host, user, path, port, 'SELECT pg_switch_wal()');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(await archiveListing(reader.host, reader.user)).toBe(archive);
  // A finished clone is replaced only when asked.
  const again = await restore(config, '--zone', '1', '--to', `${host}:${path}`, '--port', String(port), '--yes');
  expect(again.code).toBe(1);
  expect(again.stdout + again.stderr).toContain(`${path} holds a finished clone: --allow-overwrite replaces it`);
  const replaced = await restore(
    config,
    '--zone',
    '1',
    '--to',
    `${host}:${path}`,
    '--port',
    String(port),
    '--allow-overwrite',
    '--yes',
  );
  expect(replaced.code, replaced.stdout + replaced.stderr).toBe(0);
  expect((await onClone(host, user, path, port, 'SELECT count(*) FROM restore_probe')).trim()).toBe(
    (await psql(source, 'SELECT count(*) FROM restore_probe')).trim(),
  );
  await expectNoChanges(config);
}

/** bsync restore with ssh.toml changed by `edit` (a file of its own beside the others). */
async function restoreWith(edit: (config: string) => string, args: string[]) {
  const file = join(work, 'edited.toml');
  writeFileSync(file, edit(readFileSync(SSH, 'utf8')));
  return restore(file, '--zone', '1', '--yes', ...args);
}

/** An on-demand incr backup on `host`: its label is printed, and status names it the newest incr of zone 1. */
async function expectBackup(config: string, host: string, args: string[]): Promise<void> {
  const run = await bsync(['backup', '-c', config, '--type', 'incr', ...args]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`${host}\n  > backup[incr:repo1]`);
  const label = /New backup in repo1: (\S+I) \(incr, [\d.]+ MiB/.exec(run.stderr)?.[1];
  expect(label, run.stderr).toBeDefined();
  const status = JSON.parse((await bsync(['status', '-c', config, '--json', '--zone', '1'])).stdout);
  expect(status.stanzas[0].newest.incr.label).toBe(label);
}

describe('bsync restore, ssh repository (backup host)', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH);
  }, 600_000);
  afterAll(async () => {
    await onHost('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('recovers to a time between two commits: exactly the first batch, a new timeline, archiving, no changes after', async () => {
    const { target, first } = await twoBatches('ssh-pg1');
    const before = await timeline('ssh-pg1');
    const run = await restore(SSH, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--yes');
    // The plan names the set, the target and what is lost before anything runs.
    expect(run.stdout).toMatch(/pg_restore {2}restore \/var\/lib\/postgresql\/15\/main from backup \d{8}-\d{6}F/);
    expect(run.stdout).toContain(`target: time=${target}`);
    expect(run.stdout).toContain('everything written after the target is lost');
    await expectRestored('ssh-pg1', run, first, before);
    await expectNoChanges(SSH);
  }, 600_000);

  it('--target-action pause stops replay at the target with exactly the first batch; resumed, it promotes and apply tidies the recovery settings', async () => {
    const { target, first } = await twoBatches('ssh-pg1');
    const run = await restore(
      SSH,
      '--zone',
      '1',
      '--target',
      `time=${target}`,
      '--target-action',
      'pause',
      '--allow-overwrite',
      '--yes',
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('recovery reaches the target and pauses');
    expect((await psql('ssh-pg1', "SELECT pg_is_in_recovery() || ' ' || pg_get_wal_replay_pause_state()")).trim()).toBe(
      'true paused',
    );
    expect(await checksum('ssh-pg1')).toBe(first);
    await psql('ssh-pg1', 'SELECT pg_wal_replay_resume()');
    let primary = '';
    for (let i = 0; i < 30 && primary !== 'f'; i += 1) {
      primary = (await psql('ssh-pg1', 'SELECT pg_is_in_recovery()')).trim();
      if (primary !== 'f') await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(primary, 'promoted after resume').toBe('f');
    expect(await checksum('ssh-pg1')).toBe(first);
    // pgBackRest's recovery settings are still in postgresql.auto.conf: drift that apply tidies.
    await converge(SSH);
    await expectNoChanges(SSH);
  }, 600_000);

  it('a clone on the backup host answers with the data at the target, leaves the source alone and pushes no WAL into the stanza', async () => {
    const path = '/var/lib/bsync-clones/pgedge-lab-1';
    // Resets leave /var/lib/bsync-clones as it is: a clone an earlier run left would be refused.
    await removeClone('ssh-backup1', path);
    try {
      await expectClone({
        config: SSH,
        host: 'ssh-backup1',
        user: 'backrest',
        source: 'ssh-pg1',
        reader: { host: 'ssh-backup1', user: 'backrest' },
        path,
        port: 5433,
      });
    } finally {
      await removeClone('ssh-backup1', path);
    }
  }, 600_000);

  it('a clone beside what other local users can write is refused by name, and nothing is written through the marker link one planted', async () => {
    // /tmp (private to the host, 1777): postgres plants the marker a clone there would get,
    // pointing at root's own file in the host's private /etc.
    const path = '/tmp/bsync-clone-planted';
    const standIn = () =>
      sh('ssh-backup1', 'stat -c "%U %g %a %s" /etc/bsync-standin && sha256sum < /etc/bsync-standin');
    await sh(
      'ssh-backup1',
      `printf 'root stand-in: nobody writes here\\n' > /etc/bsync-standin && chmod 0600 /etc/bsync-standin && rm -f ${path}.bsync-clone && runuser -u postgres -- ln -s /etc/bsync-standin ${path}.bsync-clone`,
    );
    const before = await standIn();
    expect(before).toMatch(/^root 0 600 /);
    try {
      const run = await restore(SSH, '--zone', '1', '--to', `ssh-backup1:${path}`, '--port', '5434', '--yes');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        '/tmp is not safe for root to work in: it is writable by group or others (mode 1777). a clone goes into a folder only root can change',
      );
      expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
      expect(await standIn()).toBe(before);
      expect(await sh('ssh-backup1', `ls -A /tmp | grep '^bsync-clone-planted' || true`)).toBe(
        'bsync-clone-planted.bsync-clone\n',
      );
    } finally {
      await onHost('ssh-backup1', `rm -f ${path}.bsync-clone /etc/bsync-standin`);
    }
  }, 600_000);

  it('bsync backup --type incr runs on the backup host, prints the new label, and status lists it', async () => {
    await expectBackup(SSH, 'ssh-backup1', ['--zone', '1']);
  }, 600_000);

  it('refuses at plan time what it cannot do, and the server keeps running untouched', async () => {
    const pid = await postmaster('ssh-pg1');
    expect(pid).toMatch(/^\d+$/);
    const cases: Array<{ args: string[]; message: RegExp }> = [
      {
        args: ['--target', 'time=2001-01-01T00:00:00Z', '--allow-overwrite'],
        message: /is before the recovery window of repo1: \S+ \(backup \d{8}-\d{6}F consistent\)/,
      },
      { args: ['--target', 'time=2099-01-01T00:00:00Z', '--allow-overwrite'], message: /is in the future/ },
      { args: ['--target', 'lsn=FF/0', '--allow-overwrite'], message: /past the end of the recovery window/ },
      { args: ['--target', 'time=yesterday'], message: /the time needs a date, a time and a zone/ },
      { args: [], message: /ssh-pg1 runs PostgreSQL on port 5432 as a primary: a restore stops it/ },
      { args: ['--set', '20000101-000000F', '--allow-overwrite'], message: /holds no valid backup set of that label/ },
      { args: ['--repo', '2', '--allow-overwrite'], message: /the stanza has no repo2/ },
      {
        args: ['--to', 'ssh-pg1:/var/lib/postgresql/15/main'],
        message: /overlaps the data directory of the server there/,
      },
      { args: ['--to', 'ssh-pg2'], message: /--to ssh-pg2: that host cannot read pgedge-lab-1's repository/ },
      { args: ['--to', 'ssh-pg1:relative/dir'], message: /the folder must be an absolute path/ },
      { args: ['--port', '5433'], message: /--port goes with --to/ },
    ];
    for (const { args, message } of cases) {
      const run = await restore(SSH, '--zone', '1', '--yes', ...args);
      expect(run.code, `${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(STACK_TRACE);
    }
    // No cipher passphrase to give pgBackRest: refused, naming the key and what to do.
    const missing = await restoreWith(
      (text) => text.replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "BSYNC_TEST_NO_CIPHER" }'),
      ['--allow-overwrite'],
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cipher_pass.*the environment variable BSYNC_TEST_NO_CIPHER is not set/);
    expect(missing.stderr).not.toMatch(STACK_TRACE);
    // The repository cannot be read where the restore reads it (here: its stanza folder
    // closed to the repository user): refused, naming the repository and its host.
    await sh('ssh-backup1', 'chmod 000 /home/backrest/backup/pgedge-lab-1');
    const unreadable = await restore(SSH, '--zone', '1', '--allow-overwrite', '--yes');
    await sh('ssh-backup1', 'chmod 0750 /home/backrest/backup/pgedge-lab-1');
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/repo1 of pgedge-lab-1 cannot be read from ssh-backup1/);
    // The passphrase gone from the backup host's pgbackrest.conf: the repository cannot be
    // decrypted where the restore reads it, refused naming it and what pgBackRest misses.
    await sh('ssh-backup1', `sed -i '/^repo1-cipher-pass=/d' /etc/pgbackrest/pgbackrest.conf`);
    const noHostPassphrase = await restore(SSH, '--zone', '1', '--allow-overwrite', '--yes');
    expect(noHostPassphrase.code).toBe(1);
    expect(noHostPassphrase.stderr).toMatch(
      /repo1 of pgedge-lab-1 cannot be read from ssh-backup1: .*requires option: repo1-cipher-pass/,
    );
    expect(await postmaster('ssh-pg1')).toBe(pid);
    await converge(SSH);
  }, 600_000);

  it('refuses a clone onto a file system with too little space, naming both sizes, before anything stops or is written', async () => {
    // A 16 MiB file system on the backup host: the backup set restores to more than that.
    await sh('ssh-backup1', 'mkdir -p /mnt/small && mount -t tmpfs -o size=16m,mode=0755 tmpfs /mnt/small');
    try {
      const pid = await postmaster('ssh-pg1');
      const run = await restore(SSH, '--zone', '1', '--to', 'ssh-backup1:/mnt/small/clone', '--port', '5434', '--yes');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/needs about \d+ MiB; \d+ MiB can be had there/);
      expect(run.stderr).not.toMatch(STACK_TRACE);
      expect(await sh('ssh-backup1', 'ls -A /mnt/small')).toBe('');
      expect(await postmaster('ssh-pg1')).toBe(pid);
    } finally {
      await onHost('ssh-backup1', 'umount /mnt/small; rmdir /mnt/small');
    }
  }, 300_000);

  it('a saved restore plan applies once it still holds, and is refused as stale when the server changed', async () => {
    const { target, first } = await twoBatches('ssh-pg1');
    const file = join(work, 'restore.plan.json');
    const saved = await restore(SSH, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--out', file);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain(`bsync apply ${file}`);
    // The server stopped by hand since: the plan's stop step no longer fits.
    await sh('ssh-pg1', 'pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast');
    const stale = await bsync(['apply', '-c', SSH, file]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('the saved plan is stale');
    expect(stale.stderr).toContain('ssh-pg1.pg_stop: no longer needs a change');
    expect(stale.stderr).toContain('Make a new plan with: bsync restore --host ssh-pg1 --target');
    expect(await postmaster('ssh-pg1')).toBe('');
    // A stopped server is restored without --allow-overwrite, from a plan saved now.
    const again = await restore(SSH, '--zone', '1', '--target', `time=${target}`, '--out', file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('PostgreSQL does not run on ssh-pg1');
    expect(again.stdout).not.toContain('pg_stop');
    const applied = await bsync(['apply', '-c', SSH, file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await checksum('ssh-pg1')).toBe(first);
    await expectNoChanges(SSH);
  }, 600_000);

  // Every boundary of a restore, in the order it runs; `serverRuns` is what the step leaves
  // (undefined: either, as the kill may land before or after pg_ctl has acted).
  const STEPS = ['restore_wal', 'pg_stop', 'pg_restore', 'pg_start', 'recovery_end', 'archive_check'];
  const LEFT: Record<string, boolean | undefined> = {
    restore_wal: true,
    pg_stop: undefined,
    pg_restore: false,
    pg_start: undefined,
    recovery_end: true,
    archive_check: true,
  };
  it.each(killSample('standalone', STEPS, 3).map((step) => ({ step, serverRuns: LEFT[step] })))(
    'killed while $step runs: the rerun ends at the target',
    async ({ step, serverRuns }) => {
      const { target, first } = await twoBatches('ssh-pg1');
      const before = await timeline('ssh-pg1');
      const args = ['restore', '-c', SSH, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--yes'];
      // The kill lands at this boundary: the step has started, the next one has not.
      const next = STEPS[STEPS.indexOf(step) + 1];
      await killWhile(args, `ssh-pg1: ${step}...`, next && `ssh-pg1: ${next}...`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      if (serverRuns !== undefined) expect((await postmaster('ssh-pg1')) !== '').toBe(serverRuns);
      const rerun = await bsync(args);
      await expectRestored('ssh-pg1', rerun, first, before);
      await expectNoChanges(SSH);
    },
    600_000,
  );
  // A clone's boundaries, in order: the source's WAL, then the clone host's four steps.
  const CLONE_STEPS = [
    'ssh-pg1: restore_wal',
    'ssh-backup1: clone_prepare',
    'ssh-backup1: clone_restore',
    'ssh-backup1: clone_configure',
    'ssh-backup1: clone_start',
  ];
  it.each(killSample('clone', CLONE_STEPS, 2))(
    'a clone killed while %s runs: the rerun starts it with the data at the target, without --allow-overwrite',
    async (step) => {
      const path = '/var/lib/bsync-clones/pgedge-lab-1';
      const { target, first } = await twoBatches('ssh-pg1');
      const pid = await postmaster('ssh-pg1');
      const args = ['restore', '-c', SSH, '--zone', '1', '--to', `ssh-backup1:${path}`, '--port', '5433'];
      const all = [...args, '--target', `time=${target}`, '--yes'];
      try {
        const next = CLONE_STEPS[CLONE_STEPS.indexOf(step) + 1];
        await killWhile(all, `${step}...`, next && `${next}...`);
        const rerun = await bsync(all);
        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        const sql = `SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM restore_probe`;
        expect((await onClone('ssh-backup1', 'backrest', path, 5433, sql)).trim()).toBe(first);
        expect(await onClone('ssh-backup1', 'backrest', path, 5433, 'SHOW archive_mode')).toBe('off\n');
        // One clone server in the folder, and the source never stopped.
        expect(await sh('ssh-backup1', `pgrep -u backrest -fc 'postgres -D ${path}$' || true`)).toBe('1\n');
        expect(await postmaster('ssh-pg1')).toBe(pid);
      } finally {
        await removeClone('ssh-backup1', path);
      }
    },
    600_000,
  );
});

describe('bsync restore, s3 repository', () => {
  beforeAll(async () => {
    await resetScenario('s3');
    await converge(S3);
  }, 600_000);
  afterAll(async () => {
    await onHost('s3-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('bsync backup --type incr runs on the primary into the bucket, prints the new label, and status lists it', async () => {
    await expectBackup(S3, 's3-pg1', ['--zone', '1']);
  }, 600_000);

  it("a clone of zone 1 on zone 2's server, beside its own cluster, from the bucket: the data at the target, no WAL pushed", async () => {
    const path = '/var/lib/bsync-clones/zone1';
    try {
      await expectClone({
        config: S3,
        host: 's3-pg2',
        user: 'postgres',
        source: 's3-pg1',
        reader: { host: 's3-pg1', user: 'postgres' },
        path,
        port: 5440,
      });
    } finally {
      await removeClone('s3-pg2', path);
    }
  }, 600_000);

  it('recovers to a time between two commits from the bucket, archives again, no changes after', async () => {
    const { target, first } = await twoBatches('s3-pg1');
    const before = await timeline('s3-pg1');
    const run = await restore(S3, '--host', 's3-pg1', '--target', `time=${target}`, '--allow-overwrite', '--yes');
    expect(run.stdout).toContain('repository: repo1 (s3)');
    await expectRestored('s3-pg1', run, first, before);
    await expectNoChanges(S3);
  }, 600_000);
});

describe('a standby from the repository: plain streaming replication, no Patroni', () => {
  const zoneOfTwo = () => zoneOfTwoIn(work);

  beforeAll(async () => {
    await resetScenario('ssh');
    const config = zoneOfTwo();
    // Both servers run as primaries of their own until ssh-pg2 is rebuilt: zone 1's stanza
    // exists with a full backup of ssh-pg1 before ssh-pg2 joins the zone's config.
    await converge(SSH);
    await converge(config);
  }, 900_000);

  it("a replica wiped on disk comes back from the backup host's repository, streams from the primary, and the zone plans no changes", async () => {
    const config = zoneOfTwo();
    await wipeForStandby('ssh-pg1', 'ssh-pg2');
    await psql('ssh-pg1', 'DROP TABLE IF EXISTS restore_probe');
    await psql('ssh-pg1', 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql('ssh-pg1', 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 3000) g');
    const run = await restore(config, '--host', 'ssh-pg2', '--standby', '--yes');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('PostgreSQL does not run on ssh-pg2');
    expect((await psql('ssh-pg2', 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
    await expectStreaming('ssh-pg1', 'ssh-pg2');
    // What the primary writes now reaches the standby.
    await psql('ssh-pg1', "INSERT INTO restore_probe SELECT g, 'after' FROM generate_series(3001, 3500) g");
    await expectReplayed('ssh-pg1', 'ssh-pg2');
    await expectNoChanges(config);
    // The primary cannot be rebuilt as a standby.
    const refused = await restore(config, '--host', 'ssh-pg1', '--standby', '--allow-overwrite', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ssh-pg1 runs as a primary');
  }, 900_000);

  it('backup_from = "standby": the backup host takes the next backup from the streaming replica', async () => {
    const config = join(work, 'zone-of-two-standby.toml');
    writeFileSync(
      config,
      readFileSync(zoneOfTwo(), 'utf8').replace('pg_version = 15\n', 'pg_version = 15\nbackup_from = "standby"\n'),
    );
    await converge(config);
    expect(await sh('ssh-backup1', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('backup-standby=y\n');
    const before = await standbyReads('ssh-backup1', 'pgedge-lab-1');
    const run = await bsync(['backup', '-c', config, '--type', 'incr']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await standbyReads('ssh-backup1', 'pgedge-lab-1')).toBe(before + 1);
    await expectNoChanges(config);
  }, 600_000);
});
