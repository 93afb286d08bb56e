// `bsync restore --repo-target-time`: a versioned bucket read as it was at a time (pgBackRest's
// repo-target-time). On the recorded facts of the lab's ssh scenario with an S3 repo2 beside
// its repo1: the decoder, each refusal before anything stops, the pgBackRest command lines,
// the plan's text in UTC, and a saved plan that carries the time. The lab suite
// (test/integration/repo-target-time.test.ts) runs it against a bucket that was damaged.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { needsOf } from '../../lib/facts/needs.js';
import { probeContext } from '../../lib/facts/probe.js';
import { repoProbe } from '../../lib/facts/repo.js';
import { DECLARED_STATE } from '../../lib/operations/declared.js';
import { OPERATIONS } from '../../lib/operations/registry.js';
import { restorePlanning } from '../../lib/operations/restore.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { readPlanFile, writePlanFile } from '../../lib/plan/saved.js';
import { planClone } from '../../lib/recovery/clone.js';
import { repoTimeNeeds } from '../../lib/recovery/repo-target-time.js';
import {
  decodeCloneRequest,
  decodeRestoreRequest,
  decodeStandbyRequest,
  type RestoreRequest,
} from '../../lib/recovery/requests.js';
import { planRestore } from '../../lib/recovery/restore.js';
import { knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, withSecondRepo } from '../support/configs.js';
import { cloneRequest } from '../support/requests.js';
import { savedPlanText, secretsShownIn } from '../support/saved-secrets.js';
import { sessionFor, sessionOf } from '../support/sessions.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const versioned = parseConfig(withSecondRepo(s3Repo('', 'versioned = true')), CONFIG, ENV);
const unversioned = parseConfig(withSecondRepo(s3Repo()), CONFIG, ENV);
const PLENTY = { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 };
const NOW = Date.parse('2026-12-03T00:00:00Z');
/** What psql prints, an hour east of UTC: 10:26:24.816907 in UTC. */
const AT = '2026-12-02 11:26:24.816907+01';
const AT_UTC = '2026-12-02T10:26:24.816907Z';
const PGBACKREST_AT = '--repo-target-time="2026-12-02 10:26:24+00"';

/** The recorded facts, repo2 holding what repo1 holds, each host on pgBackRest `version`. */
function facts(version = '2.55.1'): Map<string, HostFacts> {
  const all = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  for (const host of all.values()) {
    host.pgbackrestVersion = version;
    if (host.repos?.[0]) host.repos.push({ ...host.repos[0], key: 2 });
  }
  return all;
}

const request = (extra: Partial<RestoreRequest> = {}): RestoreRequest => ({
  ...decodeRestoreRequest({
    zone: 1,
    target: 'latest',
    delta: true,
    targetAction: 'promote',
    allowOverwrite: true,
    repo: 2,
    repoTargetTime: AT,
  }),
  ...extra,
});

function plan(extra: Partial<RestoreRequest> = {}, options = { inventory: versioned, all: facts() }) {
  // The setup plan is left out: the recorded hosts' pgbackrest.conf has no repo2.
  return planRestore({
    inventory: options.inventory,
    facts: options.all,
    request: request(extra),
    space: PLENTY,
    now: NOW,
  });
}

const stepCommands = (resources: ReturnType<typeof plan>['resources'], kind: string) =>
  resources.find((resource) => resource.kind === kind)!.change!.steps.map((step) => step.command);

