// The restore planner on recorded facts of the lab's converged ssh scenario: which backup
// set a target picks, what it refuses before anything stops (space, WAL, versions, a
// stopped server's layout), and the pgBackRest command it runs. The lab suite
// (test/integration/restore.test.ts) runs the same plans for real.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { planRestore, restoreNeeds } from '../../lib/recovery/restore.js';
import { parseTarget, restoreCommandOption, restoreTargetOptions, targetText } from '../../lib/recovery/target.js';
import { planClone } from '../../lib/recovery/clone.js';
import { parseCloneTarget, type RestoreRequest } from '../../lib/recovery/requests.js';
import { interruptedRestore, RESTORE_MARK } from '../../lib/recovery/interrupted.js';
import { zonesOf } from '../../lib/desired/zone.js';
import { followingReplicas } from '../../lib/recovery/restore-replicas.js';
import { knownText } from '../../lib/resources/types.js';
import { cloneRequest, SAVED_RESTORE } from '../support/requests.js';
import { OPERATIONS } from '../../lib/operations/registry.js';
import type { BsyncError } from '../../lib/errors.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG, TWO_IN_ZONE_1 } from '../support/configs.js';

const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
const PLENTY = { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 };

function facts(edit: (all: Map<string, HostFacts>) => void = () => {}): Map<string, HostFacts> {
  const all = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  edit(all);
  return all;
}

/** repo1 of zone 1 holds three backups: a full, a diff and an incr, an hour apart. */
function threeBackups(all: Map<string, HostFacts>): void {
  const repo = all.get('ssh-backup1')!.repos![0];
  const [full] = repo.backups;
  const at = (hours: number) => ({ start: full.start! + hours * 3600, stop: full.stop! + hours * 3600 });
  repo.backups = [
    { ...full, lsnStart: '0/2000028', lsnStop: '0/3000050' },
    {
      ...full,
      label: `${full.label}_20261202-013350D`,
      type: 'diff',
      ...at(1),
      lsnStart: '0/5000028',
      lsnStop: '0/5000100',
      archiveStart: '000000010000000000000005',
      archiveStop: '000000010000000000000005',
    },
    {
      ...full,
      label: `${full.label}_20261202-023350I`,
      type: 'incr',
      ...at(2),
      lsnStart: '0/7000028',
      lsnStop: '0/7000100',
      archiveStart: '000000010000000000000007',
      archiveStop: '000000010000000000000007',
    },
  ];
  repo.archiveMax = '000000010000000000000009';
}

/** `host`'s server stopped, its Debian cluster (15/main) what the host still holds. */
function stopDebian(all: Map<string, HostFacts>, host: string): void {
  const stopped = all.get(host)!;
  stopped.postgres = { ...stopped.postgres!, running: false };
  const configFile = '/etc/postgresql/15/main/postgresql.conf';
  const dataDirectory = '/var/lib/postgresql/15/main';
  stopped.storedLayout = {
    sources: [{ source: 'postgresql-common', file: configFile, configFile, major: '15', dataDirectory, port: 5432 }],
    binDirs: ['/usr/lib/postgresql/15/bin'],
  };
}

/** The steps of a restore of a running server, in order. */
const RUNNING_SERVER_STEPS = ['restore_wal', 'pg_stop', 'pg_restore', 'pg_start', 'recovery_end', 'archive_check'];

function plan(request: Partial<RestoreRequest>, all = facts(threeBackups), space = PLENTY) {
  return planRestore({
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
    space,
    now: Date.parse('2026-12-03T00:00:00Z'),
  });
}

const restoreCommand = (result: ReturnType<typeof plan>) =>
  result.resources
    .find((resource) => resource.kind === 'pg_restore')!
    .change!.steps.find((step) => step.command.startsWith('flock '))!.command;

describe('restore targets', () => {
  it('reads each form and gives pgBackRest the instant in UTC', () => {
    expect(restoreTargetOptions(parseTarget('time=2026-12-02 02:30:00+01:00'))).toEqual([
      '--type=time',
      '--target=2026-12-02 01:30:00.000000+00',
    ]);
    expect(targetText(parseTarget('lsn=0/3abc'))).toBe('lsn=0/3ABC');
    expect(restoreTargetOptions(parseTarget('xid=1234'))).toEqual(['--type=xid', '--target=1234']);
    expect(restoreTargetOptions(parseTarget('immediate'))).toEqual(['--type=immediate']);
  });

  it.each([
    ['time=2026-12-02 02:30:00', /has no zone/],
    ['time=tomorrow', /needs a date, a time and a zone/],
    ['lsn=3000060', /two hex numbers/],
    ['xid=-1', /whole number/],
    ['name=', /1 to 63 bytes/],
    ['timeline=2', /no target kind "timeline"/],
    ['soon', /not a target/],
  ])('refuses %s', (text, message) => {
    expect(() => parseTarget(text)).toThrow(message);
  });
});

