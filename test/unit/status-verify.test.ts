// status, verify and metrics on recorded data, no network: pgbackrest info as 2.45 prints
// it (fixtures/facts/pgbackrest-info.json, recorded on the lab), synthetic archiver rows
// and verify steps, and the metrics text read back by a Prometheus text-format parser.
import { readFileSync } from 'node:fs';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { parseInfo } from '../../lib/facts/repo.js';
import type { HostFacts, RepoFacts } from '../../lib/facts/types.js';
import { renderMetrics } from '../../lib/metrics/prom.js';
import { statusMetrics } from '../../lib/status/metrics.js';
import { statusReport } from '../../lib/status/report.js';
import type { VerifyJob, VerifyStep } from '../../lib/verify/script.js';
import { parseVerifyOutput } from '../../lib/verify/script.js';
import { lsnAtLeast, verdict } from '../../lib/verify/verdict.js';
import { FIXTURES } from '../support/bsync.js';

const info = JSON.parse(readFileSync(`${FIXTURES}facts/pgbackrest-info.json`, 'utf8'));
const inventory = parseConfig(
  readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
    .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "C" }')
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "P" }'),
  `${FIXTURES}lab/ssh.toml`,
  { C: 'cipher-passphrase-0123456789', P: 'password-0123456789' },
);
const repo = {
  key: 1,
  stanza: 'pgedge-lab-1',
  backupInfoExists: true,
  ...parseInfo(info, 'pgedge-lab-1'),
} as RepoFacts;
const stop = repo.backups[0].stop!;

function hostFacts(host: string, extra: Partial<HostFacts>): HostFacts {
  return {
    host,
    os: { id: 'debian', versionId: '12', family: 'debian', pid1: 'sshd' },
    users: {},
    files: {},
    crontabs: {},
    hostKeys: [],
    pgbackrestVersion: '2.45',
    ...extra,
  };
}

function facts(archiver: { lastArchivedTime: number | null; lastFailedTime: number | null }) {
  const postgres = {
    running: true,
    inRecovery: false,
    versionNum: 150018,
    settings: {},
    fileSettings: [],
    roles: {},
    configFile: '',
    hbaFile: '',
    dataDirectory: '',
    configContent: '',
    hbaContent: '',
    archiver: {
      archivedCount: 7,
      failedCount: archiver.lastFailedTime ? 3 : 0,
      lastArchivedWal: '000000010000000000000004',
      lastFailedWal: archiver.lastFailedTime ? '000000010000000000000005' : null,
      ...archiver,
    },
  };
  return new Map([
    ['ssh-pg1', hostFacts('ssh-pg1', { postgres })],
    ['ssh-backup1', hostFacts('ssh-backup1', { repos: [repo] })],
  ]);
}

describe('pgbackrest info as facts', () => {
  it('keeps times, sizes, the archive range, the version and the lock', () => {
    expect(repo.backups).toEqual([
      expect.objectContaining({
        label: '20261201-175745F',
        type: 'full',
        size: 22956398,
        repoDelta: 3057792,
        pgVersion: '15',
        archiveStart: '000000010000000000000002',
        archiveStop: '000000010000000000000003',
      }),
    ]);
    expect(repo.backups[0].stop! - repo.backups[0].start!).toBe(10);
    expect(repo).toMatchObject({
      archiveMin: '000000010000000000000002',
      archiveMax: '000000010000000000000004',
      backupRunning: false,
      cipher: 'aes-256-cbc',
    });
  });
});

