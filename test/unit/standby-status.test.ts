// A standby site in status, check, backup and verify (issue 29 item 5 follow-up), on the
// recorded ssh scenario as test/support/first-data.ts makes it: S3 without backup hosts,
// ssh-pg2 as zone 3 declared standby_of = { zone = 1 }. The standby's host reads zone 1's
// stanza (its probes name the stanza it replays); its server's replay comes from the postgres
// probe's one query through the typed boundary; status shows it as a standby of zone 1's
// stanza, never as a missing stanza of its own; check holds it to standby_in_recovery and
// max_replay_lag; backup and verify refuse it, naming the source.
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { hostNeeds } from '../../lib/desired/needs.js';
import { HostError } from '../../lib/errors.js';
import { postgresProbe } from '../../lib/facts/postgres.js';
import { probeContext } from '../../lib/facts/probe.js';
import { repoProbe } from '../../lib/facts/repo.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts, ReplayFacts } from '../../lib/facts/types.js';
import { renderMetrics } from '../../lib/metrics/prom.js';
import { planBackup } from '../../lib/recovery/backup.js';
import { checkReport, renderCheckText } from '../../lib/status/check.js';
import { statusMetrics } from '../../lib/status/metrics.js';
import { renderStatusText } from '../../lib/status/render-text.js';
import { statusReport } from '../../lib/status/report.js';
import { behindArchive } from '../../lib/status/standby-sites.js';
import { verifyPlans } from '../../lib/verify/targets.js';
import { FIXTURES } from '../support/bsync.js';
import { load, zone3Config, zone3Facts } from '../support/first-data.js';

const STANDBY = '[[zone]]\nid = 3\nstandby_of = { zone = 1 }\n';
const config = (alert = '') => zone3Config(`${STANDBY}${alert ? `\n[alert]\n${alert}\n` : ''}`);
const HOSTS = ['ssh-pg1', 'ssh-pg2'];
const schema = (name: string) =>
  new Ajv.default({ strict: true }).compile(JSON.parse(readFileSync(`${FIXTURES}../schemas/${name}`, 'utf8')));
const SEGMENT = 16 * 1024 * 1024;

/** The recorded full's end: every clock below is set from it. */
const STOP = zone3Facts(false).get('ssh-pg1')!.repos![0].backups.at(-1)!.stop!;

/**
 * ssh-pg2 as the standby site's probes read it: zone 1's stanza in the repository (newest
 * segment `newest`), its server in recovery (or not, or down) having replayed `replay`.
 */
function site(
  replay: Partial<ReplayFacts> | null,
  options: { newest?: string; inRecovery?: boolean; down?: boolean } = {},
) {
  return zone3Facts(options.down === true, false, (all) => {
    const pg2 = all.get('ssh-pg2')!;
    pg2.repos = structuredClone(all.get('ssh-pg1')!.repos!);
    if (options.newest) pg2.repos[0].archiveMax = options.newest;
    if (options.down) return;
    const pg = pg2.postgres!;
    pg.inRecovery = options.inRecovery ?? true;
    delete pg.currentLsn;
    if (replay) pg.replay = { lsn: '0/3000050', at: STOP + 60, segmentBytes: SEGMENT, ...replay };
  });
}

const reportOf = (byHost: Map<string, HostFacts>, alert = '', now = STOP + 600) =>
  statusReport(load(config(alert)), byHost, HOSTS, now);

