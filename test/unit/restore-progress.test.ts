// A restore's phases and progress without a host: pgBackRest's detail lines (as 2.45 prints
// them on the lab) and the replay lines the recovery wait prints become typed progress, a
// hostile line becomes nothing, every step of a restore plan counts to a phase, and the
// report's timings sum per phase. The lab suite (test/integration/restore-timings.test.ts)
// runs them for real through a pty.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { progressFeed, readProgressLine, type StepProgress } from '../../lib/facts/progress.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { operationTimings, timingsMetrics, timingsText } from '../../lib/apply/timings.js';
import { planRestore } from '../../lib/recovery/restore.js';
import { PHASES } from '../../lib/resources/phases.js';
import { verifyPhases } from '../../lib/verify/verdict.js';
import { ApplyProgress, progressText } from '../../lib/views/apply-progress.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

// Printed by pgBackRest 2.45 on the lab (restore --delta --log-level-console=detail --process-max=2).
const DETAIL = [
  "2026-12-07 15:33:48.082 P00 DETAIL: create path '/tmp/rt/base'",
  '2026-12-07 15:33:49.037 P01 DETAIL: restore file /tmp/rt/backup_label - exists and matches backup (258B, 0.00%) checksum cc77a6270d53f4e4ca3285b925834b7f278fdf2e',
  '2026-12-07 15:33:49.902 P01 DETAIL: restore file /tmp/rt/pg_multixact/members/0000 - exists and matches backup (bundle 1/112, 8KB, 0.04%) checksum 0631457264ff7f8d5fb1edc2c0211992a67c73e6',
  '2026-12-07 15:33:50.100 P02 DETAIL: restore file /var/lib/postgresql/15/main/base/5/16397 (bundle 1/4096, 1.2MB, 57.31%) checksum 51f3a045046a14f1ee084c065897d097f76f2bc9',
];