describe('the restore plan', () => {
  it('picks the newest set that became consistent before a time target, and runs a delta restore to it', () => {
    const all = facts(threeBackups);
    const [full, diff] = all.get('ssh-backup1')!.repos![0].backups;
    const between = (diff.stop! + 1800) * 1000;
    const result = plan({ target: { type: 'time', ms: between } }, all);
    expect(result.operation.request.set).toBe(diff.label);
    expect(restoreCommand(result)).toContain(`--set=${diff.label} --delta --type=time`);
    expect(restoreCommand(result)).toMatch(
      / --target-action=promote --recovery-option='restore_command=[^']*' restore$/,
    );
    expect(result.resources.map((resource) => resource.kind)).toEqual(RUNNING_SERVER_STEPS);
    // Each step waits for the one before.
    for (const [index, resource] of result.resources.entries())
      expect(resource.dependsOn).toEqual(index === 0 ? [] : [result.resources[index - 1].address]);
    const before = (full.stop! - 60) * 1000;
    expect(() => plan({ target: { type: 'time', ms: before } }, all)).toThrow(/before the recovery window/);
  });

  it('picks by LSN, takes the oldest set for a transaction id, and --no-delta writes every file', () => {
    const all = facts(threeBackups);
    const [full, , incr] = all.get('ssh-backup1')!.repos![0].backups;
    expect(plan({ target: { type: 'lsn', lsn: '0/7000200' } }, all).operation.request.set).toBe(incr.label);
    expect(plan({ target: { type: 'xid', xid: '900' } }, all).operation.request.set).toBe(full.label);
    expect(restoreCommand(plan({ delta: false }, all))).toContain(' --force ');
    expect(restoreCommand(plan({}, all))).not.toContain('--target-action');
  });

  it('refuses too little space, naming what it needs and what can be had', () => {
    expect(() => plan({}, facts(threeBackups), { availableBytes: 10 * 1024 ** 2, usedBytes: 5 * 1024 ** 2 })).toThrow(
      /needs about 152 MiB; 15 MiB can be had there \(10 MiB free, 5 MiB held by the data directory now\)/,
    );
  });

  it('refuses a set whose WAL has expired, and a repository it cannot read', () => {
    const expired = facts((all) => {
      threeBackups(all);
      all.get('ssh-backup1')!.repos![0].archiveMin = '000000010000000000000006';
    });
    expect(() => plan({}, expired)).not.toThrow();
    expect(() => plan({ set: expired.get('ssh-backup1')!.repos![0].backups[0].label }, expired)).toThrow(
      /needs WAL from 000000010000000000000002, but repo1's archive starts at 000000010000000000000006/,
    );
    const unreadable = facts((all) => {
      Object.assign(all.get('ssh-backup1')!.repos![0], { statusCode: 99, unreadable: true, statusMessage: 'other' });
    });
    expect(() => plan({}, unreadable)).toThrow(/repo1 of pgedge-lab-1 cannot be read from ssh-backup1: other/);
  });

  it('refuses when pgBackRest config on the hosts differs from bsync.toml', () => {
    const drifted = facts((all) => {
      threeBackups(all);
      const conf = all.get('ssh-backup1')!.files['/etc/pgbackrest/pgbackrest.conf'];
      conf.content = conf.content!.replace(/^repo1-retention-full=.*$/m, 'repo1-retention-full=9');
    });
    expect(() => plan({}, drifted)).toThrow(/not as bsync.toml says.*ssh-backup1\.pgbackrest_conf/);
  });

  it('a stopped server: no archive or stop step, started the Debian way, and its layout asked for by need', () => {
    const stopped = facts((all) => {
      threeBackups(all);
      stopDebian(all, 'ssh-pg1');
    });
    const host = inventory.hosts.find((entry) => entry.name === 'ssh-pg1')!;
    expect(restoreNeeds(inventory, host)).toEqual([{ storedLayout: true }]);
    const result = planRestore({
      inventory,
      facts: stopped,
      request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: false },
      space: PLENTY,
      now: Date.parse('2026-12-03T00:00:00Z'),
    });
    expect(result.resources.map((resource) => resource.kind)).toEqual([
      'pg_restore',
      'pg_start',
      'recovery_end',
      'archive_check',
    ]);
    expect(result.resources[1].change!.steps[0].command).toBe('pg_ctlcluster --skip-systemctl-redirect 15 main start');
    expect(result.operation.notes.join('\n')).toContain('PostgreSQL does not run on ssh-pg1');
  });

  it('a server in recovery (a killed restore still replaying): its promotion is waited for, then a commit and check, before it stops', () => {
    const recovering = facts((all) => {
      threeBackups(all);
      const pg1 = all.get('ssh-pg1')!;
      pg1.postgres = { ...pg1.postgres!, inRecovery: true };
    });
    const result = plan({}, recovering);
    expect(result.resources.map((resource) => resource.kind)).toEqual(RUNNING_SERVER_STEPS);
    const [wait] = result.resources[0].change!.steps;
    expect(wait.user).toBe('postgres');
    // Only a recovery toward a target that promotes is waited for; it ends in a commit and check.
    expect(wait.command).toMatch(/current_setting\('\\''recovery_target_action'\\''\) = '\\''promote'\\''/);
    expect(wait.command).toMatch(/txid_current\(\)' >\/dev\/null\npgbackrest --stanza=pgedge-lab-1 check$/);
    expect(result.operation.notes.join('\n')).toContain('PostgreSQL on ssh-pg1 is in recovery');
  });

  it('refuses a running server without --allow-overwrite, and a Patroni cluster whose Patroni does not answer', () => {
    expect(() => plan({ allowOverwrite: false })).toThrow(/ssh-pg1 runs PostgreSQL on port 5432 as a primary/);
    const ha = parseConfig(
      `${SSH_CONFIG}\n[patroni]\nconfig = "/etc/patroni/patroni.yml"\n`,
      `${FIXTURES}lab/ssh.toml`,
      ENV,
    );
    expect(() =>
      planRestore({
        inventory: ha,
        facts: facts(threeBackups),
        request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: true },
        space: PLENTY,
        now: Date.now(),
      }),
    ).toThrow(/Patroni does not answer/);
  });
});