describe("the standby site's facts", () => {
  const inventory = load(config());
  const pg2 = inventory.hosts.find((host) => host.name === 'ssh-pg2')!;
  const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;

  it('its probes read the stanza it replays; the source’s, and a zone without standby_of, their own', () => {
    expect(probeContext(inventory, pg2, hostNeeds(inventory, pg2)).stanza).toBe('pgedge-lab-1');
    expect(repoProbe.command(probeContext(inventory, pg2, hostNeeds(inventory, pg2)))).toContain(
      '--stanza=pgedge-lab-1 ',
    );
    expect(probeContext(inventory, pg1, hostNeeds(inventory, pg1)).stanza).toBe('pgedge-lab-1');
    const own = load(zone3Config(''));
    const ownPg2 = own.hosts.find((host) => host.name === 'ssh-pg2')!;
    expect(probeContext(own, ownPg2, hostNeeds(own, ownPg2)).stanza).toBe('pgedge-lab-3');
  });

  const ctx = probeContext(inventory, pg2, hostNeeds(inventory, pg2));
  const framedLine = (stdout: string) => `F|0|${Buffer.from(stdout).toString('base64')}|`;
  const answer = (replay: unknown) => {
    const { running: _, ...pg } = structuredClone(zone3Facts(false).get('ssh-pg2')!.postgres!);
    return `${framedLine(`1234\n${JSON.stringify({ ...pg, inRecovery: true, replay })}`)}\n${framedLine('/usr/lib/postgresql/15/bin/postgres\n')}`;
  };

  it("asks the replay in the postgres probe's one query, only in recovery, and reads it back", () => {
    const command = postgresProbe.command(ctx);
    expect(command).toContain('pg_last_wal_replay_lsn()');
    expect(command).toContain('pg_last_xact_replay_timestamp()');
    expect(command).toMatch(/pg_size_bytes\(current_setting\('[\\']*wal_segment_size'/);
    expect(command).toMatch(/'[\\']*replay'[\\']*, CASE WHEN pg_is_in_recovery\(\) THEN json_build_object/);
    const replay = { lsn: '0/5000060', at: STOP + 1.25, segmentBytes: SEGMENT };
    expect(postgresProbe.parse(answer(replay), ctx).postgres?.replay).toEqual(replay);
    // A primary answers null: no field.
    expect(postgresProbe.parse(answer(null), ctx).postgres).not.toHaveProperty('replay');
  });

  it('a position, time or size no server gives is refused at the boundary, naming host and fact', () => {
    for (const [replay, path] of [
      [{ lsn: "0/5000060'; DROP", at: null, segmentBytes: SEGMENT }, 'postgres.replay.lsn'],
      [{ lsn: '0/5000060', at: 'yesterday', segmentBytes: SEGMENT }, 'postgres.replay.at'],
      [{ lsn: '0/5000060', at: null, segmentBytes: 0 }, 'postgres.replay.segmentBytes'],
    ] as const) {
      const { postgres } = postgresProbe.parse(answer(replay), ctx);
      let error: unknown;
      try {
        typedFacts({ ...zone3Facts(false).get('ssh-pg2')!, postgres });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(HostError);
      expect((error as HostError).host).toBe('ssh-pg2');
      expect((error as HostError).message).toContain(path);
    }
  });
});

describe('behind the archive', () => {
  const at = (lsn: string, segmentBytes = SEGMENT): ReplayFacts => ({ lsn, at: null, segmentBytes });
  it('is false once any of the newest archived segment was replayed, or all of it', () => {
    expect(behindArchive(at('0/3000050'), '000000010000000000000003')).toBe(false);
    // A segment that ends in a WAL switch: the replay stands at the start of the next one.
    expect(behindArchive(at('0/4000000'), '000000010000000000000003')).toBe(false);
    expect(behindArchive(at('1/A0000028'), '00000002000000010000000A')).toBe(false);
  });
  it('is true while the newest archived segment waits, on whatever timeline', () => {
    expect(behindArchive(at('0/3000000'), '000000010000000000000003')).toBe(true);
    expect(behindArchive(at('0/2FFFFF8'), '000000010000000000000003')).toBe(true);
    expect(behindArchive(at('0/3000050'), '000000020000000000000005')).toBe(true);
    expect(behindArchive(at('0/FF000050'), '000000010000000100000000')).toBe(true);
  });
  it('counts segments in the server’s size (64 MiB: 00000001 00000000 00000001 starts at 0/4000000)', () => {
    expect(behindArchive(at('0/4000028', 64 * 1024 * 1024), '000000010000000000000001')).toBe(false);
    expect(behindArchive(at('0/3FFFFF0', 64 * 1024 * 1024), '000000010000000000000001')).toBe(true);
  });
  it('is unknown without a position, an archive, or a segment size PostgreSQL has', () => {
    expect(behindArchive({ lsn: null, at: null, segmentBytes: SEGMENT }, '000000010000000000000003')).toBeNull();
    expect(behindArchive(at('0/3000050'), null)).toBeNull();
    expect(behindArchive(at('0/3000050', 3 * 1024 * 1024), '000000010000000000000003')).toBeNull();
  });
});

describe('bsync status on a standby site', () => {
  const validStatus = schema('status.schema.json');

  it('shows it as a standby of zone 1’s stanza, caught up, and no stanza of its own (no missing-stanza noise)', () => {
    const report = reportOf(site({}));
    expect(report.stanzas.map((stanza) => stanza.stanza)).toEqual(['pgedge-lab-1']);
    expect(report.standbySites).toEqual([
      {
        zone: 3,
        host: 'ssh-pg2',
        standbyOf: { zone: 1, stanza: 'pgedge-lab-1', repo: 'repo1' },
        running: true,
        inRecovery: true,
        replayedLsn: '0/3000050',
        replayedAt: new Date((STOP + 60) * 1000).toISOString(),
        replayedAgeSeconds: 540,
        newestArchived: '000000010000000000000003',
        behind: false,
        replayLagSeconds: 0,
        problems: [],
      },
    ]);
    expect(validStatus(report)).toBe(true);
    const text = renderStatusText(report);
    expect(text).not.toMatch(/pgedge-lab-3|missing stanza/);
    expect(text).toMatch(
      /\nSTANDBY SITE +HOST +STANDBY OF +STATE +REPLAYED TO +LAST REPLAYED COMMIT \(UTC\) +NEWEST ARCHIVED +REPLAY\n/,
    );
    expect(text).toMatch(
      new RegExp(
        `\nzone 3 +ssh-pg2 +pgedge-lab-1 repo1 +in recovery +0/3000050 +${new Date((STOP + 60) * 1000).toISOString()} \\(9m ago\\) +000000010000000000000003 +caught up\n`,
      ),
    );
  });

  it('a run over the standby site alone (--host ssh-pg2) shows its table only, from what its own host read', () => {
    const report = statusReport(load(config()), site({}), ['ssh-pg2'], STOP + 600);
    expect(report.stanzas).toEqual([]);
    expect(report.standbySites.map((each) => [each.host, each.behind])).toEqual([['ssh-pg2', false]]);
    expect(renderStatusText(report).split('\n')[0]).toMatch(/^STANDBY SITE +HOST/);
  });

  it('behind the newest archived segment: the age of its last replayed commit is the lag', () => {
    const [standby] = reportOf(site({}, { newest: '000000010000000000000005' }), '', STOP + 3660).standbySites;
    expect(standby).toMatchObject({ behind: true, replayLagSeconds: 3600, problems: [] });
    expect(renderStatusText(reportOf(site({}, { newest: '000000010000000000000005' }), '', STOP + 3660))).toMatch(
      / 000000010000000000000005 +60m behind\n/,
    );
  });

  it('a promoted server, a server down and an archive it cannot read need attention', () => {
    const promoted = reportOf(site(null, { inRecovery: false }));
    expect(promoted.standbySites[0]).toMatchObject({ inRecovery: false, replayedLsn: null, behind: null });
    expect(renderStatusText(promoted)).toContain(
      "Needs attention:\n  zone 3 (standby site): PostgreSQL on ssh-pg2 runs as a primary, not a standby of zone 1's stanza pgedge-lab-1: promoted outside bsync, or never restored as one\n",
    );
    const down = reportOf(site(null, { down: true }));
    expect(down.standbySites[0]).toMatchObject({ running: false, inRecovery: null, replayLagSeconds: null });
    expect(down.standbySites[0].problems[0]).toMatch(
      /^PostgreSQL on ssh-pg2 does not answer \(psql: error: connection to server on socket failed\): it replays nothing$/,
    );
    const unread = site({});
    Object.assign(unread.get('ssh-pg2')!.repos![0], { statusCode: null, statusMessage: 'no answer within 20 s' });
    delete unread.get('ssh-pg2')!.repos![0].archiveMax;
    const [standby] = reportOf(unread).standbySites;
    expect(standby).toMatchObject({ newestArchived: null, behind: null, replayLagSeconds: null });
    expect(standby.problems).toEqual([
      "zone 1's stanza pgedge-lab-1 in repo1 could not be read on ssh-pg2: pgbackrest info status unknown: no answer within 20 s",
    ]);
    for (const report of [promoted, down, reportOf(unread)]) expect(validStatus(report)).toBe(true);
  });

  it('as metrics, labelled with the stanza it replays, its repository and its server', () => {
    const text = renderMetrics(statusMetrics(reportOf(site({}, { newest: '000000010000000000000005' }))));
    const families = new Map(
      (parsePrometheus(text) as Array<{ name: string; metrics: Array<{ labels: object; value: string }> }>).map(
        (family) => [family.name, family.metrics],
      ),
    );
    const labels = { stanza: 'pgedge-lab-1', repo: 'repo1', host: 'ssh-pg2' };
    expect(families.get('bsync_standby_running')).toEqual([{ labels, value: '1' }]);
    expect(families.get('bsync_standby_in_recovery')).toEqual([{ labels, value: '1' }]);
    expect(families.get('bsync_standby_behind_archive')).toEqual([{ labels, value: '1' }]);
    expect(families.get('bsync_standby_replay_lag_seconds')).toEqual([{ labels, value: '540' }]);
    expect(families.get('bsync_standby_last_replay_timestamp_seconds')).toEqual([{ labels, value: String(STOP + 60) }]);
    // Zone 3 has no stanza of its own in any metric.
    expect(text).not.toContain('pgedge-lab-3');
  });
});

describe('bsync check on a standby site', () => {
  const validCheck = schema('check.schema.json');
  const run = (byHost: Map<string, HostFacts>, alert = 'max_replay_lag = "30m"', now = STOP + 600) =>
    checkReport(reportOf(byHost, alert, now), load(config(alert)).alert);
  const standbyLines = (check: ReturnType<typeof run>) =>
    check.results
      .filter((result) => result.host === 'ssh-pg2')
      .map((result) => `${result.threshold} ${result.state} ${result.value}: ${result.message}`);

  it('holds a standby in recovery that keeps up (exit 0)', () => {
    const check = run(site({}));
    expect(check.exitCode).toBe(0);
    expect(standbyLines(check)).toEqual([
      'standby_in_recovery held 1: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): in recovery (standby_of = { zone = 1 })',
      'max_replay_lag held 0: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): replayed the newest archived segment, 000000010000000000000003 (max_replay_lag = "30m")',
    ]);
    expect(validCheck(check)).toBe(true);
  });

  it('breaks max_replay_lag behind the archive past the limit, holds it within (exit 2, then 0)', () => {
    const behind = site({}, { newest: '000000010000000000000005' });
    const late = run(behind, 'max_replay_lag = "30m"', STOP + 3660);
    expect(late.exitCode).toBe(2);
    expect(renderCheckText(late)).toBe(
      'BROKEN: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): behind 000000010000000000000005: its last replayed transaction was committed 1h ago (max_replay_lag = "30m")\n',
    );
    expect(run(behind, 'max_replay_lag = "2h"', STOP + 3660).exitCode).toBe(0);
    expect(validCheck(late)).toBe(true);
  });

  it('breaks a standby site that runs as a primary, with or without max_replay_lag (exit 2)', () => {
    const promoted = site(null, { inRecovery: false });
    const without = run(promoted, '');
    expect(without.exitCode).toBe(2);
    expect(standbyLines(without)).toEqual([
      'standby_in_recovery broken 0: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): runs as a primary, not a standby: promoted outside bsync, or never restored as one (standby_of = { zone = 1 })',
    ]);
    expect(run(promoted).results.find((result) => result.threshold === 'max_replay_lag')?.state).toBe('broken');
    expect(validCheck(without)).toBe(true);
  });

  it('cannot tell for a server down, an archive unread, or a lag without a replayed commit (exit 1)', () => {
    expect(renderCheckText(run(site(null, { down: true })))).toBe(
      [
        'UNKNOWN: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): PostgreSQL does not answer (standby_of = { zone = 1 })',
        'UNKNOWN: zone 3 on ssh-pg2 (standby of pgedge-lab-1 repo1): PostgreSQL does not answer (max_replay_lag = "30m")',
        '',
      ].join('\n'),
    );
    const unread = site({});
    delete unread.get('ssh-pg2')!.repos![0].archiveMax;
    expect(run(unread).exitCode).toBe(1);
    expect(standbyLines(run(unread))[1]).toMatch(
      /^max_replay_lag unknown null: .*the source's archive could not be read/,
    );
    const noCommit = run(site({ at: null }, { newest: '000000010000000000000005' }));
    expect(noCommit.exitCode).toBe(1);
    expect(standbyLines(noCommit)[1]).toMatch(
      /behind 000000010000000000000005, and no transaction replayed since it started/,
    );
  });
});

describe('backup and verify on a standby site', () => {
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return `${(error as Error).message} | ${(error as Error & { hint?: string }).hint}`;
    }
    return 'not refused';
  };

  it('bsync backup --zone 3 is refused: back up zone 1, the standby has no stanza until promoted', () => {
    expect(refusal(() => planBackup(load(config()), site({}), { zone: 3, type: 'diff' }))).toBe(
      'zone 3 is a standby site of zone 1 (standby_of): it has no stanza of its own to back up until it is promoted | Back up the stanza it replays, zone 1\'s: bsync backup --zone 1 --type diff. Once promoted (bsync promote --zone 3; docs/recovery.md, "A standby site"), zone 3 gets its own stanza, archiving and backups.',
    );
    expect(planBackup(load(config()), site({}), { zone: 1, type: 'diff' }).stanza).toBe('pgedge-lab-1');
  });

  it('bsync verify --stanza of the standby’s zone is refused naming the source’s; a verify of all leaves it out', () => {
    const request = { stanza: 'pgedge-lab-3', recoveryPoint: false };
    expect(refusal(() => verifyPlans(load(config()), site({}), request))).toMatch(
      /^zone 3 is a standby site of zone 1 \(standby_of\): it has no stanza of its own to verify until it is promoted \| Verify the stanza it replays, whose backups it was restored from: bsync verify --stanza pgedge-lab-1\. /,
    );
    expect(
      verifyPlans(load(config()), site({}), { recoveryPoint: false }).map((entry) => [entry.zone.stanza, entry.host]),
    ).toEqual([['pgedge-lab-1', 'ssh-pg1']]);
  });
});