describe('progress read from a step output', () => {
  it("takes each restored file's share of the set, and nothing from other lines", () => {
    expect(DETAIL.map((line) => readProgressLine('restore', line))).toEqual([
      undefined,
      { kind: 'restore', percent: 0 },
      { kind: 'restore', percent: 0.04 },
      { kind: 'restore', percent: 57.31 },
    ]);
    // Without pgBackRest's timestamps (log-timestamp=n) too.
    expect(readProgressLine('restore', 'P01 DETAIL: restore file /d/x (8KB, 12.50%) checksum 00')).toEqual({
      kind: 'restore',
      percent: 12.5,
    });
  });

  it('takes a replay line only when its position is a WAL position and its time digits', () => {
    expect(readProgressLine('replay', 'bsync-replay 0/3000060 1796645184')).toEqual({
      kind: 'replay',
      lsn: '0/3000060',
      commitTime: 1796645184,
    });
    expect(readProgressLine('replay', 'bsync-replay 1A/FF000000 -')).toEqual({ kind: 'replay', lsn: '1A/FF000000' });
    for (const hostile of [
      'bsync-replay $(touch x) 1',
      'bsync-replay 0/30`id` 1',
      'bsync-replay 0/3000060 1e9',
      'bsync-replay 0/3000060 17966451841234567',
      'P01 DETAIL: restore file /d/x (8KB, 912.50%) checksum 00',
      'P01 DETAIL: restore file /d/x (8KB, 12.50%\u001b[2J) checksum 00',
    ]) {
      expect(readProgressLine(hostile.startsWith('bsync') ? 'replay' : 'restore', hostile), hostile).toBeUndefined();
    }
  });

  it('reads lines split across pieces of output, in order', () => {
    const seen: StepProgress[] = [];
    const feed = progressFeed('restore', (progress) => seen.push(progress));
    const text = `${DETAIL.join('\n')}\n`;
    for (let at = 0; at < text.length; at += 37) feed(text.slice(at, at + 37));
    expect(seen.map((progress) => (progress.kind === 'restore' ? progress.percent : -1))).toEqual([0, 0.04, 57.31]);
  });

  it('says how far in words', () => {
    expect(progressText({ kind: 'restore', percent: 57.31 }, 'of 1.2 GB')).toBe('57% restored of 1.2 GB');
    expect(
      progressText(
        { kind: 'replay', lsn: '0/3000060', commitTime: Date.parse('2026-12-07T11:26:20Z') / 1000 },
        'target time=2026-12-07 11:26:24.000+00',
      ),
    ).toBe('WAL replayed to 0/3000060, commits of 2026-12-07 11:26:20 UTC; target time=2026-12-07 11:26:24.000+00');
  });

  it('in a log, a line at each tenth of a restore, not one per file', () => {
    const lines: string[] = [];
    const progress = new ApplyProgress(new Map([['pg1', 1]]), { live: false, plain: (line) => lines.push(line) });
    progress.onEvent({ address: 'pg1.pg_restore', host: 'pg1', status: 'started' });
    for (const percent of [0, 1, 2, 9.99, 10, 15, 57.31, 100]) {
      progress.onEvent({
        address: 'pg1.pg_restore',
        host: 'pg1',
        status: 'progress',
        progress: { kind: 'restore', percent },
        goal: 'of 1.2 GB',
      });
    }
    progress.finish();
    expect(lines).toEqual([
      'pg1: pg_restore...',
      'pg1: pg_restore: 0% restored of 1.2 GB',
      'pg1: pg_restore: 10% restored of 1.2 GB',
      'pg1: pg_restore: 57% restored of 1.2 GB',
      'pg1: pg_restore: 100% restored of 1.2 GB',
    ]);
  });

  it('on a terminal, draws the first progress of a step at once, not at the next redraw', () => {
    const written: string[] = [];
    const stream = { columns: 200, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const term = process.env.TERM;
    process.env.TERM = 'xterm';
    try {
      const progress = new ApplyProgress(new Map([['pg1', 2]]), { live: true, plain: () => {} }, stream);
      progress.onEvent({ address: 'pg1.pg_restore', host: 'pg1', status: 'started' });
      const before = written.length;
      const event = { address: 'pg1.pg_restore', host: 'pg1', status: 'progress' as const, goal: 'of 1.2 GB' };
      progress.onEvent({ ...event, progress: { kind: 'restore', percent: 3 } });
      expect(written.length).toBe(before + 1);
      expect(written.at(-1)).toMatch(/pg1: pg_restore \(\d+\.\d s\) 3% restored of 1\.2 GB {2}\[0\/2 done\]/);
      // Later progress waits for the redraw: a restore of many files does not redraw once a file.
      progress.onEvent({ ...event, progress: { kind: 'restore', percent: 4 } });
      expect(written.length).toBe(before + 1);
      progress.finish();
    } finally {
      process.env.TERM = term;
    }
  });
});

const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
const recorded = () =>
  new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );

