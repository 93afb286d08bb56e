// Backups proven by restores, on the lab: `bsync status` tells the newest backups and how
// archiving goes (and when it fails), `bsync verify` restores and starts them (and fails
// on a damaged backup set or a hole in the WAL archive, leaving nothing behind, even when
// killed), and the metrics files parse with a Prometheus text-format parser and hold what
// status shows.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE, startBsync } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';

const SSH = `${FIXTURES}lab/ssh.toml`;
const S3 = `${FIXTURES}lab/s3.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-verify-'));
const schema = (name: string) =>
  new Ajv.default({ strict: true }).compile(
    JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')),
  );
const validStatus = schema('status.schema.json');
const validVerify = schema('verify.schema.json');

interface PromFamily {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}

function readMetrics(path: string): Map<string, PromFamily> {
  const families = parsePrometheus(readFileSync(path, 'utf8')) as PromFamily[];
  return new Map(families.map((family) => [family.name, family]));
}

function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string>): number | undefined {
  const found = families
    .get(name)
    ?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
  return found === undefined ? undefined : Number(found.value);
}

async function converge(config: string): Promise<void> {
  const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
}

async function status(config: string, ...args: string[]) {
  const run = await bsync(['status', '-c', config, '--json', ...args]);
  expect(run.code, run.stderr).toBe(0);
  const report = JSON.parse(run.stdout);
  expect(validStatus(report), JSON.stringify(validStatus.errors)).toBe(true);
  return report;
}

/**
 * No scratch folder of the stanza and no throwaway server may stay behind on the host. (The
 * lab's hosts share /var/tmp: the other lane's verify on azure-pg1 may have a folder there now.)
 */
async function expectNothingLeft(host: string, stanza: string): Promise<void> {
  expect(await sh(host, `ls -A /var/tmp/bsync-verify 2>/dev/null | grep '^${stanza}\\.' || true`)).toBe('');
  expect(await sh(host, `ps -eo args | grep '^postgres: bsync-verify-${stanza}' || true`)).toBe('');
}

const psql = (sql: string) => `runuser -u postgres -- psql -XAtq -c ${JSON.stringify(sql)}`;

describe('status and verify on ssh repositories', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH);
  }, 600_000);

  it('status shows the first full backup with its size, and working archiving', async () => {
    const report = await status(SSH);
    expect(report.stanzas.map((stanza: { stanza: string }) => stanza.stanza)).toEqual(['pgedge-lab-1', 'pgedge-lab-2']);
    for (const stanza of report.stanzas) {
      expect(stanza.statusCode).toBe(0);
      expect(stanza.newest.full.sizeBytes).toBeGreaterThan(10_000_000);
      expect(stanza.newest.full.ageSeconds).toBeLessThan(600);
      expect(stanza.newest.diff).toBeNull();
      expect(stanza.walArchive.max).toMatch(/^[0-9A-F]{24}$/);
      expect(stanza.archiving.failing).toBe(false);
      // What PostgreSQL archived last: a segment, or the first backup's history file.
      expect(stanza.archiving.lastArchivedWal).toMatch(/^[0-9A-F]{24}(\.[0-9A-F]{8}\.backup)?$/);
      expect(stanza.problems).toEqual([]);
    }
    const text = await bsync(['status', '-c', SSH]);
    expect(text.stdout).toMatch(/^pgedge-lab-1\s+repo1 ssh\s+ok\s+\d+[sm] ago, \d+ MiB\s+-/m);
  });

  it('after a diff backup status shows both, and its metrics file holds what status shows', async () => {
    await sh('ssh-backup1', 'cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-lab-1 --type=diff backup');
    const prom = join(work, 'status.prom');
    const report = await status(SSH, '--prom-file', prom);
    const [zone1] = report.stanzas;
    expect(zone1.newest.diff.label).toMatch(/^\d{8}-\d{6}F_\d{8}-\d{6}D$/);
    expect(zone1.backupCount).toBe(2);
    const metrics = readMetrics(prom);
    for (const type of ['full', 'diff']) {
      const labels = { stanza: 'pgedge-lab-1', repo: 'repo1', type };
      expect(sample(metrics, 'bsync_backup_size_bytes', labels)).toBe(zone1.newest[type].sizeBytes);
      expect(
        Math.abs(sample(metrics, 'bsync_backup_age_seconds', labels)! - zone1.newest[type].ageSeconds),
      ).toBeLessThanOrEqual(2);
    }
    expect(sample(metrics, 'bsync_backup_age_seconds', { stanza: 'pgedge-lab-2', type: 'diff' })).toBeUndefined();
    expect(sample(metrics, 'bsync_archive_failing', { stanza: 'pgedge-lab-1', host: 'ssh-pg1' })).toBe(0);
    expect(sample(metrics, 'bsync_archive_archived_total', { stanza: 'pgedge-lab-1' })).toBe(
      zone1.archiving.archivedCount,
    );
    expect(metrics.get('bsync_archive_failed_total')?.type).toBe('COUNTER');
    expect(sample(metrics, 'bsync_run_success', { command: 'status' })).toBe(1);
  });

  it('status shows archiving broken on purpose, with the failure and its time', async () => {
    // Some WAL to archive after the switch: a switch with nothing written since the last one archives nothing.
    await sh(
      'ssh-pg1',
      `cd / && ${psql("ALTER SYSTEM SET archive_command = 'false'")} && ${psql('SELECT pg_reload_conf()')} && sleep 1 && ${psql("SELECT pg_logical_emit_message(false, 'test', 'x')")} && ${psql('SELECT pg_switch_wal()')}`,
    );
    try {
      let [zone1] = (await status(SSH)).stanzas;
      for (let attempt = 1; attempt < 20 && !zone1.archiving.failing; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        [zone1] = (await status(SSH)).stanzas;
      }
      expect(zone1.archiving.failing).toBe(true);
      expect(zone1.archiving.failedCount).toBeGreaterThan(0);
      expect(Date.parse(zone1.archiving.lastFailedAt)).toBeGreaterThan(Date.now() - 120_000);
      expect(zone1.problems.join('\n')).toMatch(/WAL archiving fails: [0-9A-F]{24} failed at \d{4}-/);
      const text = await bsync(['status', '-c', SSH]);
      expect(text.stdout).toContain('FAILING since');
      expect(text.stdout).toMatch(/Needs attention:\n {2}pgedge-lab-1: WAL archiving fails/);
    } finally {
      await sh(
        'ssh-pg1',
        `cd / && ${psql('ALTER SYSTEM RESET archive_command')} && ${psql('SELECT pg_reload_conf()')}`,
      );
    }
    for (let attempt = 0; attempt < 30; attempt += 1) {
      if (!(await status(SSH)).stanzas[0].archiving.failing) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }, 120_000);

  it('verify restores the newest backup of each stanza, starts it apart from the cluster, and removes it', async () => {
    const prom = join(work, 'verify.prom');
    const run = await bsync(['verify', '-c', SSH, '--json', '--prom-file', prom]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(validVerify(report), JSON.stringify(validVerify.errors)).toBe(true);
    expect(report.stanzas.map((result: { host: string }) => result.host)).toEqual(['ssh-backup1', 'ssh-backup2']);
    for (const result of report.stanzas) {
      expect(result.ok).toBe(true);
      expect(result.checks.map((check: { name: string }) => check.name)).toEqual([
        'recovery finished',
        'version',
        'isolated',
        'databases',
      ]);
      expect(result.databases).toContain('postgres');
      expect(result.cleanedUp).toBe(true);
      expect(result.scratchBytes).toBeGreaterThan(result.sizeBytes);
    }
    expect(report.stanzas[0].label).toMatch(/D$/); // the diff is the newest of zone 1
    const metrics = readMetrics(prom);
    expect(sample(metrics, 'bsync_verify_success', { stanza: 'pgedge-lab-1', host: 'ssh-backup1' })).toBe(1);
    expect(sample(metrics, 'bsync_verify_restored_bytes', { stanza: 'pgedge-lab-2' })).toBe(
      report.stanzas[1].sizeBytes,
    );
    expect(sample(metrics, 'bsync_run_success', { command: 'verify' })).toBe(1);
    for (const [host, stanza] of [
      ['ssh-backup1', 'pgedge-lab-1'],
      ['ssh-backup2', 'pgedge-lab-2'],
    ])
      await expectNothingLeft(host, stanza);
    // The real clusters kept running as they were.
    expect(await sh('ssh-pg1', `cd / && ${psql('SELECT pg_is_in_recovery()')}`)).toBe('f\n');
    const plan = await bsync(['plan', '-c', SSH, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  }, 300_000);

  it('refuses to restore where the scratch path lacks room, saying how much is needed and free', async () => {
    await sh('ssh-backup1', 'mkdir -p /root/tiny && mount -t tmpfs -o size=4M tmpfs /root/tiny');
    try {
      const config = join(work, 'tiny.toml');
      writeFileSync(config, `${readFileSync(SSH, 'utf8')}\n[verify]\npath = "/root/tiny/verify"\n`);
      const run = await bsync(['verify', '-c', config, '--stanza', 'pgedge-lab-1']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('pgedge-lab-1 on ssh-backup1: FAILED at space');
      expect(run.stdout).toMatch(/needs \d+ bytes under \/root\/tiny\/verify, \d+ are free/);
      expect(await sh('ssh-backup1', 'ls -A /root/tiny/verify | grep -v "^\\." || true')).toBe('');
    } finally {
      await sh('ssh-backup1', 'umount /root/tiny');
    }
  });

  it('a damaged backup set fails verify, naming what failed, and leaves nothing behind', async () => {
    const [zone1] = (await status(SSH)).stanzas;
    const full = zone1.newest.full.label;
    // The data files travel in bundles (repo1-bundle=y, bsync's default): the largest one is spoiled.
    const file = (
      await sh('ssh-backup1', `ls -S /home/backrest/backup/pgedge-lab-1/${full}/bundle/* | head -n 1`)
    ).trim();
    await sh('ssh-backup1', `cp ${file} /root/saved.gz && printf garbage > ${file}`);
    try {
      const run = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-1', '--set', full]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`pgedge-lab-1 on ssh-backup1: FAILED at restore`);
      expect(run.stdout).toMatch(/ERROR: \[\d+\]/);
      expect(run.stdout).toContain('Verify: 0 of 1 stanza verified.');
      expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
      await expectNothingLeft('ssh-backup1', 'pgedge-lab-1');
    } finally {
      await sh('ssh-backup1', `mv /root/saved.gz ${file} && chown backrest: ${file}`);
    }
  }, 300_000);

  it('the recovery point check catches a WAL segment removed from the archive', async () => {
    const passed = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-1', '--recovery-point']);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toMatch(/ok {3}recovery point: replayed past the marker [0-9A-F]+\/[0-9A-F]+/);
    // A segment written after the newest backup and before the next marker goes missing.
    const newestBefore = (await status(SSH)).stanzas[0].walArchive.max;
    await sh(
      'ssh-pg1',
      `cd / && ${psql('CREATE TABLE IF NOT EXISTS verify_probe (x int)')} && ${psql('SELECT pg_switch_wal()')} && ${psql('INSERT INTO verify_probe VALUES (1)')} && ${psql('SELECT pg_switch_wal()')}`,
    );
    const folder = '/home/backrest/archive/pgedge-lab-1/15-1/0000000100000000';
    let newer: string[] = [];
    for (let attempt = 0; attempt < 40 && newer.length < 2; attempt += 1) {
      newer = (await sh('ssh-backup1', `ls ${folder}`))
        .split('\n')
        .filter((name) => /^[0-9A-F]{24}-/.test(name) && name.slice(0, 24) > newestBefore)
        .sort();
      if (newer.length < 2) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(newer.length).toBeGreaterThanOrEqual(2);
    const victim = newer[0];
    await sh('ssh-backup1', `mv ${folder}/${victim} /root/${victim}`);
    try {
      const run = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-1', '--recovery-point', '--json']);
      expect(run.code).toBe(1);
      const [result] = JSON.parse(run.stdout).stanzas;
      expect(result.ok).toBe(false);
      const check = result.checks.find((entry: { name: string }) => entry.name === 'recovery point');
      expect(check.ok).toBe(false);
      expect(check.detail).toMatch(
        /restored only to [0-9A-F]+\/[0-9A-F]+, before the marker .*WAL between the backup and the marker is missing from the archive/,
      );
      await expectNothingLeft('ssh-backup1', 'pgedge-lab-1');
    } finally {
      await sh('ssh-backup1', `mv /root/${victim} ${folder}/${victim}`);
    }
  }, 300_000);

  it('killed mid-verify (SIGKILL), it leaves nothing behind that the next verify does not clean up; that one passes', async () => {
    const running = startBsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-2']);
    // Kill once the throwaway server is up on the host: it must have come up, or the kill proves nothing.
    let up = false;
    for (let attempt = 0; attempt < 300 && !up; attempt += 1) {
      up =
        (await onHost('ssh-backup2', `ps -eo args | grep -c '^postgres: bsync-verify-pgedge-lab-2'`)).stdout.trim()
        !== '0';
      if (!up) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(up, 'the throwaway server came up before the kill').toBe(true);
    running.child.kill('SIGKILL');
    const killed = await running.done;
    expect(killed.code, 'verify was killed, not finished').toBe(128);
    let left = 'unknown';
    for (let attempt = 0; attempt < 30; attempt += 1) {
      left = (
        await onHost(
          'ssh-backup2',
          `ls -A /var/tmp/bsync-verify | grep -c '^pgedge-lab-2\\.'; ps -eo args | grep -c '^postgres: bsync-verify-pgedge-lab-2'`,
        )
      ).stdout;
      if (left === '0\n0\n') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(left).toBe('0\n0\n');
    const again = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-2']);
    expect(again.code, again.stdout).toBe(0);
    await expectNothingLeft('ssh-backup2', 'pgedge-lab-2');
  }, 300_000);

  // A local user of the verify host (postgres on ssh-backup1, where backrest restores) who
  // gets to the folder first, or the restoring user planting in a folder it owns: root
  // writes, reads and kills nothing through what they leave. The stand-in is root's own
  // file, in the host's private /etc; /tmp is private to the host too.
  describe('local users on the verify host', () => {
    const STANDIN = '/etc/bsync-standin';
    const standIn = () => sh('ssh-backup1', `stat -c '%U %g %a %s' ${STANDIN} && sha256sum < ${STANDIN}`);
    let before = '';
    beforeAll(async () => {
      await sh('ssh-backup1', `printf 'root stand-in: nobody writes here\\n' > ${STANDIN} && chmod 0600 ${STANDIN}`);
      before = await standIn();
      expect(before).toMatch(/^root 0 600 /);
    });

    it('a verify folder a local user made first is refused by name; nothing is written through the links planted in it', async () => {
      const base = '/tmp/bsync-verify-planted';
      const config = join(work, 'planted.toml');
      writeFileSync(config, `${readFileSync(SSH, 'utf8')}\n[verify]\npath = "${base}"\n`);
      await sh(
        'ssh-backup1',
        `rm -rf ${base} && runuser -u postgres -- sh -c 'mkdir -m 0777 ${base} && ln -s ${STANDIN} ${base}/.pgedge-lab-1.lock && ln -s ${STANDIN} ${base}/pgedge-lab-1'`,
      );
      try {
        const run = await bsync(['verify', '-c', config, '--stanza', 'pgedge-lab-1']);
        expect(run.code, run.stdout + run.stderr).toBe(1);
        expect(run.stdout).toContain('pgedge-lab-1 on ssh-backup1: FAILED at folder');
        expect(run.stdout).toContain(
          `${base} is not safe for root to work in: it is owned by postgres, not root. bsync makes it itself (root-owned, mode 0711)`,
        );
        expect(run.stdout).toContain('set [verify] path to another folder');
        expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
        expect(await standIn()).toBe(before);
        // The folder is as its owner left it: not chmodded, nothing added.
        expect(await sh('ssh-backup1', `stat -c '%U %a' ${base} && ls -A ${base}`)).toBe(
          'postgres 777\n.pgedge-lab-1.lock\npgedge-lab-1\n',
        );
        expect(await sh('ssh-backup1', `ps -eo args | grep -c '^postgres: bsync-verify-' || true`)).toBe('0\n');
      } finally {
        await sh('ssh-backup1', `rm -rf ${base}`);
      }
    }, 300_000);

    it("what the restoring user left in an interrupted run's folder (links, a pid file naming root's process) is removed as theirs; verify then passes", async () => {
      const leftover = '/var/tmp/bsync-verify/pgedge-lab-1.plantedABC';
      // A root process the pid file names: the old cleanup killed it with kill -9, as root.
      const victim = (
        await sh('ssh-backup1', 'cd / && { setsid sleep 900 </dev/null >/dev/null 2>&1 & echo $!; }')
      ).trim();
      expect(victim).toMatch(/^\d+$/);
      // What a crashed run leaves (root made the folder and gave it to backrest), and what backrest put in it.
      await sh(
        'ssh-backup1',
        [
          `install -d -o backrest -g backrest -m 0700 ${leftover}`,
          `runuser -u backrest -- sh -c 'mkdir ${leftover}/data && echo ${victim} > ${leftover}/data/postmaster.pid && ln -s ${STANDIN} ${leftover}/verify.conf && ln -s ${STANDIN} ${leftover}/pg_hba.conf && ln -s ${STANDIN} ${leftover}/data/postgresql.auto.conf && ln -s ${STANDIN} ${leftover}/server.log'`,
        ].join(' && '),
      );
      try {
        const run = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-1', '--json']);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        const [result] = JSON.parse(run.stdout).stanzas;
        expect(result).toMatchObject({ ok: true, leftoversRemoved: true, cleanedUp: true });
        expect(await standIn()).toBe(before);
        expect((await onHost('ssh-backup1', `kill -0 ${victim}`)).code).toBe(0);
        expect(await sh('ssh-backup1', 'stat -c "%U %a" /var/tmp/bsync-verify')).toBe('root 711\n');
        await expectNothingLeft('ssh-backup1', 'pgedge-lab-1');
      } finally {
        await onHost('ssh-backup1', `kill ${victim}; rm -rf ${leftover}`);
      }
    }, 300_000);
  });

  it('plan --prom-file counts drift per host and kind', async () => {
    await sh('ssh-backup1', `crontab -u backrest -l | grep -v 'bsync:diff' | crontab -u backrest -`);
    const prom = join(work, 'plan.prom');
    const run = await bsync(['plan', '-c', SSH, '--detailed-exitcode', '--prom-file', prom]);
    expect(run.code).toBe(2);
    const metrics = readMetrics(prom);
    expect(sample(metrics, 'bsync_drift_actions', { host: 'ssh-backup1', kind: 'crontab' })).toBe(1);
    expect(sample(metrics, 'bsync_drift_host_actions', { host: 'ssh-pg1' })).toBe(0);
    expect(sample(metrics, 'bsync_run_success', { command: 'plan' })).toBe(1);
    await converge(SSH);
    const bad = await bsync(['plan', '-c', join(work, 'missing.toml'), '--prom-file', prom]);
    expect(bad.code).toBe(1);
    expect(sample(readMetrics(prom), 'bsync_run_success', { command: 'plan' })).toBe(0);
  }, 120_000);
});

describe('status and verify on s3 repositories', () => {
  beforeAll(async () => {
    await resetScenario('s3');
    await converge(S3);
  }, 600_000);

  it("status shows the full backup in the bucket; verify restores it on the zone's primary, apart from its cluster", async () => {
    const report = await status(S3);
    for (const stanza of report.stanzas) {
      expect(stanza.repo.type).toBe('s3');
      expect(stanza.newest.full.sizeBytes).toBeGreaterThan(10_000_000);
      expect(stanza.archiving.failing).toBe(false);
    }
    // With a query of the operator's and pg_amcheck on the catalogs too.
    const config = join(work, 's3-checks.toml');
    writeFileSync(
      config,
      `${readFileSync(S3, 'utf8')}\n[verify]\namcheck = true\nquery = "SELECT count(*) FROM pg_class"\n`,
    );
    const run = await bsync(['verify', '-c', config, '--recovery-point']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ok {3}query: \d+/);
    expect(run.stdout).toContain('ok   amcheck: system catalogs of every database');
    expect(run.stdout).toContain('pgedge-lab-1 on s3-pg1: verified');
    expect(run.stdout).toContain('pgedge-lab-2 on s3-pg2: verified');
    expect(run.stdout).toMatch(/ok {3}recovery point: replayed past the marker/);
    await expectNothingLeft('s3-pg1', 'pgedge-lab-1');
    expect(await sh('s3-pg1', `cd / && ${psql('SELECT pg_is_in_recovery()')}`)).toBe('f\n');
    const plan = await bsync(['plan', '-c', S3, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  }, 300_000);
});