describe('--repo-target-time as the decoder reads it', () => {
  it('takes what --target time= takes, in UTC, for a restore and a clone', () => {
    expect(request().repoTargetTime).toEqual({ ms: Date.parse('2026-12-02T10:26:24.816Z'), micros: 907 });
    const clone = decodeCloneRequest({
      zone: 1,
      to: 'ssh-backup1',
      target: 'latest',
      allowOverwrite: false,
      repoTargetTime: '2026-12-02T10:26:24Z',
    });
    expect(clone.repoTargetTime).toEqual({ ms: Date.parse('2026-12-02T10:26:24Z'), micros: 0 });
    const without = decodeRestoreRequest({
      target: 'latest',
      delta: true,
      targetAction: 'promote',
      allowOverwrite: false,
    });
    expect(without).not.toHaveProperty('repoTargetTime');
  });

  it('refuses a time without a zone, or one that is not a time, naming the option', () => {
    const base = { target: 'latest', delta: true, targetAction: 'promote', allowOverwrite: false };
    expect(() => decodeRestoreRequest({ ...base, repoTargetTime: '2026-12-02 10:26:24' })).toThrow(
      /^--repo-target-time "2026-12-02 10:26:24": the time has no zone/,
    );
    expect(() => decodeRestoreRequest({ ...base, repoTargetTime: 'yesterday' })).toThrow(
      /^--repo-target-time "yesterday": the time needs a date, a time and a zone/,
    );
    expect(() => decodeRestoreRequest({ ...base, repoTargetTime: 1733135184 })).toThrow(
      /^--repo-target-time 1733135184: expected a time with its zone/,
    );
  });
});

describe('the restore at a repository time', () => {
  it('gives restore and its restore_command the time in UTC to the second, and reads repo2 only', () => {
    const result = plan();
    const restore = stepCommands(result.resources, 'pg_restore').find((command) => command.startsWith('flock '))!;
    expect(restore).toContain(`--repo=2 --set=20261202-003350F --delta ${PGBACKREST_AT} --type=default`);
    expect(restore).toMatch(
      new RegExp(
        `--recovery-option='restore_command=[^']* --repo=2 ${PGBACKREST_AT.replace(/[+]/g, '\\+')} archive-get %f "%p"'`,
      ),
    );
    // Nothing is archived first (the WAL written now would not be read), nor checked after in the bucket as it is now.
    expect(result.resources.map((resource) => resource.kind)).toEqual([
      'pg_stop',
      'pg_restore',
      'pg_start',
      'recovery_end',
    ]);
    expect(result.operation.notes[0]).toContain(`repo2 is read as it was at ${AT_UTC} (UTC)`);
  });

  it('has the repository info read at that time, for repo2 only', () => {
    expect(needsOf(repoTimeNeeds(versioned, request())).repoReadAt).toEqual({
      repo: 2,
      value: '2026-12-02 10:26:24+00',
    });
    expect(repoTimeNeeds(versioned, { repo: 2 })).toEqual([]);
    const backupHost = versioned.hosts.find((host) => host.name === 'ssh-backup1')!;
    const needs = needsOf([{ repos: true }, ...repoTimeNeeds(versioned, request())]);
    const probe = repoProbe.command(probeContext(versioned, backupHost, needs));
    // One shell word, inside the word that runs info as the repository's user.
    expect(probe).toContain(`--repo=2 '\\''--repo-target-time=2026-12-02 10:26:24+00'\\'' `);
    // repo1's info is as it is now: every mention is repo2's.
    const repo2 = probe.split(`--repo=2 '\\''--repo-target-time=`).length - 1;
    expect(repo2).toBeGreaterThan(0);
    expect(probe.split('--repo-target-time').length - 1).toBe(repo2);
  });

  it('shows the time in UTC in the plan text', () => {
    const result = plan();
    const text = renderPlanText(
      buildPlan(versioned, ['ssh-pg1'], result.resources, undefined, [], result.operation).plan,
      {
        color: false,
      },
    );
    expect(text).toContain(
      `repository as of: ${AT_UTC} (each object's newest version at or before 2026-12-02T10:26:24Z)`,
    );
    expect(text).toContain(`repo2 is read as it was at ${AT_UTC} (UTC)`);
  });

  it('refuses a folder repository, a bucket not declared versioned and a pgBackRest without the option, before anything stops', () => {
    expect(() => plan({ repo: 1 })).toThrow(
      `--repo-target-time ${AT_UTC}: repo1 (ssh) is a folder, which keeps no earlier versions of its files`,
    );
    expect(() => plan({}, { inventory: unversioned, all: facts() })).toThrow(
      `--repo-target-time ${AT_UTC}: repo2's bucket is not declared versioned, so it may hold no earlier versions to read`,
    );
    try {
      plan({}, { inventory: unversioned, all: facts() });
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain('versioned = true in [repo[2].s3]');
    }
    expect(() => plan({}, { inventory: versioned, all: facts('2.45') })).toThrow(
      new RegExp(
        `^--repo-target-time ${AT_UTC.replace(/\./g, '\\.')}: pgBackRest 2.45 on ssh-pg1 cannot read a repository at a time: 2.45 does not have repo-target-time \\(pgBackRest 2.55 has it\\)$`,
      ),
    );
  });

  it('refuses a time in the future, a --target after it, and a standby rebuild', () => {
    expect(() => plan({ repoTargetTime: { ms: NOW + 60_000, micros: 0 } })).toThrow(/is in the future/);
    const after = { type: 'time' as const, ms: Date.parse('2026-12-02T11:00:00Z') };
    expect(() => plan({ target: after })).toThrow(
      `--target time=2026-12-02T11:00:00.000Z is after --repo-target-time ${AT_UTC}: the repository as it was then holds no WAL written after it`,
    );
    // ssh-pg1 as a replica: a standby rebuild is asked of one.
    const replica = facts();
    replica.get('ssh-pg1')!.postgres!.inRecovery = true;
    const standby = decodeStandbyRequest({
      host: 'ssh-pg1',
      target: 'latest',
      delta: true,
      targetAction: 'promote',
      allowOverwrite: true,
      repoTargetTime: AT,
    });
    expect(() =>
      planRestore({ inventory: versioned, facts: replica, request: standby, space: PLENTY, now: NOW }),
    ).toThrow(
      /^--standby follows the primary, which archives into the repository as it is now: --repo-target-time does not apply/,
    );
  });

  it('a clone reads the repository at the time too: its restore and restore_command, nothing archived first', () => {
    const result = planClone({
      inventory: versioned,
      facts: facts(),
      request: cloneRequest('ssh-backup1', { repo: 2, repoTargetTime: request().repoTargetTime }),
      space: PLENTY,
      now: NOW,
    });
    expect(result.resources.map((resource) => resource.kind)).not.toContain('restore_wal');
    const [restore] = stepCommands(result.resources, 'clone_restore');
    expect(restore).toContain(`--repo=2 ${PGBACKREST_AT} --reset-pg1-host`);
    expect(result.operation.request.repoTargetTime).toBe(AT_UTC);
  });
});

