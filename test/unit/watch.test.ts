// Recoverability you can watch (issue 31), on recorded facts (fixtures/facts/ssh-converged.json)
// with outcome files and WAL backlogs added: the outcome file's grammar and its probe run by
// sh, the backlog from psql's answer through the typed boundary, status (text, JSON, metrics)
// and bsync check's results and exit codes, the JSON checked against schemas/, and the config:
// [alert]'s durations, and status and check loading it without the write secrets.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { factsScript } from '../../lib/facts/gather.js';
import { needsOf } from '../../lib/facts/needs.js';
import { backupOutcomePath, outcomesProbe, parseOutcome } from '../../lib/facts/outcomes.js';
import { postgresProbe } from '../../lib/facts/postgres.js';
import { repoProbe } from '../../lib/facts/repo.js';
import { probeContext } from '../../lib/facts/probe.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { BackupOutcome, HostFacts, WalBacklogFacts } from '../../lib/facts/types.js';
import { HostError } from '../../lib/errors.js';
import { renderMetrics } from '../../lib/metrics/prom.js';
import { healthProblems } from '../../lib/plan/health.js';
import { checkReport, renderCheckText } from '../../lib/status/check.js';
import { statusMetrics } from '../../lib/status/metrics.js';
import { renderStatusText } from '../../lib/status/render-text.js';
import { statusReport } from '../../lib/status/report.js';
import { watchNeeds } from '../../lib/status/watch.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, noBackupHost, SSH_CONFIG } from '../support/configs.js';

