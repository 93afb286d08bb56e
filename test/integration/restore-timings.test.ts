// How long the database is down, told as it happens and after: a restore on the lab shows
// pgBackRest's progress and WAL replayed on a terminal (through script(1)'s pty), and its
// report's phases (text, JSON, metrics) add up to the whole; clone and verify report theirs.
// On two cores pgBackRest restores with two processes. ssh scenario, pgBackRest 2.45.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../lib/formats/shell.js';
import { BSYNC, bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { converge, psql, removeClone, restore } from '../support/recovery.js';

const SSH = `${FIXTURES}lab/ssh.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-timings-'));

interface Timings {
  phases: Array<{ phase: string; seconds: number }>;
  totalSeconds: number;
}

/**
 * The phases sum to the whole within a small margin: nothing the operator waited for is left
 * out. `outside`: what no phase can time, a verify's script reaching its host and setting up
 * before its first step (its own clock), up to a second on the lab.
 */
function expectAddsUp(phases: Array<{ seconds: number }>, total: number, outside = 0): void {
  const sum = phases.reduce((acc, part) => acc + part.seconds, 0);
  expect(sum).toBeLessThanOrEqual(total + 0.05);
  expect(total - sum, `phases ${sum} s of ${total} s`).toBeLessThan(Math.max(0.5, total * 0.05) + outside);
}

/** WAL worth replaying for a few seconds: rows written after the backup the restore starts from. */
async function writeAfterBackup(): Promise<void> {
  await psql('ssh-pg1', 'DROP TABLE IF EXISTS timings_probe');
  await psql(
    'ssh-pg1',
    'CREATE TABLE timings_probe AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 600000) g',
  );
}

describe('restore timings and progress', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH);
    // Files enough that pgBackRest reports its progress file by file.
    await sh('ssh-pg1', 'cd / && runuser -u postgres -- pgbench -i -s 5 -q postgres >/dev/null 2>&1');
    const backup = await bsync(['backup', '-c', SSH, '--zone', '1', '--type', 'full']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  }, 600_000);

  it('JSON and metrics: every phase of a restore, adding up to the whole, pgBackRest with the host cores', async () => {
    await writeAfterBackup();
    const prom = join(work, 'restore.prom');
    const started = Date.now();
    const run = await restore(SSH, '--zone', '1', '--allow-overwrite', '--yes', '--json', '--prom-file', prom);
    const wall = (Date.now() - started) / 1000;
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { timings: Timings; plan: { actions: unknown[] } };
    const phases = report.timings.phases.map((part) => part.phase);
    expect(phases).toEqual([
      'plan and checks',
      'archive the WAL written so far',
      'stop',
      'pgBackRest restore',
      'start',
      'WAL replay',
      'promotion',
      'archive check',
    ]);
    expectAddsUp(report.timings.phases, report.timings.totalSeconds);
    expect(report.timings.totalSeconds).toBeLessThanOrEqual(wall);
    const metrics = readFileSync(prom, 'utf8');
    expect(metrics).toMatch(
      /^bsync_operation_phase_seconds\{operation="restore",phase="pgBackRest restore"\} [0-9.]+$/m,
    );
    expect(metrics).toMatch(/^bsync_operation_duration_seconds\{operation="restore"\} [0-9.]+$/m);
    // Two cores on the lab's hosts: the restore ran with both (pgBackRest logs its options).
    const log = await sh('ssh-pg1', 'cat /var/log/pgbackrest/pgedge-lab-1-restore.log');
    const last = log.slice(log.lastIndexOf('restore command begin'));
    expect(last).toMatch(/^restore command begin [0-9.]+: .*--process-max=2 /);
    expect(await psql('ssh-pg1', 'SELECT count(*) FROM timings_probe')).toBe('600000\n');
  }, 600_000);

  it('on a terminal: the share restored and the WAL replayed while they happen, then the phases', async () => {
    await writeAfterBackup();
    const command = `${shq(process.execPath)} ${shq(BSYNC)} restore -c ${shq(SSH)} --zone 1 --allow-overwrite --yes`;
    const { stdout } = await promisify(execFile)('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '200' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toContain('Apply complete');
    expect(stdout).toMatch(/ssh-pg1: pg_restore \(\d+\.\d s\) \d{1,3}% restored of \d/);
    expect(stdout).toMatch(/ssh-pg1: recovery_end \(\d+\.\d s\) WAL replayed to [0-9A-F]+\/[0-9A-F]+/);
    expect(stdout).toMatch(
      /^Phases: plan and checks [0-9.]+ s, .*pgBackRest restore [0-9.]+ s, .*WAL replay [0-9.]+ s/m,
    );
  }, 600_000);

  it('a clone and a verify report their phases too', async () => {
    // A folder of its own, removed after: restore.test's clones use the default one.
    const path = '/var/lib/bsync-clones/timings';
    try {
      const clone = await restore(
        SSH,
        '--zone',
        '1',
        '--to',
        `ssh-backup1:${path}`,
        '--port',
        '5434',
        '--yes',
        '--json',
      );
      expect(clone.code, clone.stderr).toBe(0);
      const cloned = JSON.parse(clone.stdout) as { timings: Timings };
      expect(cloned.timings.phases.map((part) => part.phase)).toEqual([
        'plan and checks',
        'archive the WAL written so far',
        'preparation',
        'pgBackRest restore',
        'WAL replay',
        'promotion',
      ]);
      expectAddsUp(cloned.timings.phases, cloned.timings.totalSeconds);
    } finally {
      await removeClone('ssh-backup1', path);
    }

    const verify = await bsync(['verify', '-c', SSH, '--stanza', 'pgedge-lab-1', '--recovery-point', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const [verified] = JSON.parse(verify.stdout).stanzas as Array<{
      phases: Timings['phases'];
      elapsedSeconds: number;
    }>;
    expect(verified.phases.map((part) => part.phase)).toEqual([
      'archive the WAL written so far',
      'preparation',
      'pgBackRest restore',
      'start',
      'checks',
      'cleanup',
    ]);
    expectAddsUp(verified.phases, verified.elapsedSeconds, 1.5);
  }, 600_000);
});
