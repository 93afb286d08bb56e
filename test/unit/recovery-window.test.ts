// The recovery window on recorded data (pgbackrest info as 2.45 prints it,
// fixtures/facts/pgbackrest-info.json, and the lab's converged ssh facts): what status
// shows in text, JSON and metrics, the note a restore without --target prints, and the
// refusal of a target outside it before anything stops.
import { readFileSync } from 'node:fs';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { newAjv } from '../../lib/ajv.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { probeContext } from '../../lib/facts/probe.js';
import { parseInfo, repoProbe } from '../../lib/facts/repo.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { ArchiverFacts, HostFacts, RepoFacts } from '../../lib/facts/types.js';
import { renderMetrics } from '../../lib/metrics/prom.js';
import { checkInWindow } from '../../lib/recovery/restore-checks.js';
import { planRestore } from '../../lib/recovery/restore.js';
import type { RestoreRequest } from '../../lib/recovery/requests.js';
import { recoveryWindow, windowText } from '../../lib/status/window.js';
import { statusMetrics } from '../../lib/status/metrics.js';
import { renderStatusText } from '../../lib/status/render-text.js';
import { statusReport } from '../../lib/status/report.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
const info = JSON.parse(readFileSync(`${FIXTURES}facts/pgbackrest-info.json`, 'utf8'));
/** The recorded repository: one full backup (WAL …02 .. …03), the archive …02 .. …04. */
const recorded = (): RepoFacts =>
  ({
    key: 1,
    stanza: 'pgedge-lab-1',
    backupInfoExists: true,
    ...parseInfo(info, 'pgedge-lab-1'),
  }) as RepoFacts;
const stop = recorded().backups[0].stop!;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const archiver = (wal: string, at: number): ArchiverFacts => ({
  archivedCount: 4,
  lastArchivedWal: wal,
  lastArchivedTime: at,
  failedCount: 0,
  lastFailedWal: null,
  lastFailedTime: null,
});

function converged(edit: (all: Map<string, HostFacts>) => void = () => {}): Map<string, HostFacts> {
  const all = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  edit(all);
  return all;
}

/** Zone 1's repository holds the recorded info, and its primary last archived the archive's newest segment. */
function withRecordedRepo(all: Map<string, HostFacts>, archivedAt = stop + 600): void {
  all.get('ssh-backup1')!.repos = [recorded()];
  all.get('ssh-pg1')!.postgres!.archiver = archiver('000000010000000000000004', archivedAt);
}

describe('the recovery window', () => {
  it("runs from the oldest backup's consistent point to the newest WAL, archived when the primary says so", () => {
    const window = recoveryWindow(recorded(), archiver('000000010000000000000004', stop + 600));
    expect(window).toEqual({
      from: { backup: '20261201-175745F', at: iso(stop), lsn: '0/3000050', wal: '000000010000000000000003' },
      to: { wal: '000000010000000000000004', at: iso(stop + 600), atIs: 'archived' },
      timelines: [1],
      gaps: [],
    });
    expect(windowText(window)).toBe(
      `${iso(stop)} (backup 20261201-175745F consistent) .. ${iso(stop + 600)} (000000010000000000000004, archived then), timeline 1`,
    );
  });

  it("knows only a lower bound for the newest WAL's time when the primary does not name it", () => {
    for (const primary of [undefined, archiver('000000010000000000000003', stop + 5)])
      expect(recoveryWindow(recorded(), primary).to).toEqual({
        wal: '000000010000000000000004',
        at: iso(stop),
        atIs: 'at least',
      });
  });

  it('names a backup whose WAL the archive no longer holds as a gap, and starts the window after it', () => {
    const repo = recorded();
    const full = repo.backups[0];
    repo.backups = [
      full,
      {
        ...full,
        label: `${full.label}_20261201-185745I`,
        type: 'incr',
        stop: stop + 3600,
        lsnStop: '0/6000050',
        archiveStart: '000000020000000000000005',
        archiveStop: '000000020000000000000006',
      },
    ];
    repo.archiveMin = '000000010000000000000003';
    repo.archiveMax = '000000020000000000000007';
    const window = recoveryWindow(repo);
    expect(window.gaps).toEqual([
      'backup 20261201-175745F needs WAL 000000010000000000000002 .. 000000010000000000000003, but the archive holds 000000010000000000000003 .. 000000020000000000000007',
    ]);
    expect(window.from).toMatchObject({ backup: `${full.label}_20261201-185745I`, at: iso(stop + 3600) });
    expect(window.timelines).toEqual([1, 2]);
    repo.archiveMin = undefined;
    repo.archiveMax = undefined;
    expect(windowText(recoveryWindow(repo))).toBe('none: no backup whose WAL the archive holds');
    expect(recoveryWindow(repo).gaps[0]).toMatch(/but the archive holds none$/);
  });
});