describe('a saved plan at a repository time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bsync-repo-time-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the time in UTC, and its one decoder plans the same restore again', () => {
    const result = plan();
    const file = join(dir, 'restore.json');
    writePlanFile(file, buildPlan(versioned, ['ssh-pg1'], result.resources, undefined, [], result.operation).plan);
    const saved = readPlanFile(file);
    expect(saved.operation?.request).toMatchObject({ repo: 2, repoTargetTime: AT_UTC });
    const decoded = OPERATIONS.restore.decode(saved.operation!.request) as RestoreRequest;
    expect(decoded.repoTargetTime).toEqual(request().repoTargetTime);
    const again = planRestore({ inventory: versioned, facts: facts(), request: decoded, space: PLENTY, now: NOW });
    expect(again).toEqual(result);
  });

  it("holds none of the config's secrets, planned as `bsync restore --out` plans it on hosts whose pgbackrest.conf holds them", async () => {
    // The hosts as the declared state leaves them: repo2's keys and both passphrases in their pgbackrest.conf.
    const converged = facts();
    const setup = await DECLARED_STATE.plan(sessionOf(versioned), converged);
    for (const [name, host] of converged) {
      const conf = setup.changes.get(`${name}.pgbackrest_conf`)?.diff;
      if (conf) host.files['/etc/pgbackrest/pgbackrest.conf'].content = knownText(conf.after)!;
    }
    const held = converged.get('ssh-pg1')!.files['/etc/pgbackrest/pgbackrest.conf'].content;
    for (const secret of [ENV.CIPHER, ENV.S3K, ENV.S3S]) expect(held).toContain(secret);
    const planning = restorePlanning(request());
    const { plan: restore } = await planning.plan(sessionFor(versioned, planning), converged);
    expect(restore.operation?.request).toMatchObject({ repo: 2, repoTargetTime: AT_UTC });
    expect(secretsShownIn(savedPlanText(restore), Object.values(ENV))).toEqual([]);
  });
});