describe('status', () => {
  it('reports the newest backup per type with age and size, and archiving that works', () => {
    const report = statusReport(
      inventory,
      facts({ lastArchivedTime: stop + 3500, lastFailedTime: null }),
      ['ssh-pg1', 'ssh-backup1'],
      stop + 3600,
    );
    const [zone1] = report.stanzas;
    expect(report.stanzas).toHaveLength(1); // zone 2 has no selected host
    expect(zone1.newest.full).toMatchObject({
      ageSeconds: 3600,
      durationSeconds: 10,
      sizeBytes: 22956398,
      repoSizeBytes: 3057792,
    });
    expect(zone1.newest.diff).toBeNull();
    expect(zone1.archiving).toMatchObject({ host: 'ssh-pg1', failing: false, lastArchivedAgeSeconds: 100 });
    expect(zone1.problems).toEqual([]);
  });

  it('says archiving fails when the last attempt failed, and the metrics hold the same values', () => {
    const report = statusReport(
      inventory,
      facts({ lastArchivedTime: stop + 100, lastFailedTime: stop + 200 }),
      ['ssh-pg1'],
      stop + 3600,
    );
    expect(report.stanzas[0].problems).toEqual([
      `WAL archiving fails: 000000010000000000000005 failed at ${new Date((stop + 200) * 1000).toISOString()}`,
    ]);
    const families = parsePrometheus(renderMetrics(statusMetrics(report))) as Array<{
      name: string;
      type: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    const value = (name: string) => Number(families.find((family) => family.name === name)!.metrics[0].value);
    expect(value('bsync_backup_age_seconds')).toBe(3600);
    expect(value('bsync_backup_size_bytes')).toBe(22956398);
    expect(value('bsync_archive_failing')).toBe(1);
    expect(value('bsync_archive_failed_total')).toBe(3);
    expect(families.find((family) => family.name === 'bsync_backup_age_seconds')!.metrics[0].labels).toEqual({
      stanza: 'pgedge-lab-1',
      repo: 'repo1',
      type: 'full',
    });
  });
});

describe('metrics text', () => {
  it('escapes label values so any stanza or host name reads back the same', () => {
    const text = renderMetrics([
      { name: 'bsync_x', help: 'a\\b\nc', type: 'gauge', samples: [{ labels: { host: 'a"b\\c\nd' }, value: 1.5 }] },
    ]);
    const [family] = parsePrometheus(text) as Array<{
      help: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    expect(family.metrics[0]).toEqual({ value: '1.5', labels: { host: 'a"b\\c\nd' } });
  });
});

const JOB: VerifyJob = {
  stanza: 's1',
  runAs: 'backrest',
  pgVersion: '15',
  label: 'L',
  recovery: 'immediate',
  pgHostCount: 1,
  path: '/var/tmp/v',
  neededBytes: 1,
  timeoutSeconds: 60,
  amcheck: false,
};
const frame = (name: string, ms: number, code: number, stdout = '', stderr = '') =>
  `step:${name}:${ms}\nF|${code}|${Buffer.from(stdout).toString('base64')}|${Buffer.from(stderr).toString('base64')}`;
const server = (lsn: string) =>
  JSON.stringify({
    inRecovery: false,
    versionNum: 150018,
    clusterName: 'bsync-verify-s1',
    archiveMode: 'off',
    listen: 'localhost',
    lsn,
    databases: ['postgres', 'template1'],
  });
const steps = (output: string): VerifyStep[] => parseVerifyOutput(output);
const good = (lsn = '0/5000000') =>
  [
    frame('lock', 0, 0),
    frame('leftovers', 1, 0),
    frame('binaries', 2, 0, '/usr/lib/postgresql/15/bin'),
    frame('space', 3, 0, '99999'),
    frame('restore', 1000, 0),
    frame('port', 3500, 0, '54321'),
    frame('configure', 3600, 0),
    frame('start', 4000, 0),
    frame('checks', 6000, 0, server(lsn)),
    frame('cleanup', 6500, 0),
  ].join('\n');

describe('verify verdicts', () => {
  it("passes with every check, timing the restore and the start from the host's clock", () => {
    const result = verdict(JOB, steps(`noise\n${good()}\n....`), undefined);
    expect(result).toMatchObject({
      ok: true,
      restoreSeconds: 2.5,
      startSeconds: 2,
      databases: ['postgres', 'template1'],
      cleanedUp: true,
    });
    expect(result.checks.every((check) => check.ok)).toBe(true);
  });

  it("names the failed step with pgBackRest's ERROR line", () => {
    const output = [
      frame('lock', 0, 0),
      frame('restore', 1, 1, '', 'INFO: restore command begin\nERROR: [039]: checksum mismatch\n'),
      frame('cleanup', 2, 0),
    ].join('\n');
    expect(verdict(JOB, steps(output), undefined)).toMatchObject({
      ok: false,
      failedStep: 'restore',
      message: 'ERROR: [039]: checksum mismatch',
      cleanedUp: true,
    });
  });

  it('fails a recovery point the restored server did not reach, and passes one it passed', () => {
    const marker = { host: 'pg1', lsn: '0/8000088', wal: '000000010000000000000008', archived: true };
    const short = verdict({ ...JOB, recovery: 'default' }, steps(good('0/60000A0')), marker);
    expect(short).toMatchObject({ ok: false, failedStep: 'checks' });
    expect(short.message).toMatch(/^recovery point: restored only to 0\/60000A0, before the marker 0\/8000088/);
    expect(verdict({ ...JOB, recovery: 'default' }, steps(good('0/9000000')), marker).ok).toBe(true);
    expect(lsnAtLeast('1/0', '0/FFFFFFFF')).toBe(true);
    expect(lsnAtLeast('garbage', '0/1')).toBe(false);
  });

  it('fails when the server reports something else than a throwaway copy', () => {
    const output = good().replace(
      Buffer.from(server('0/5000000')).toString('base64'),
      Buffer.from(server('0/5000000').replace('bsync-verify-s1', 'main')).toString('base64'),
    );
    expect(verdict(JOB, steps(output), undefined)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^isolated: cluster_name main/),
    });
  });
});
