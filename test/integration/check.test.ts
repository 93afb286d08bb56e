// Recoverability you can watch, on the lab's ssh scenario (issue 31): a scheduled backup
// made to fail (its repository folder read-only) shows in status, its metrics and bsync
// check within one run, and clears after the next success; a WAL backlog made by blocking
// archiving (archive_command = 'false') shows the same way and clears when archiving
// resumes; a recovery-window threshold breaks when a retention change (two fulls kept, then
// one) shortens the window. status and check run from a copy of the config whose secret files do not exist:
// they read no secret.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { durationText } from '../../lib/config/durations.js';
import { cronJob } from '../../lib/formats/cron.js';
import { shq } from '../../lib/formats/shell.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { converge, psql } from '../support/recovery.js';

const STANZA = 'pgedge-lab-1';
const REPO_FOLDER = `/home/backrest/backup/${STANZA}`;
const work = mkdtempSync(join(tmpdir(), 'bsync-check-'));
const schema = (name: string) =>
  new Ajv.default({ strict: true }).compile(
    JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')),
  );
const validCheck = schema('check.schema.json');
const validStatus = schema('status.schema.json');

/** The lab's ssh config with `alert` as its [alert] table; `readOnly`: its secret files moved where none exists; `fulls`: the full backups kept. */
function config(name: string, alert: string, readOnly: boolean, fulls = 1): string {
  let text = `${readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')}\n[alert]\n${alert}\n`.replace(
    'retention = { full = 1,',
    `retention = { full = ${fulls},`,
  );
  if (readOnly) text = text.replaceAll('/var/tmp/bsync-lab/secrets/', '/nonexistent/bsync-secrets/');
  const path = join(work, `${name}.toml`);
  writeFileSync(path, text);
  return path;
}

const APPLY = config('apply', '', false);
const JOBS = config('jobs', 'max_backup_age = "26h"', true);
const WAL = config('wal', 'max_wal_backlog = 1\nmax_archive_lag = "5s"', true);

async function status(path: string, ...args: string[]) {
  const run = await bsync(['status', '-c', path, '--json', ...args]);
  expect(run.code, run.stderr).toBe(0);
  const report = JSON.parse(run.stdout);
  expect(validStatus(report), JSON.stringify(validStatus.errors)).toBe(true);
  return report;
}

async function check(path: string, ...args: string[]) {
  const text = await bsync(['check', '-c', path, ...args]);
  const json = await bsync(['check', '-c', path, '--json', ...args]);
  const report = JSON.parse(json.stdout);
  expect(validCheck(report), JSON.stringify(validCheck.errors)).toBe(true);
  expect(json.code).toBe(text.code);
  expect(report.exitCode).toBe(text.code);
  return { code: text.code, stdout: text.stdout, stderr: text.stderr, report };
}

function metric(path: string, name: string, labels: Record<string, string>): number | undefined {
  const families = parsePrometheus(readFileSync(path, 'utf8')) as Array<{
    name: string;
    metrics: Array<{ value: string; labels?: Record<string, string> }>;
  }>;
  const found = families
    .find((family) => family.name === name)
    ?.metrics.find((entry) => Object.entries(labels).every(([key, value]) => entry.labels?.[key] === value));
  return found === undefined ? undefined : Number(found.value);
}

/** The diff job bsync wrote, run as cron runs it: its own sh, as the repository user, in its home. */
async function runDiffJob(): Promise<void> {
  const crontab = await sh('ssh-backup1', 'crontab -u backrest -l');
  const line = crontab.split('\n').find((entry) => entry.endsWith(`# bsync:diff:${STANZA}`))!;
  const command = cronJob(line)!.command;
  await sh('ssh-backup1', `cd ~backrest && runuser -u backrest -- sh -c ${shq(command)} >/dev/null 2>&1 || true`);
}

const diffJob = (report: { stanzas: Array<{ stanza: string; jobs: Array<{ type: string }> }> }) =>
  report.stanzas.find((stanza) => stanza.stanza === STANZA)!.jobs.find((job) => job.type === 'diff') as {
    state: string;
    exitCode: number | null;
    error: string | null;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
  };