describe('a Patroni restore that was interrupted', () => {
  const ha = parseConfig(
    `${SSH_CONFIG}\n[patroni]\nconfig = "/etc/patroni/patroni.yml"\n`,
    `${FIXTURES}lab/ssh.toml`,
    ENV,
  );
  /** Paused Patroni let go of the leader key once ssh-pg1's server stopped: nobody leads. */
  const stopped = (mark?: string) =>
    facts((all) => {
      threeBackups(all);
      const pg1 = all.get('ssh-pg1')!;
      pg1.postgres = { ...pg1.postgres!, running: false };
      pg1.patroni = {
        scope: 'bsync-ha',
        dynamic: {},
        members: [{ name: 'ssh-pg1', host: '127.0.1.11', role: 'Replica', state: 'stopped', pendingRestart: false }],
        errors: [],
      };
      if (mark !== undefined) pg1.files[RESTORE_MARK] = { exists: true, kind: 'file', content: mark };
    });
  const plan = (all: Map<string, HostFacts>) =>
    planRestore({
      inventory: ha,
      facts: all,
      request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: false },
      space: PLENTY,
      now: Date.now(),
    });

  it('restores the member its mark names, marking it again first and removing the mark once Patroni resumes', () => {
    const result = plan(stopped('restoring bsync-ha 2026-12-06T09:07:18Z\n'));
    const pause = result.resources.find((resource) => resource.kind === 'patroni_pause')!;
    expect(pause.host).toBe('ssh-pg1');
    expect(pause.change!.steps[0].command).toContain(`> ${RESTORE_MARK}`);
    const resume = result.resources.find((resource) => resource.kind === 'patroni_resume')!;
    expect(resume.change!.steps.at(-1)!.command).toBe(`rm -f ${RESTORE_MARK}`);
    expect(restoreNeeds(ha, ha.hosts.find((host) => host.name === 'ssh-pg1')!)).toContainEqual({
      files: [{ path: RESTORE_MARK, readContent: true }],
    });
  });

  it("without a mark (or with another cluster's), a cluster whose data is gone gets its first member as the new leader", () => {
    for (const mark of [undefined, 'restoring other-scope 2026-12-06T09:07:18Z\n']) {
      const result = plan(stopped(mark));
      expect(result.resources.find((resource) => resource.kind === 'patroni_pause')?.host).toBe('ssh-pg1');
      expect(result.operation.notes[0]).toBe(
        "Patroni's cluster bsync-ha has no leader and no member runs PostgreSQL: ssh-pg1 is restored while the cluster is paused and leads it when it resumes; it has no replica to rebuild.",
      );
    }
  });

  it('a member nobody leads that runs PostgreSQL is not restored: Patroni is electing, or a restore left it', () => {
    const all = stopped();
    all.get('ssh-pg1')!.postgres = { ...all.get('ssh-pg1')!.postgres!, running: true, inRecovery: true };
    expect(() => plan(all)).toThrow(/ssh-pg1 is not the leader of Patroni's cluster bsync-ha/);
  });

  it('of several marks, the newest names the member', () => {
    const members = inventory.hosts.filter((host) => host.role === 'postgres').slice(0, 2);
    const all = facts((each) => {
      each.get(members[0].name)!.files[RESTORE_MARK] = { exists: true, content: 'restoring s 2026-12-06T09:00:00Z\n' };
      each.get(members[1].name)!.files[RESTORE_MARK] = { exists: true, content: 'restoring s 2026-12-06T09:07:00Z\n' };
    });
    expect(interruptedRestore('s', members, all)?.name).toBe(members[1].name);
    expect(interruptedRestore('t', members, all)).toBeUndefined();
  });
});