const scratch = mkdtempSync(join(tmpdir(), 'bsync-watch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const schema = (name: string) =>
  new Ajv.default({ strict: true }).compile(JSON.parse(readFileSync(`${FIXTURES}../schemas/${name}`, 'utf8')));

const recorded = (): Map<string, HostFacts> =>
  new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
const inventoryOf = (text: string, env: NodeJS.ProcessEnv = ENV, readOnly = false): Inventory =>
  parseConfig(text, `${FIXTURES}lab/ssh.toml`, env, { readOnly });
const withAlert = (lines: string) => `${SSH_CONFIG}\n[alert]\n${lines}\n`;

const facts = recorded();
/** The recorded full backup's end: the clock of every report below is set from it. */
const STOP = facts.get('ssh-backup1')!.repos![0].backups[0].stop!;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];

function outcome(type: BackupOutcome['type'], fields: Partial<BackupOutcome>): BackupOutcome {
  return {
    stanza: 'pgedge-lab-1',
    type,
    repo: 1,
    startedAt: STOP - 600,
    endedAt: STOP,
    exitCode: 0,
    error: null,
    lastSuccess: { startedAt: STOP - 600, endedAt: STOP },
    lastFailure: null,
    ...fields,
  };
}

const backlog = (fields: Partial<WalBacklogFacts> = {}): WalBacklogFacts => ({
  readyCount: 0,
  oldestReady: null,
  oldestReadyTime: null,
  walBytes: 48 * 1024 * 1024,
  ...fields,
});

/** The recording with zone 1's jobs' outcomes on its backup host and a backlog on its primary (zone 2's: none). */
function watched(outcomes: BackupOutcome[], wal: WalBacklogFacts): Map<string, HostFacts> {
  const copy = recorded();
  copy.get('ssh-backup1')!.backupOutcomes = outcomes;
  copy.get('ssh-pg1')!.postgres!.walBacklog = wal;
  // Zone 2's primary: nothing waits.
  copy.get('ssh-pg2')!.postgres!.walBacklog = backlog();
  for (const host of copy.values()) typedFacts(host);
  return copy;
}

describe('the outcome file', () => {
  const lines = (text: string) => text.trimEnd().split('\n');

  it('reads what the job writes: the run, its error line, the last success and failure', () => {
    expect(
      parseOutcome(
        lines(
          'bsync-backup-outcome 1\nstart 100\nend 160 56\nerror P00 ERROR: [056]: denied\nsuccess 10 50\nfailure 100 160 56\n',
        ),
      ),
    ).toEqual({
      startedAt: 100,
      endedAt: 160,
      exitCode: 56,
      error: 'P00 ERROR: [056]: denied',
      lastSuccess: { startedAt: 10, endedAt: 50 },
      lastFailure: { startedAt: 100, endedAt: 160, exitCode: 56 },
    });
    // Running: started, not ended.
    expect(parseOutcome(lines('bsync-backup-outcome 1\nstart 100\nsuccess 10 50\n'))).toMatchObject({
      startedAt: 100,
      endedAt: null,
      exitCode: null,
    });
  });

  it('anything else is a problem, named and escaped, never a value', () => {
    for (const [text, said] of [
      ['hello\nstart 1\n', /not an outcome file bsync wrote: it starts "hello"/],
      ['bsync-backup-outcome 1\nstart 1\nstart 2\n', /line 3 is not what bsync's job writes/],
      ['bsync-backup-outcome 1\nend 1 x\n', /line 2 is not/],
      ['bsync-backup-outcome 1\nerror a\u001b[31mb\n', /line 2 is not what bsync's job writes: "error a\\u001b\[31mb"/],
    ] as const) {
      const parsed = parseOutcome(lines(text));
      expect(parsed.problem).toMatch(said);
      expect(parsed.startedAt).toBeNull();
      expect(parsed.error).toBeNull();
    }
  });

  it("the probe reads the scheduled jobs' files with sh, marks every line, follows no link, and passes the boundary", () => {
    const inventory = inventoryOf(SSH_CONFIG);
    const backup1 = inventory.hosts.find((host) => host.name === 'ssh-backup1')!;
    const ctx = probeContext(inventory, backup1, needsOf([hostNeeds(inventory, backup1), { outcomes: true }]));
    const full = backupOutcomePath('pgedge-lab-1', 'full', 1);
    const diff = backupOutcomePath('pgedge-lab-1', 'diff', 1);
    const command = outcomesProbe.command(ctx);
    expect(command).toContain(full);
    expect(command).toContain(diff);
    // The probe's paths, moved into the scratch folder: full a good file whose error line
    // looks like the probe's own markers, diff a link to another file.
    writeFileSync(
      join(scratch, 'full'),
      'bsync-backup-outcome 1\nstart 100\nend 160 56\nerror O|/etc/shadow L|x\nfailure 100 160 56\n',
    );
    writeFileSync(join(scratch, 'secret'), 'bsync-backup-outcome 1\nstart 1\n');
    symlinkSync(join(scratch, 'secret'), join(scratch, 'diff'));
    const output = execFileSync('/bin/sh', [
      '-c',
      command.replace(full, join(scratch, 'full')).replace(diff, join(scratch, 'diff')),
    ]).toString();
    const parsed = outcomesProbe.parse(
      output.replaceAll(join(scratch, 'full'), full).replaceAll(join(scratch, 'diff'), diff),
      ctx,
    );
    expect(parsed.backupOutcomes).toEqual([
      outcome('full', {
        startedAt: 100,
        endedAt: 160,
        exitCode: 56,
        error: 'O|/etc/shadow L|x',
        lastSuccess: null,
        lastFailure: { startedAt: 100, endedAt: 160, exitCode: 56 },
      }),
    ]);
    expect(() => typedFacts({ ...facts.get('ssh-backup1')!, ...parsed })).not.toThrow();
  });

  it('a file far larger than the job writes is read only in part: a line cut short is not taken', () => {
    const inventory = inventoryOf(SSH_CONFIG);
    const backup1 = inventory.hosts.find((host) => host.name === 'ssh-backup1')!;
    const ctx = probeContext(inventory, backup1, needsOf([hostNeeds(inventory, backup1), { outcomes: true }]));
    const full = backupOutcomePath('pgedge-lab-1', 'full', 1);
    writeFileSync(join(scratch, 'huge'), `bsync-backup-outcome 1\nerror ${'x'.repeat(1 << 20)}\n`);
    const output = execFileSync('/bin/sh', [
      '-c',
      outcomesProbe.command(ctx).replace(full, join(scratch, 'huge')),
    ]).toString();
    expect(output.length).toBeLessThan(5000);
    const [parsed] = outcomesProbe.parse(output.replace(join(scratch, 'huge'), full), ctx).backupOutcomes!;
    // The error line, cut short, ends without its line break: only the header was read whole.
    expect(parsed).toMatchObject({ startedAt: null, error: null });
    expect(parsed.problem).toBeUndefined();
  });

  it('status and check ask for the outcomes where the jobs run: the backup host, else each PostgreSQL host', () => {
    const withBackupHost = inventoryOf(SSH_CONFIG);
    expect(withBackupHost.hosts.map((host) => watchNeeds(withBackupHost, host).length)).toEqual([0, 0, 1, 1]);
    const without = inventoryOf(noBackupHost('posix', 'primary'));
    expect(without.hosts.every((host) => watchNeeds(without, host).length === 1)).toBe(true);
  });
});

describe('the WAL backlog', () => {
  const inventory = inventoryOf(SSH_CONFIG);
  const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
  const ctx = probeContext(inventory, pg1, hostNeeds(inventory, pg1));
  const framedLine = (stdout: string) => `F|0|${Buffer.from(stdout).toString('base64')}|`;
  const answer = (walBacklog: unknown) => {
    const { running: _, ...pg } = structuredClone(facts.get('ssh-pg1')!.postgres!);
    return `${framedLine(`1234\n${JSON.stringify({ ...pg, walBacklog })}`)}\n${framedLine('/usr/lib/postgresql/15/bin/postgres\n')}`;
  };

  it("is asked in the postgres probe's one query, and read from its answer", () => {
    expect(postgresProbe.command(ctx)).toContain('pg_ls_archive_statusdir()');
    const wal = backlog({ readyCount: 3, oldestReady: '000000010000000000000005', oldestReadyTime: STOP - 90 });
    const { postgres } = postgresProbe.parse(answer(wal), ctx);
    expect(postgres?.walBacklog).toEqual(wal);
    expect(() => typedFacts({ ...facts.get('ssh-pg1')!, postgres })).not.toThrow();
  });

  it('a count or a name no server gives is refused at the boundary, naming host and fact', () => {
    for (const [wal, path] of [
      [backlog({ readyCount: -1 }), 'postgres.walBacklog.readyCount'],
      [backlog({ readyCount: 1, oldestReady: '../../etc/passwd' }), 'postgres.walBacklog.oldestReady'],
    ] as const) {
      const { postgres } = postgresProbe.parse(answer(wal), ctx);
      let error: unknown;
      try {
        typedFacts({ ...facts.get('ssh-pg1')!, postgres });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(HostError);
      expect((error as HostError).host).toBe('ssh-pg1');
      expect((error as HostError).message).toContain(path);
    }
  });
});

describe('status', () => {
  const inventory = inventoryOf(SSH_CONFIG);
  const failedDiff = outcome('diff', {
    startedAt: STOP + 3600,
    endedAt: STOP + 3660,
    exitCode: 56,
    error: 'P00 ERROR: [056]: unable to open repository: permission denied',
    lastFailure: { startedAt: STOP + 3600, endedAt: STOP + 3660, exitCode: 56 },
  });
  const report = statusReport(
    inventory,
    watched(
      [outcome('full', {}), failedDiff],
      backlog({ readyCount: 12, oldestReady: '000000010000000000000005', oldestReadyTime: STOP + 1800 }),
    ),
    HOSTS,
    STOP + 7200,
  );
  const zone1 = report.stanzas[0];

  it("shows each job's last run and the backlog, and names the failed job as needing attention", () => {
    expect(zone1.jobs.map((job) => [job.type, job.state, job.host, job.exitCode])).toEqual([
      ['full', 'succeeded', 'ssh-backup1', 0],
      ['diff', 'failed', 'ssh-backup1', 56],
    ]);
    expect(zone1.jobs[1].lastSuccessAgeSeconds).toBe(7200);
    expect(zone1.walBacklog).toEqual([
      {
        host: 'ssh-pg1',
        role: 'primary',
        readyCount: 12,
        oldestReady: '000000010000000000000005',
        oldestReadyAgeSeconds: 5400,
        walBytes: 48 * 1024 * 1024,
      },
    ]);
    expect(zone1.problems).toEqual([
      `the scheduled diff backup into repo1 failed at ${new Date((STOP + 3660) * 1000).toISOString()} (exit 56): P00 ERROR: [056]: unable to open repository: permission denied`,
    ]);
    // Zone 2's jobs have no outcome yet: nothing recorded, nothing wrong.
    expect(report.stanzas[1].jobs.map((job) => job.state)).toEqual(['none', 'none']);
    expect(report.stanzas[1].problems).toEqual([]);
    const text = renderStatusText(report);
    expect(text).toMatch(/pgedge-lab-1 +repo1 +diff +ssh-backup1 +FAILED at \S+ \(exit 56\)/);
    expect(text).toMatch(/pgedge-lab-1 +ssh-pg1 \(primary\) +12 +000000010000000000000005 2h +48 MiB/);
    expect(schema('status.schema.json')(JSON.parse(JSON.stringify(report)))).toBe(true);
  });

  it('a job running now, and one whose file bsync cannot read', () => {
    const running = statusReport(
      inventory,
      watched(
        [outcome('full', { endedAt: null, exitCode: null }), { ...outcome('diff', {}), ...parseOutcome(['garbage']) }],
        backlog(),
      ),
      HOSTS,
      STOP + 60,
    ).stanzas[0];
    expect(running.jobs.map((job) => job.state)).toEqual(['running', 'unreadable']);
    expect(running.problems).toEqual([
      'the outcome of the scheduled diff backup into repo1 on ssh-backup1 cannot be read: not an outcome file bsync wrote: it starts "garbage"',
    ]);
  });

  it('as metrics: the jobs per stanza, repository and type, the backlog per server', () => {
    const families = parsePrometheus(renderMetrics(statusMetrics(report))) as Array<{
      name: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    const samples = (name: string) =>
      families
        .find((family) => family.name === name)!
        .metrics.map((metric) => [
          metric.labels.stanza,
          metric.labels.repo ?? metric.labels.host,
          metric.labels.type,
          Number(metric.value),
        ]);
    expect(samples('bsync_backup_job_failed')).toEqual([
      ['pgedge-lab-1', 'repo1', 'full', 0],
      ['pgedge-lab-1', 'repo1', 'diff', 1],
    ]);
    expect(samples('bsync_backup_job_running')).toContainEqual(['pgedge-lab-2', 'repo1', 'full', 0]);
    expect(samples('bsync_backup_job_last_failure_timestamp_seconds')).toEqual([
      ['pgedge-lab-1', 'repo1', 'diff', STOP + 3660],
    ]);
    expect(samples('bsync_backup_job_last_success_timestamp_seconds')).toEqual([
      ['pgedge-lab-1', 'repo1', 'full', STOP],
      ['pgedge-lab-1', 'repo1', 'diff', STOP],
    ]);
    expect(samples('bsync_wal_ready_files')).toEqual([
      ['pgedge-lab-1', 'ssh-pg1', undefined, 12],
      ['pgedge-lab-2', 'ssh-pg2', undefined, 0],
    ]);
    expect(samples('bsync_wal_oldest_ready_age_seconds')).toEqual([
      ['pgedge-lab-1', 'ssh-pg1', undefined, 5400],
      ['pgedge-lab-2', 'ssh-pg2', undefined, 0],
    ]);
    expect(samples('bsync_wal_bytes')).toContainEqual(['pgedge-lab-1', 'ssh-pg1', undefined, 48 * 1024 * 1024]);
  });

  it('a standby archives its own WAL only with archive_mode = always', () => {
    const standby = watched([], backlog());
    const pg2 = standby.get('ssh-pg2')!.postgres!;
    const one = (copy: Map<string, HostFacts>) =>
      statusReport(inventoryOf(noBackupHost('posix', 'primary')), copy, HOSTS, STOP).stanzas[0].walBacklog;
    pg2.inRecovery = true;
    pg2.walBacklog = backlog({ readyCount: 2, oldestReady: '000000010000000000000009', oldestReadyTime: STOP - 60 });
    expect(one(standby).map((server) => server.host)).toEqual(['ssh-pg1']);
    pg2.settings.archive_mode = { ...pg2.settings.archive_mode, setting: 'always' };
    expect(one(standby).map((server) => [server.host, server.role, server.readyCount])).toEqual([
      ['ssh-pg1', 'primary', 0],
      ['ssh-pg2', 'standby', 2],
    ]);
  });
});

describe('bsync check', () => {
  const run = (alert: string, outcomes: BackupOutcome[], wal: WalBacklogFacts, now = STOP + 7200) => {
    const inventory = inventoryOf(withAlert(alert));
    return checkReport(statusReport(inventory, watched(outcomes, wal), HOSTS, now), inventory.alert);
  };
  const broken = (check: ReturnType<typeof run>) =>
    check.results.filter((result) => result.state === 'broken').map((result) => result.message);
  const validCheck = schema('check.schema.json');

  it('exit 0 when every threshold holds, and says so in one line', () => {
    const check = run(
      'max_full_age = "8d"\nmax_backup_age = "26h"\nmin_full_count = 1\nmax_archive_lag = "1h"\nmax_wal_backlog = 64',
      [outcome('full', {})],
      backlog(),
    );
    expect(check.exitCode).toBe(0);
    expect(renderCheckText(check)).toBe(`OK: all ${check.results.length} thresholds held\n`);
    // 4 per repository on 2 stanzas, 2 WAL thresholds per primary, one job with a recorded outcome... and every scheduled job.
    expect(check.results.filter((result) => result.threshold === 'failed_backup')).toHaveLength(4);
    expect(validCheck(check)).toBe(true);
  });

  it('exit 2 with a line per broken threshold, naming stanza, repository or server and the numbers', () => {
    const failed = outcome('diff', {
      exitCode: 20,
      error: 'bsync: the diff backup of pgedge-lab-1 did not run',
      endedAt: STOP + 60,
      lastFailure: { startedAt: STOP, endedAt: STOP + 60, exitCode: 20 },
    });
    const check = run(
      'max_full_age = "1h"\nmin_full_count = 2\nmax_archive_lag = "30m"\nmax_wal_backlog = 10\nmin_window = "7d"',
      [failed],
      backlog({ readyCount: 12, oldestReady: '000000010000000000000005', oldestReadyTime: STOP + 1800 }),
    );
    expect(check.exitCode).toBe(2);
    const at = new Date((STOP + 60) * 1000).toISOString();
    expect(broken(check)).toEqual([
      'pgedge-lab-1 repo1: the newest full backup ended 2h ago (max_full_age = "1h")',
      'pgedge-lab-1 repo1: 1 valid full backup (min_full_count = 2)',
      // From the full's end to the newest archived WAL's time the backup host's file gives.
      'pgedge-lab-1 repo1: the recovery window is 2s (min_window = "7d")',
      `pgedge-lab-1 repo1: the scheduled diff backup failed at ${at} (exit 20: it waited for the stanza lock in vain): bsync: the diff backup of pgedge-lab-1 did not run`,
      'pgedge-lab-2 repo1: the newest full backup ended 2h ago (max_full_age = "1h")',
      'pgedge-lab-2 repo1: 1 valid full backup (min_full_count = 2)',
      'pgedge-lab-2 repo1: the recovery window is 1s (min_window = "7d")',
      'pgedge-lab-1 on ssh-pg1 (primary): the oldest WAL file waiting to be archived (000000010000000000000005) has waited 1h30m (max_archive_lag = "30m")',
      'pgedge-lab-1 on ssh-pg1 (primary): 12 WAL files wait to be archived (max_wal_backlog = 10)',
    ]);
    expect(renderCheckText(check).split('\n')[0]).toBe(`BROKEN: ${broken(check)[0]}`);
    expect(check.results.find((result) => result.threshold === 'max_wal_backlog')).toMatchObject({
      stanza: 'pgedge-lab-1',
      repo: null,
      host: 'ssh-pg1',
      limit: 10,
      value: 12,
    });
    expect(validCheck(check)).toBe(true);
  });

  it('exit 1 when a threshold cannot be told (pgbackrest info unreadable, no primary), and none is broken', () => {
    const inventory = inventoryOf(withAlert('max_backup_age = "26h"\nmax_archive_lag = "1h"'));
    const copy = watched([], backlog());
    const repo = copy.get('ssh-backup1')!.repos![0];
    Object.assign(repo, { statusCode: null, statusMessage: 'no answer within 20 s', backups: [] });
    copy.get('ssh-pg2')!.postgres!.running = false;
    const check = checkReport(statusReport(inventory, copy, HOSTS, STOP + 60), inventory.alert);
    expect(check.exitCode).toBe(1);
    expect(renderCheckText(check)).toBe(
      [
        'UNKNOWN: pgedge-lab-1 repo1: pgbackrest info could not be read (no answer within 20 s) (max_backup_age = "1d2h")',
        'UNKNOWN: pgedge-lab-2: no running primary reported its pg_wal (max_archive_lag = "1h")',
        '',
      ].join('\n'),
    );
    expect(validCheck(check)).toBe(true);
  });

  it('a job that failed, then succeeded, holds again (failed_backup); failed_backup = false leaves jobs alone', () => {
    const again = outcome('diff', { lastFailure: { startedAt: STOP - 90_000, endedAt: STOP - 89_000, exitCode: 56 } });
    expect(run('', [again], backlog()).exitCode).toBe(0);
    const lastFailure = { startedAt: STOP + 10, endedAt: STOP + 20, exitCode: 56 };
    const failed = outcome('diff', { startedAt: STOP + 10, endedAt: STOP + 20, exitCode: 56, lastFailure });
    expect(run('', [failed], backlog()).exitCode).toBe(2);
    // Running again: still broken until a run succeeds.
    const rerun = run(
      '',
      [outcome('diff', { startedAt: STOP + 90, endedAt: null, exitCode: null, lastFailure })],
      backlog(),
    );
    expect(rerun.exitCode).toBe(2);
    expect(broken(rerun)).toEqual([
      `pgedge-lab-1 repo1: the scheduled diff backup failed at ${new Date((STOP + 20) * 1000).toISOString()} (exit 56); running again since ${new Date((STOP + 90) * 1000).toISOString()}`,
    ]);
    expect(run('failed_backup = false', [failed], backlog()).results).toEqual([]);
  });
});

describe("a repository that will not hold the next full (plan's health)", () => {
  const inventory = inventoryOf(SSH_CONFIG);
  const backup1 = inventory.hosts.find((host) => host.name === 'ssh-backup1')!;
  const MiB = 1024 * 1024;
  const withFree = (freeBytes: number | undefined) => {
    const copy = recorded();
    const repo = copy.get('ssh-backup1')!.repos![0];
    if (freeBytes === undefined) delete repo.freeBytes;
    else repo.freeBytes = freeBytes;
    typedFacts(copy.get('ssh-backup1')!);
    return copy;
  };
  const problems = (freeBytes: number | undefined) =>
    healthProblems(inventory, withFree(freeBytes), HOSTS).map((entry) => `${entry.host}: ${entry.message}`);

  it("the repo probe asks df for the folder's free bytes, last, and reads them back", () => {
    const ctx = probeContext(inventory, backup1, { ...hostNeeds(inventory, backup1), repos: true });
    const command = repoProbe.command(ctx);
    expect(command.split('\n').at(-1)).toBe(
      `echo "D|1|$(df -P -B1 /home/backrest 2>/dev/null | awk 'NR == 2 { print $4 }')"`,
    );
    // The PostgreSQL hosts hold no folder of this repository: nothing to measure there.
    const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
    expect(
      repoProbe.command(probeContext(inventory, pg1, { ...hostNeeds(inventory, pg1), repos: true })),
    ).not.toContain('df ');
    const [repo] = repoProbe.parse('Y\nnone\nD|1|123456789', ctx).repos!;
    expect(repo.freeBytes).toBe(123456789);
    expect(repoProbe.parse('Y\nnone\nD|1|', ctx).repos![0].freeBytes).toBeUndefined();
  });

  it('names the repository and the numbers when the last full and a cycle of WAL do not fit', () => {
    // The recorded full: 2.9 MiB in the repository, segments 2 to 3 archived since: up to 32 MiB of WAL.
    expect(problems(20 * MiB)).toEqual([
      "ssh-backup1: stanza pgedge-lab-1: the repository has 20 MiB free, and the next full backup needs about 35 MiB before expire removes the oldest (the last full took 2.9 MiB there, plus up to 32 MiB of WAL: 2 segments archived over a full backup's cycle)",
    ]);
    expect(problems(64 * MiB)).toEqual([]);
    // Not measured (an object store, a recording from before): nothing said.
    expect(problems(undefined)).toEqual([]);
  });
});

describe('[alert] in the config', () => {
  it('takes durations with units, in seconds inside', () => {
    const { alert } = inventoryOf(
      withAlert(
        'max_full_age = "8d"\nmax_backup_age = "1d2h"\nmax_archive_lag = "90m"\nmin_window = "2w"\nmin_full_count = 2',
      ),
    );
    expect(alert).toEqual({
      maxFullAgeSeconds: 8 * 86_400,
      maxBackupAgeSeconds: 26 * 3600,
      maxArchiveLagSeconds: 5400,
      minWindowSeconds: 14 * 86_400,
      minFullCount: 2,
      failedBackup: true,
    });
    expect(inventoryOf(SSH_CONFIG).alert).toEqual({ failedBackup: true });
  });

  it('refuses a duration without a unit, and an unknown key, naming them', () => {
    expect(() => inventoryOf(withAlert('max_full_age = "8"'))).toThrow(
      /alert\.max_full_age.*a duration: a number and a unit/s,
    );
    expect(() => inventoryOf(withAlert('max_full_age = 8'))).toThrow(/alert\.max_full_age/);
    expect(() => inventoryOf(withAlert('max_age = "8d"'))).toThrow(/alert\.max_age/);
  });
});

describe('status and check run without the write secrets', () => {
  it('a read-only load reads no secret: neither the environment nor the files', () => {
    // The lab's config, its secret files moved where none exists, and the environment empty.
    const text = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8').replaceAll(
      '/var/tmp/bsync-lab/secrets/',
      `${scratch}/none/`,
    );
    expect(text).toContain(`${scratch}/none/cipher_pass`);
    expect(() => inventoryOf(text, {})).toThrow();
    const inventory = inventoryOf(text, {}, true);
    const cipher = inventory.repos[0].cipherPass;
    expect(cipher !== 'auto' && cipher !== null && cipher.isRead()).toBe(false);
    expect(() => (cipher as { reveal(): string }).reveal()).toThrow(/was not read/);
    expect(inventory.backupUser.password?.isRead()).toBe(false);
    // What status and check do with it: every host's probe script, and the report.
    for (const host of inventory.hosts) {
      const needs = needsOf([hostNeeds(inventory, host), ...watchNeeds(inventory, host)]);
      expect(factsScript(probeContext(inventory, host, needs), 'n0nce')).toContain('@@n0nce:end');
    }
    expect(statusReport(inventory, recorded(), HOSTS, STOP).stanzas).toHaveLength(2);
  });

  it("the same with secrets in the environment, and with an s3 repository's keys", () => {
    expect(() => inventoryOf(SSH_CONFIG, {})).toThrow();
    expect(() => inventoryOf(SSH_CONFIG, {}, true)).not.toThrow();
    const s3 = readFileSync(`${FIXTURES}lab/s3.toml`, 'utf8').replaceAll(
      '/var/tmp/bsync-lab/secrets/',
      `${scratch}/none/`,
    );
    expect(() => inventoryOf(s3, {})).toThrow();
    const inventory = inventoryOf(s3, {}, true);
    for (const host of inventory.hosts) {
      const needs = needsOf([hostNeeds(inventory, host), ...watchNeeds(inventory, host)]);
      expect(() => factsScript(probeContext(inventory, host, needs), 'n0nce')).not.toThrow();
    }
  });
});