describe('bsync check on the ssh scenario', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(APPLY);
  }, 600_000);

  it('holds after converging, and status and check read no secret', async () => {
    const run = await check(JOBS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^OK: all \d+ thresholds held\n$/);
    const report = await status(JOBS);
    // No scheduled run yet: the jobs have no outcome, and that is not a failure.
    expect(diffJob(report).state).toBe('none');
    expect(report.stanzas[0].walBacklog[0]).toMatchObject({ host: 'ssh-pg1', role: 'primary', readyCount: 0 });
  });

  it('a scheduled backup into a read-only repository shows as failed in status, metrics and check', async () => {
    await sh('ssh-backup1', `chmod u-w ${REPO_FOLDER}`);
    try {
      await runDiffJob();
    } finally {
      await sh('ssh-backup1', `chmod u+w ${REPO_FOLDER}`);
    }
    const prom = join(work, 'failed.prom');
    const job = diffJob(await status(JOBS, '--prom-file', prom));
    expect(job.state).toBe('failed');
    expect(job.exitCode).toBeGreaterThan(20);
    expect(job.error).toMatch(/ERROR: \[\d{3}\]: /);
    const labels = { stanza: STANZA, repo: 'repo1', type: 'diff' };
    expect(metric(prom, 'bsync_backup_job_failed', labels)).toBe(1);
    expect(metric(prom, 'bsync_backup_job_running', labels)).toBe(0);
    expect(metric(prom, 'bsync_backup_job_last_failure_timestamp_seconds', labels)).toBe(
      Date.parse(job.lastFailureAt!) / 1000,
    );
    const text = await bsync(['status', '-c', JOBS]);
    expect(text.stdout).toMatch(new RegExp(`${STANZA} +repo1 +diff +ssh-backup1 +FAILED at `));
    expect(text.stdout).toContain(`${STANZA}: the scheduled diff backup into repo1 failed at `);
    const run = await check(JOBS);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      new RegExp(
        `^BROKEN: ${STANZA} repo1: the scheduled diff backup failed at \\S+ \\(exit ${job.exitCode}\\): .*ERROR: \\[`,
        'm',
      ),
    );
  }, 300_000);

  it('clears after the next run succeeds, keeping when the failure was', async () => {
    await runDiffJob();
    const prom = join(work, 'cleared.prom');
    const job = diffJob(await status(JOBS, '--prom-file', prom));
    expect(job).toMatchObject({ state: 'succeeded', exitCode: 0, error: null });
    expect(Date.parse(job.lastSuccessAt!)).toBeGreaterThan(Date.parse(job.lastFailureAt!));
    expect(metric(prom, 'bsync_backup_job_failed', { stanza: STANZA, repo: 'repo1', type: 'diff' })).toBe(0);
    const run = await check(JOBS);
    expect(run.code, run.stdout).toBe(0);
  }, 300_000);

  it('a WAL backlog made by blocking archiving shows in status, metrics and check, and clears when archiving resumes', async () => {
    await psql('ssh-pg1', "ALTER SYSTEM SET archive_command = 'false'");
    await psql('ssh-pg1', 'SELECT pg_reload_conf()');
    try {
      // Three segments to archive: some WAL, then a switch, each time.
      for (let segment = 0; segment < 3; segment += 1) {
        await psql('ssh-pg1', "SELECT pg_logical_emit_message(false, 'bsync-check', 'x')");
        await psql('ssh-pg1', 'SELECT pg_switch_wal()');
      }
      let backlog = (await status(WAL)).stanzas[0].walBacklog[0];
      for (
        let attempt = 0;
        attempt < 30 && !(backlog.readyCount >= 2 && backlog.oldestReadyAgeSeconds > 5);
        attempt += 1
      ) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        backlog = (await status(WAL)).stanzas[0].walBacklog[0];
      }
      expect(backlog.readyCount).toBeGreaterThanOrEqual(2);
      expect(backlog.oldestReady).toMatch(/^[0-9A-F]{24}$/);
      const prom = join(work, 'backlog.prom');
      await status(WAL, '--prom-file', prom);
      expect(metric(prom, 'bsync_wal_ready_files', { stanza: STANZA, host: 'ssh-pg1' })).toBeGreaterThanOrEqual(2);
      expect(metric(prom, 'bsync_wal_oldest_ready_age_seconds', { stanza: STANZA, host: 'ssh-pg1' })).toBeGreaterThan(
        5,
      );
      expect(metric(prom, 'bsync_wal_bytes', { stanza: STANZA, host: 'ssh-pg1' })).toBeGreaterThan(16 * 1024 * 1024);
      const text = await bsync(['status', '-c', WAL]);
      expect(text.stdout).toMatch(new RegExp(`${STANZA} +ssh-pg1 \\(primary\\) +\\d+ +[0-9A-F]{24} `));
      const run = await check(WAL);
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(
        new RegExp(
          `^BROKEN: ${STANZA} on ssh-pg1 \\(primary\\): \\d+ WAL files wait to be archived \\(max_wal_backlog = 1\\)$`,
          'm',
        ),
      );
      expect(run.stdout).toMatch(
        new RegExp(
          `^BROKEN: ${STANZA} on ssh-pg1 \\(primary\\): the oldest WAL file waiting to be archived \\([0-9A-F]{24}\\) has waited \\S+ \\(max_archive_lag = "5s"\\)$`,
          'm',
        ),
      );
    } finally {
      await psql('ssh-pg1', 'ALTER SYSTEM RESET archive_command');
      await psql('ssh-pg1', 'SELECT pg_reload_conf()');
    }
    let backlog = (await status(WAL)).stanzas[0].walBacklog[0];
    for (let attempt = 0; attempt < 60 && backlog.readyCount > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      backlog = (await status(WAL)).stanzas[0].walBacklog[0];
    }
    expect(backlog.readyCount).toBe(0);
    const run = await check(WAL);
    expect(run.code, run.stdout).toBe(0);
  }, 300_000);

  it('a recovery-window threshold breaks when a retention change shortens the window', async () => {
    const stanzaOf = (report: {
      stanzas: Array<{ stanza: string; recoveryWindowSeconds: number | null; window: { from: { at: string } } }>;
    }) => report.stanzas.find((stanza) => stanza.stanza === STANZA)!;
    // Two fulls kept: the one converge took in beforeAll, and one now, at least 45 s later, the window spanning both.
    const first = Date.parse(stanzaOf(await status(JOBS)).window.from.at);
    await converge(config('two-fulls', '', false, 2));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first + 45_000 - Date.now())));
    const backup = await bsync(['backup', '-c', config('two-fulls', '', false, 2), '--zone', '1', '--type', 'full']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const before = stanzaOf(await status(JOBS)).recoveryWindowSeconds!;
    expect(before, 'the earlier tests ran between the two fulls').toBeGreaterThanOrEqual(30);
    // Written in seconds, printed as the config would write it.
    const threshold = `min_window = "${durationText(before - 10)}"`;
    // Zone 1's stanza only: zone 2's window is as short as its one full.
    const held = await check(config('window', `min_window = "${before - 10}s"`, true, 2), '--zone', '1');
    expect(held.code, held.stdout).toBe(0);
    // One full kept: the next full expires both older ones, and the window starts at it.
    const one = config('one-full', '', false, 1);
    await converge(one);
    const next = await bsync(['backup', '-c', one, '--zone', '1', '--type', 'full']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    const after = stanzaOf(await status(JOBS)).recoveryWindowSeconds!;
    expect(after).toBeLessThan(before - 10);
    const broken = await check(config('window', `min_window = "${before - 10}s"`, true, 1), '--zone', '1');
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(
      new RegExp(`^BROKEN: ${STANZA} repo1: the recovery window is \\S+ \\(${threshold}\\)$`, 'm'),
    );
  }, 600_000);
});