describe('status shows the window', () => {
  const report = (all: Map<string, HostFacts>) => statusReport(inventory, all, ['ssh-pg1', 'ssh-backup1'], stop + 3600);

  it('in text, in JSON that its schema takes, and as both ends in unix seconds', () => {
    const shown = report(converged(withRecordedRepo));
    const [zone1] = shown.stanzas;
    expect(zone1.window.to).toEqual({ wal: '000000010000000000000004', at: iso(stop + 600), atIs: 'archived' });
    expect(renderStatusText(shown)).toContain(
      `Recovery windows (UTC):\n  pgedge-lab-1 repo1: ${iso(stop)} (backup 20261201-175745F consistent) .. ${iso(stop + 600)}`,
    );
    const schema = JSON.parse(readFileSync(new URL('../../schemas/status.schema.json', import.meta.url), 'utf8'));
    const valid = newAjv({ strict: true }).compile(schema);
    expect(valid(JSON.parse(JSON.stringify(shown))), JSON.stringify(valid.errors)).toBe(true);
    const families = parsePrometheus(renderMetrics(statusMetrics(shown))) as Array<{
      name: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    const metric = (name: string) => families.find((family) => family.name === name)!.metrics;
    expect(metric('bsync_recovery_window_start_seconds')).toEqual([
      { value: String(stop), labels: { stanza: 'pgedge-lab-1', repo: 'repo1' } },
    ]);
    expect(metric('bsync_recovery_window_end_seconds')).toEqual([
      { value: String(stop + 600), labels: { stanza: 'pgedge-lab-1', repo: 'repo1' } },
    ]);
  });

  it('lists a gap in the archive as a problem', () => {
    const shown = report(
      converged((all) => {
        withRecordedRepo(all);
        all.get('ssh-backup1')!.repos![0].archiveMin = '000000010000000000000003';
      }),
    );
    expect(shown.stanzas[0].problems).toContain(
      'a gap in the WAL archive: backup 20261201-175745F needs WAL 000000010000000000000002 .. 000000010000000000000003, but the archive holds 000000010000000000000003 .. 000000010000000000000004',
    );
    expect(renderStatusText(shown)).toContain('pgedge-lab-1 repo1: none: no backup whose WAL the archive holds');
  });
});

describe('a restore and the window', () => {
  const plan = (request: Partial<RestoreRequest>, all: Map<string, HostFacts>) =>
    planRestore({
      inventory,
      facts: all,
      request: {
        zone: 1,
        target: { type: 'latest' },
        delta: true,
        targetAction: 'promote',
        allowOverwrite: true,
        ...request,
      },
      setup: desiredResources(inventory, all),
      space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
      now: (stop + 3600) * 1000,
    });

  it('prints the window before asking when no --target is given, and not with one', () => {
    const all = converged(withRecordedRepo);
    expect(plan({}, all).operation.notes).toContain(
      `Recovery window of repo1 (UTC): ${iso(stop)} (backup 20261201-175745F consistent) .. ${iso(stop + 600)} (000000010000000000000004, archived then), timeline 1; the WAL written until the server stops is archived first, so it reaches that too. A --target time=... inside it restores to that point instead.`,
    );
    const inside = plan({ target: { type: 'time', ms: (stop + 1) * 1000 } }, all);
    expect(inside.operation.notes.join('\n')).not.toContain('Recovery window');
    expect(inside.operation.request.set).toBe('20261201-175745F');
  });

  it('refuses a time just before the window, naming it, before anything stops', () => {
    const all = converged(withRecordedRepo);
    expect(() => plan({ target: { type: 'time', ms: stop * 1000 - 1 } }, all)).toThrow(
      `--target time=${iso(stop - 0.001)} is before the recovery window of repo1: ${iso(stop)} (backup 20261201-175745F consistent)`,
    );
    expect(() => plan({ target: { type: 'lsn', lsn: '0/3000049' } }, all)).toThrow(
      /before the recovery window of repo1/,
    );
  });

  it('refuses a time past the archived end only when nothing is archived first', () => {
    const window = recoveryWindow(recorded(), archiver('000000010000000000000004', stop + 600));
    const past = { target: { type: 'time' as const, ms: (stop + 601) * 1000 } };
    expect(() => checkInWindow(past, window, 1, false)).toThrow(
      /is past the end of the recovery window of repo1: .*\(000000010000000000000004, archived then\)/,
    );
    // A running primary archives its WAL first: the window reaches the moment it stops.
    expect(() => checkInWindow(past, window, 1, true)).not.toThrow();
    expect(() => checkInWindow({ target: { type: 'time', ms: (stop + 600) * 1000 } }, window, 1, false)).not.toThrow();
    // A lower bound refuses nothing past it.
    expect(() => checkInWindow(past, recoveryWindow(recorded()), 1, false)).not.toThrow();
  });
});

describe("a folder repository's newest WAL file gives the end's time when no primary names it", () => {
  const backup1 = inventory.hosts.find((host) => host.name === 'ssh-backup1')!;
  const ctx = probeContext(inventory, backup1, { ...hostNeeds(inventory, backup1, converged()), repos: true });
  const framed = `F|0|${Buffer.from(JSON.stringify(info)).toString('base64')}|`;
  const sha = 'a'.repeat(40);
  const parse = (existsLine: string) => repoProbe.parse(`${existsLine}\n${framed}`, ctx).repos![0];

  it('the probe lists the archive where bsync.toml puts it, and only on the host that holds it', () => {
    expect(repoProbe.command(ctx)).toContain('for a in /home/backrest/archive/pgedge-lab-1/*/; do');
    const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
    const onPg1 = probeContext(inventory, pg1, { ...hostNeeds(inventory, pg1, converged()), repos: true });
    expect(repoProbe.command(onPg1)).not.toContain('/archive/');
  });

  it("takes the modification time of info's newest segment in the current database's archive id, and nothing else", () => {
    const newest = `15-1/000000010000000000000004-${sha}.gz`;
    expect(parse(`Y ${stop + 42} ${newest}`)).toMatchObject({ backupInfoExists: true, archiveMaxTime: stop + 42 });
    // Another archive id, another segment, words that are not a time or a file: not read.
    for (const line of [
      `Y ${stop + 42} 14-1/000000010000000000000004-${sha}.gz`,
      `Y ${stop + 42} 15-1/000000010000000000000003-${sha}.gz`,
      `Y $(touch) ${newest}`,
      `Y ${stop + 42} 15-1/000000010000000000000004-${sha}.gz;touch`,
      'Y',
    ])
      expect(parse(line).archiveMaxTime, line).toBeUndefined();
    // Several archive ids on one line: the current one's.
    expect(parse(`Y 7 14-1/000000010000000000000009-${sha} ${stop + 42} ${newest}`).archiveMaxTime).toBe(stop + 42);
    const facts = { ...converged().get('ssh-backup1')!, repos: [parse(`Y ${stop + 42} ${newest}`)] };
    expect(() => typedFacts(facts)).not.toThrow();
    expect(() => typedFacts({ ...facts, repos: [{ ...facts.repos[0], archiveMaxTime: -1 }] })).toThrow(
      /repos\[0\]\.archiveMaxTime is -1/,
    );
  });

  it('with the primary down, the window ends when the file was written, and a restore past it is refused', () => {
    const all = converged((hosts) => {
      hosts.get('ssh-backup1')!.repos = [{ ...recorded(), archiveMaxTime: stop + 900 }];
      const pg1 = hosts.get('ssh-pg1')!;
      pg1.postgres = { ...pg1.postgres!, running: false };
    });
    const window = recoveryWindow(all.get('ssh-backup1')!.repos![0]);
    // Whole seconds, cut down: the end is the next second.
    expect(window.to).toEqual({ wal: '000000010000000000000004', at: iso(stop + 901), atIs: 'archived' });
    const down = (ms: number) =>
      planRestore({
        inventory,
        facts: all,
        request: { zone: 1, target: { type: 'time', ms }, delta: true, targetAction: 'promote', allowOverwrite: false },
        space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
        now: (stop + 3600) * 1000,
      });
    expect(() => down((stop + 901) * 1000 + 1)).toThrow(
      `--target time=${iso(stop + 901.001)} is past the end of the recovery window of repo1: ${iso(stop)} (backup 20261201-175745F consistent) .. ${iso(stop + 901)} (000000010000000000000004, archived then), timeline 1`,
    );
    expect(down((stop + 901) * 1000).operation.request.set).toBe('20261201-175745F');
  });
});
