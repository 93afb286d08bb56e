// Recoverability you can watch, on the lab's ssh scenario (issue 31): a WAL backlog made by
// blocking archiving (archive_command = 'false') shows in status, its metrics and bsync
// check within one run, and clears when archiving resumes. (Scheduled jobs do not record
// their outcome yet: inline, the line outgrew cron's 1,000 characters.) status and check run from a copy of the config whose secret files do not exist:
// they read no secret.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario } from '../support/lab.js';
import { converge, psql } from '../support/recovery.js';

const STANZA = 'pgedge-lab-1';
const work = mkdtempSync(join(tmpdir(), 'bsync-check-'));
const schema = (name: string) =>
  new Ajv.default({ strict: true }).compile(
    JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')),
  );
const validCheck = schema('check.schema.json');
const validStatus = schema('status.schema.json');

/** The lab's ssh config with `alert` as its [alert] table; `readOnly`: its secret files moved where none exists. */
function config(name: string, alert: string, readOnly: boolean): string {
  let text = `${readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')}\n[alert]\n${alert}\n`;
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

async function check(path: string) {
  const text = await bsync(['check', '-c', path]);
  const json = await bsync(['check', '-c', path, '--json']);
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
});