describe("a restore's phases", () => {
  const all = recorded();
  const result = planRestore({
    inventory,
    facts: all,
    request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: true },
    setup: desiredResources(inventory, all),
    space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
    now: Date.parse('2026-12-03T00:00:00Z'),
  });
  const steps = result.resources.flatMap((resource) =>
    (resource.change?.steps ?? []).map((step) => ({ kind: resource.kind, phase: step.phase, progress: step.progress })),
  );

  it('every step counts to a phase, in the order an operator lives them', () => {
    expect(steps.map((step) => `${step.kind}: ${step.phase}`)).toEqual([
      'restore_wal: archive the WAL written so far',
      'restore_wal: archive the WAL written so far',
      'pg_stop: stop',
      'pg_restore: pgBackRest restore',
      'pg_restore: pgBackRest restore',
      'pg_start: start',
      'recovery_end: WAL replay',
      'recovery_end: promotion',
      'recovery_end: promotion',
      'archive_check: archive check',
    ]);
    const order = steps.map((step) => PHASES.indexOf(step.phase!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("the restore and the replay show progress against the set's size and the target", () => {
    expect(steps.filter((step) => step.progress).map((step) => [step.kind, step.progress!.reader])).toEqual([
      ['pg_restore', 'restore'],
      ['recovery_end', 'replay'],
    ]);
    expect(steps.find((step) => step.kind === 'recovery_end' && step.progress)!.progress!.goal).toBe('target latest');
    expect(steps.find((step) => step.kind === 'pg_restore' && step.progress)!.progress!.goal).toMatch(
      /^of \d+(\.\d)? [KMG]?i?B$/,
    );
  });

  it("fetches WAL ahead of replay with the host's cores, in a queue of its own removed after the promotion", () => {
    const restore = result.resources.find((resource) => resource.kind === 'pg_restore')!.change!;
    const command = restore.steps.find((step) => step.command.startsWith('flock '))!.command;
    expect(command).toContain(
      `--recovery-option='restore_command=pgbackrest --stanza=pgedge-lab-1 --archive-async --spool-path=/var/spool/pgbackrest/bsync-recovery --process-max=2 archive-get %f "%p"'`,
    );
    // As root: the folder may be missing; made only when it is.
    expect(restore.steps[0].user).toBeUndefined();
    expect(restore.steps[0].command).toContain('[ -d /var/spool/pgbackrest/bsync-recovery ] || install -d -o postgres');
    const end = result.resources.find((resource) => resource.kind === 'recovery_end')!.change!.steps;
    expect(end.at(-1)).toMatchObject({
      user: 'postgres',
      command: 'rm -rf /var/spool/pgbackrest/bsync-recovery/archive',
    });
  });

  it('leaves WAL fetching to pgbackrest.conf when the config sets archive-async', () => {
    const own = parseConfig(
      `${SSH_CONFIG}\n[pgbackrest.global]\narchive-async = true\n`,
      `${FIXTURES}lab/ssh.toml`,
      ENV,
    );
    const mine = recorded();
    const planned = planRestore({
      inventory: own,
      facts: mine,
      request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: true },
      space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
      now: Date.parse('2026-12-03T00:00:00Z'),
    });
    const restore = planned.resources.find((resource) => resource.kind === 'pg_restore')!.change!;
    expect(restore.steps.map((step) => step.command).join('\n')).not.toContain('restore_command');
    expect(restore.fields).toContainEqual({
      name: 'WAL fetch',
      after: 'as pgbackrest.conf says (archive-async is set there)',
    });
  });

  it('sums phases across actions, planning first, and reports them in text and metrics', () => {
    const timings = operationTimings(
      1.25,
      [
        {
          address: 'pg1.pg_stop',
          host: 'pg1',
          status: 'done',
          seconds: 0.5,
          phases: [{ phase: 'stop', seconds: 0.5 }],
        },
        {
          address: 'pg1.recovery_end',
          host: 'pg1',
          status: 'done',
          seconds: 7,
          phases: [
            { phase: 'promotion', seconds: 1 },
            { phase: 'WAL replay', seconds: 6 },
          ],
        },
        {
          address: 'pg2.pg_stop',
          host: 'pg2',
          status: 'done',
          seconds: 0.25,
          phases: [{ phase: 'stop', seconds: 0.25 }],
        },
      ],
      9.1,
    )!;
    expect(timings.phases).toEqual([
      { phase: 'plan and checks', seconds: 1.25 },
      { phase: 'stop', seconds: 0.75 },
      { phase: 'WAL replay', seconds: 6 },
      { phase: 'promotion', seconds: 1 },
    ]);
    expect(timingsText(timings)).toBe(
      'Phases: plan and checks 1.3 s, stop 0.8 s, WAL replay 6.0 s, promotion 1.0 s (total 9.1 s).',
    );
    const [phases, total] = timingsMetrics('restore', timings);
    expect(phases.samples).toContainEqual({ labels: { operation: 'restore', phase: 'WAL replay' }, value: 6 });
    expect(total.samples).toEqual([{ labels: { operation: 'restore' }, value: 9.1 }]);
  });

  it('the declared state has no phases, and no timings', () => {
    expect(operationTimings(1, [{ address: 'pg1.file', host: 'pg1', status: 'done', seconds: 1 }], 2)).toBeUndefined();
  });
});

describe("a verify's phases", () => {
  it("last from one step's start to the next one's, on the host's clock", () => {
    const at = (name: string, startedMs: number) =>
      ({ name, startedMs, code: 0, stdout: '', stderr: '' }) as Parameters<typeof verifyPhases>[0][number];
    expect(
      verifyPhases([
        at('folder', 0),
        at('lock', 100),
        at('restore', 1000),
        at('port', 4000),
        at('start', 4100),
        at('checks', 6000),
        at('cleanup', 7000),
        at('end', 7500),
      ]),
    ).toEqual([
      { phase: 'preparation', seconds: 1 },
      { phase: 'pgBackRest restore', seconds: 3 },
      { phase: 'start', seconds: 2 },
      { phase: 'checks', seconds: 1 },
      { phase: 'cleanup', seconds: 0.5 },
    ]);
  });
});