describe('the clone plan', () => {
  const clone = (to: string, extra: Partial<Parameters<typeof planClone>[0]['request']> = {}) =>
    planClone({
      inventory,
      facts: facts(threeBackups),
      request: cloneRequest(to, extra),
      space: PLENTY,
      now: Date.parse('2026-12-03T00:00:00Z'),
    });

  it('on the backup host: the primary archives first, then a local restore as the repository user, archiving off', () => {
    const result = clone('ssh-backup1');
    expect(result.resources.map((resource) => resource.address)).toEqual([
      'ssh-pg1.restore_wal',
      'ssh-backup1.clone_prepare',
      'ssh-backup1.clone_restore',
      'ssh-backup1.clone_configure',
      'ssh-backup1.clone_start',
    ]);
    const restore = result.resources.find((resource) => resource.kind === 'clone_restore')!.change!.steps[0];
    expect(restore.user).toBe('backrest');
    expect(restore.command).toContain('--reset-pg1-host --pg1-path=/var/lib/bsync-clones/pgedge-lab-1');
    expect(restore.command).toContain('--archive-mode=off');
    const configure = result.resources.find((resource) => resource.kind === 'clone_configure')!.change!.steps[0];
    const settings = knownText(configure.stdin!)!;
    expect(settings).toContain('archive_mode = off');
    expect(settings).toContain("cluster_name = 'bsync-clone-pgedge-lab-1'");
    expect(settings).toContain('port = 5433');
    expect(result.operation.request.to).toBe('ssh-backup1:/var/lib/bsync-clones/pgedge-lab-1');
  });

  it.each([
    ['ssh-pg1:/var/lib/postgresql/15/main/sub', {}, /overlaps the data directory of the server there/],
    ['ssh-pg2', {}, /--to ssh-pg2: that host cannot read pgedge-lab-1's repository/],
    ['nosuch', {}, /--to nosuch: no such host in the config/],
    ['ssh-pg1:/srv/copy', { port: 5432 }, /--port 5432: the server on ssh-pg1 listens there/],
  ])('refuses --to %s', (to, extra, message) => {
    expect(() => clone(to, extra)).toThrow(message);
  });

  it.each(['ssh-pg1:relative', 'ssh-pg1:/srv/../etc', 'ssh-pg1:/', 'bad host'])(
    'refuses the folder or host in %s',
    (to) => {
      expect(() => parseCloneTarget(to)).toThrow(/--to /);
    },
  );
});

describe('a standby from the repository (--standby)', () => {
  // Zone 1 with ssh-pg2 as its second PostgreSQL host: a replica of ssh-pg1.
  const twoHosts = parseConfig(TWO_IN_ZONE_1, `${FIXTURES}lab/ssh.toml`, ENV);
  function standby(request: Partial<RestoreRequest>, edit: (all: Map<string, HostFacts>) => void = () => {}) {
    const all = facts((each) => {
      threeBackups(each);
      each.get('ssh-pg2')!.postgres!.inRecovery = true;
      edit(each);
    });
    return planRestore({
      inventory: twoHosts,
      facts: all,
      request: {
        host: 'ssh-pg2',
        target: { type: 'latest' },
        delta: true,
        targetAction: 'promote',
        allowOverwrite: true,
        standby: true,
        ...request,
      },
      space: PLENTY,
      now: Date.parse('2026-12-03T00:00:00Z'),
    });
  }

  it('stops the replica, restores the newest set with --type=standby, starts it and waits until it is consistent; nothing on the primary', () => {
    const result = standby({});
    expect(result.resources.map((resource) => `${resource.host}.${resource.kind}`)).toEqual([
      'ssh-pg2.pg_stop',
      'ssh-pg2.pg_restore',
      'ssh-pg2.pg_start',
      'ssh-pg2.standby_ready',
    ]);
    const command = restoreCommand(result);
    expect(command).toContain('--type=standby --target-timeline=latest');
    expect(command).toContain('--set=20261202-003350F_20261202-023350I');
    expect(command).not.toMatch(/--target[= ]|--target-action|--type=time/);
    const ready = result.resources.find((resource) => resource.kind === 'standby_ready')!.change!.steps[0].command;
    // The LSN as an SQL literal inside the shell-quoted query: '0/7000100'::pg_lsn.
    expect(ready).toContain("pg_last_wal_replay_lsn() >= '\\''0/7000100'\\''::pg_lsn");
    expect(result.operation.kind).toBe('standby');
    expect(result.operation.notes.join('\n')).toContain('primary_conninfo');
  });

  it('refuses a primary, a recovery target, a missing --host and a running replica without --allow-overwrite', () => {
    expect(() => standby({ host: 'ssh-pg1' })).toThrow(/ssh-pg1 runs as a primary/);
    expect(() => standby({ target: parseTarget('time=2026-12-02T01:00:00Z') })).toThrow(
      /--target and --target-action do not apply/,
    );
    expect(() => standby({ host: undefined, zone: 1 })).toThrow(/name it with --host/);
    expect(() => standby({ allowOverwrite: false })).toThrow(/ssh-pg2 runs PostgreSQL on port 5432 \(in recovery\)/);
  });

  it('a replica that is down is restored and started without --allow-overwrite', () => {
    const result = standby({ allowOverwrite: false }, (all) => {
      all.get('ssh-pg2')!.postgres = { ...all.get('ssh-pg2')!.postgres!, running: false };
    });
    expect(result.resources.map((resource) => resource.kind)).toEqual(['pg_restore', 'pg_start', 'standby_ready']);
    expect(result.operation.notes[0]).toContain('PostgreSQL does not run on ssh-pg2');
  });
});

describe('replicas after a restore in place (plain streaming replication)', () => {
  // Zone 1 with ssh-pg2 as a streaming replica of ssh-pg1.
  const twoHosts = parseConfig(TWO_IN_ZONE_1, `${FIXTURES}lab/ssh.toml`, ENV);
  const replicaFacts = (edit: (all: Map<string, HostFacts>) => void = () => {}) =>
    facts((each) => {
      threeBackups(each);
      each.get('ssh-pg2')!.postgres!.inRecovery = true;
      edit(each);
    });
  /** Between the diff and the incr: the diff is the set, the incr lies past the branch to the new timeline. */
  const between = (all: Map<string, HostFacts>) => (all.get('ssh-backup1')!.repos![0].backups[1].stop! + 1800) * 1000;
  function inPlace(request: Partial<RestoreRequest>, all = replicaFacts()) {
    return planRestore({
      inventory: twoHosts,
      facts: all,
      request: {
        zone: 1,
        target: { type: 'time', ms: between(all) },
        delta: true,
        targetAction: 'promote',
        allowOverwrite: true,
        replicas: 'follow',
        ...request,
      },
      space: PLENTY,
      replicaSpace: new Map([['ssh-pg2', PLENTY]]),
      now: Date.parse('2026-12-03T00:00:00Z'),
    });
  }
  const steps = (result: ReturnType<typeof inPlace>) =>
    result.resources.map((resource) => `${resource.address} <- ${resource.dependsOn.join(' ')}`);
  const replicaRestore = (result: ReturnType<typeof inPlace>) =>
    result.resources
      .find((resource) => resource.address === 'ssh-pg2.pg_restore')!
      .change!.steps.find((step) => step.command.startsWith('flock '))!.command;

  it('follow: once the primary is restored, promoted and archiving, each replica is rebuilt as a standby from the same set', () => {
    const result = inPlace({});
    expect(steps(result)).toEqual([
      'ssh-pg1.restore_wal <- ',
      'ssh-pg1.pg_stop <- ssh-pg1.restore_wal',
      'ssh-pg1.pg_restore <- ssh-pg1.pg_stop',
      'ssh-pg1.pg_start <- ssh-pg1.pg_restore',
      'ssh-pg1.recovery_end <- ssh-pg1.pg_start',
      'ssh-pg1.archive_check <- ssh-pg1.recovery_end',
      // The replica keeps the old data until the primary archives on its new timeline.
      'ssh-pg2.pg_stop <- ssh-pg1.archive_check',
      'ssh-pg2.pg_restore <- ssh-pg2.pg_stop',
      'ssh-pg2.pg_start <- ssh-pg2.pg_restore',
      'ssh-pg2.standby_ready <- ssh-pg2.pg_start',
    ]);
    const set = result.operation.request.set;
    expect(set).toBe(`${facts(threeBackups).get('ssh-backup1')!.repos![0].backups[1].label}`);
    expect(restoreCommand(result)).toContain('--type=time');
    const replica = replicaRestore(result);
    expect(replica).toContain(`--set=${set} --delta --type=standby --target-timeline=latest`);
    expect(replica).not.toMatch(/--target[= ]|--target-action|--type=time/);
    const notes = result.operation.notes.join('\n');
    expect(notes).toContain(
      `Replicas follow: once ssh-pg1 has promoted on its new timeline, ssh-pg2 is stopped, restored from backup ${set} of repo1 as a standby`,
    );
    expect(notes).toContain("ssh-pg2's data in /var/lib/postgresql/15/main is replaced by backup");
    expect(notes).toContain('Space on ssh-pg2: needs about');
    expect(result.operation.request.replicas).toBe('follow');
  });

  it('leave: only the primary is restored, and the plan says the replica stays behind and how to rebuild it', () => {
    const result = inPlace({ replicas: 'leave' });
    expect(result.resources.map((resource) => resource.address)).toEqual(
      RUNNING_SERVER_STEPS.map((kind) => `ssh-pg1.${kind}`),
    );
    const notes = result.operation.notes.join('\n');
    expect(notes).toContain(
      '--replicas leave: ssh-pg2 is left as it is, on the old timeline past the target. It cannot follow ssh-pg1',
    );
    expect(notes).toContain('bsync restore --host ssh-pg2 --standby --allow-overwrite');
    expect(notes).not.toContain('Replicas follow');
    expect(result.operation.request.replicas).toBe('leave');
  });

  it('a saved plan carries the choice, and its request plans the same again', () => {
    for (const replicas of ['follow', 'leave'] as const) {
      const planned = inPlace({ replicas });
      const decoded = OPERATIONS.restore.decode(JSON.parse(JSON.stringify(planned.operation.request)));
      expect(decoded.replicas).toBe(replicas);
      expect(inPlace(decoded)).toEqual(planned);
    }
    // A zone without replicas records nothing of it: its saved plans are as they were.
    expect(plan({}).operation.request).not.toHaveProperty('replicas');
    expect(OPERATIONS.restore.decode({ ...SAVED_RESTORE }).replicas).toBe('follow');
    expect(() => OPERATIONS.restore.decode({ ...SAVED_RESTORE, replicas: 'both' })).toThrow(
      '--replicas "both": expected follow or leave',
    );
    expect(() => OPERATIONS.standby.decode({ ...SAVED_RESTORE, replicas: 'leave' })).toThrow(
      /--replicas goes with a restore in place of a primary/,
    );
  });

  it("a rerun after a kill inside the replica's steps: a stopped replica is restored and started, not stopped again", () => {
    const result = inPlace(
      {},
      replicaFacts((all) => stopDebian(all, 'ssh-pg2')),
    );
    expect(steps(result).slice(6)).toEqual([
      'ssh-pg2.pg_restore <- ssh-pg1.archive_check',
      'ssh-pg2.pg_start <- ssh-pg2.pg_restore',
      'ssh-pg2.standby_ready <- ssh-pg2.pg_start',
    ]);
    expect(result.operation.notes.join('\n')).toContain(
      'PostgreSQL does not run on ssh-pg2: /var/lib/postgresql/15/main is restored from backup',
    );
  });

  it("a rerun after a kill inside the primary's steps: the running replica needs --allow-overwrite, or --replicas leave", () => {
    const primaryDown = replicaFacts((all) => stopDebian(all, 'ssh-pg1'));
    // No host runs as a primary: --zone cannot tell which to restore, and says to name it.
    expect(() => inPlace({ target: { type: 'latest' } }, primaryDown)).toThrow(
      /zone 1 has several PostgreSQL hosts and none runs as primary/,
    );
    const asked = { host: 'ssh-pg1', target: { type: 'latest' as const } };
    expect(() => inPlace({ ...asked, allowOverwrite: false }, primaryDown)).toThrow(
      /ssh-pg2 runs PostgreSQL on port 5432 \(in recovery\): a restore stops it/,
    );
    const refusal = (() => {
      try {
        inPlace({ ...asked, allowOverwrite: false }, primaryDown);
      } catch (error) {
        return error as BsyncError;
      }
    })();
    expect(refusal?.hint).toContain('--replicas leave keeps ssh-pg2 as it is');
    expect(inPlace({ ...asked, allowOverwrite: false, replicas: 'leave' }, primaryDown).resources).toHaveLength(4);
    expect(steps(inPlace({ ...asked }, primaryDown)).slice(4, 5)).toEqual(['ssh-pg2.pg_stop <- ssh-pg1.archive_check']);
  });

  it('refuses, before anything stops, a primary that pauses at its target and a second primary in the zone', () => {
    expect(() => inPlace({ targetAction: 'pause' })).toThrow(
      /--target-action pause keeps ssh-pg1 in recovery at the target, and its replicas \(ssh-pg2\) can follow only a primary that promoted/,
    );
    expect(inPlace({ targetAction: 'pause', replicas: 'leave' }).resources.at(-1)!.kind).toBe('recovery_end');
    const twoPrimaries = replicaFacts((all) => {
      all.get('ssh-pg2')!.postgres!.inRecovery = false;
    });
    expect(() => inPlace({}, twoPrimaries)).toThrow(
      /ssh-pg2 runs as a primary in zone 1 beside ssh-pg1: it is no replica that can follow the restore/,
    );
    expect(inPlace({ replicas: 'leave' }, twoPrimaries).resources.every((r) => r.host === 'ssh-pg1')).toBe(true);
  });

  it('refuses replicas that would follow a restore at a repository time: they would be built from the bucket as it is now', () => {
    const at = { ms: Date.parse('2026-12-02T10:26:24Z'), micros: 0 };
    const request = {
      zone: 1,
      target: { type: 'latest' },
      delta: true,
      targetAction: 'promote',
      replicas: 'follow',
    } as const;
    const place = { zone: zonesOf(twoHosts)[0], host: twoHosts.hosts.find((host) => host.name === 'ssh-pg1')! };
    // Called on its own: planRestore refuses this ssh repository for the time first.
    expect(() => followingReplicas(twoHosts, { ...request, repoTargetTime: at }, place, replicaFacts())).toThrow(
      /--repo-target-time reads the repository as it was, and ssh-pg1's replicas \(ssh-pg2\) would be built from it as it is now/,
    );
  });
});

describe("the restore_command pgBackRest's restore writes", () => {
  it('is left to pgBackRest for a plain pgbackrest word, and given with the environment of a web-id repository', () => {
    expect(restoreCommandOption('pgbackrest', 'pgbackrest --stanza=s archive-get %f "%p"')).toEqual([]);
    const word = "env 'AWS_ROLE_ARN=arn:aws:iam::1:role/r' pgbackrest";
    expect(restoreCommandOption(word, `${word} --stanza=s archive-get %f "%p"`)).toEqual([
      `--recovery-option='restore_command=env '\\''AWS_ROLE_ARN=arn:aws:iam::1:role/r'\\'' pgbackrest --stanza=s archive-get %f "%p"'`,
    ]);
  });
});
