// A stanza's scheduled backups wait for each other (lib/desired/backups.ts): each crontab
// line calls bsync's job script (lib/desired/backup-job.ts), which takes the stanza's lock
// with a bounded wait and records the run's outcome in its file, which the outcomes probe's
// grammar reads back (lib/facts/outcomes.ts). On recorded facts, with the lines as bsync
// wrote them before (a one-time update), and the script run by sh with a stand-in pgbackrest.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BACKUP_JOB_PATH, backupJobScript } from '../../lib/desired/backup-job.js';
import { CRON_COMMAND_MAX } from '../../lib/formats/cron.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { parseOutcome } from '../../lib/facts/outcomes.js';
import { cronJob } from '../../lib/formats/cron.js';
import { buildPlan } from '../../lib/plan/build.js';
import { backupJobs, runsBackup } from '../../lib/resources/cron-job.js';
import { knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';

const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';
const LOCK = '/var/log/pgbackrest/pgedge-lab-1.bsync-backup.lock';
const outcomeFile = (type: string) => `/var/log/pgbackrest/pgedge-lab-1.bsync-${type}-repo1.outcome`;

function labInventory(edit: (text: string) => string = (text) => text) {
  const text = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
    .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');
  return parseConfig(edit(text), `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD });
}
const converged = () =>
  new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );

describe("a stanza's scheduled backups, one at a time", () => {
  const inventory = labInventory();
  const hosts = inventory.hosts.map((host) => host.name);

  it('every backup line calls the job script with its outcome file and the stanza lock, and is still read as the backup it runs', () => {
    const crontab = converged().get('ssh-backup1')!.crontabs.backrest!;
    const lines = crontab.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const [line, type] of [
      [lines[0], 'full'],
      [lines[1], 'diff'],
    ]) {
      expect(cronJob(line)!.command).toBe(
        `${BACKUP_JOB_PATH} ${outcomeFile(type)} ${LOCK} pgbackrest --stanza=pgedge-lab-1 --type=${type} backup # bsync:${type}:pgedge-lab-1`,
      );
      expect(line.length).toBeLessThan(CRON_COMMAND_MAX);
      expect(backupJobs(line)).toEqual([{ stanza: 'pgedge-lab-1', type }]);
      expect(runsBackup(line, 'pgedge-lab-1', type)).toBe(true);
    }
    expect(buildPlan(inventory, hosts, desiredResources(inventory, converged())).plan.actions).toEqual([]);
  });

  it("the script is root's, 0755, planned before the crontab that calls it, and put back when edited", () => {
    const facts = converged();
    facts.get('ssh-backup1')!.files[BACKUP_JOB_PATH]!.content = `${backupJobScript()}touch /tmp/x\n`;
    facts.get('ssh-backup2')!.files[BACKUP_JOB_PATH] = { exists: false };
    const resources = desiredResources(inventory, facts);
    const planned = buildPlan(inventory, hosts, resources);
    expect(planned.plan.actions.map((action) => [action.address, action.action])).toEqual([
      ['ssh-backup1.backup_job', 'update'],
      ['ssh-backup2.backup_job', 'create'],
    ]);
    const crontab = resources.find((resource) => resource.address === 'ssh-backup2.crontab[backrest]')!;
    expect(crontab.dependsOn).toContain('ssh-backup2.backup_job');
    const created = planned.changes.get('ssh-backup2.backup_job')!;
    expect(created.fields).toEqual([
      { name: 'owner', before: undefined, after: 'root' },
      { name: 'group', before: undefined, after: 'root' },
      { name: 'mode', before: undefined, after: '0755' },
    ]);
  });

  it('crontabs bsync wrote before the lock get it in a one-time update of its own lines, then plan nothing', () => {
    const facts = converged();
    const old = (stanza: string) =>
      `10 0 * * 0 pgbackrest --stanza=${stanza} --type=full backup # bsync:full:${stanza}\n10 0 * * 1-6 pgbackrest --stanza=${stanza} --type=diff backup # bsync:diff:${stanza}\n`;
    facts.get('ssh-backup1')!.crontabs.backrest = old('pgedge-lab-1');
    facts.get('ssh-backup2')!.crontabs.backrest = old('pgedge-lab-2');
    const planned = buildPlan(inventory, hosts, desiredResources(inventory, facts));
    expect(planned.plan.actions.map((action) => [action.address, action.action])).toEqual([
      ['ssh-backup1.crontab[backrest]', 'update'],
      ['ssh-backup2.crontab[backrest]', 'update'],
    ]);
    for (const host of ['ssh-backup1', 'ssh-backup2'])
      facts.get(host)!.crontabs.backrest = knownText(planned.changes.get(`${host}.crontab[backrest]`)!.diff!.after)!;
    expect(buildPlan(inventory, hosts, desiredResources(inventory, facts)).plan.actions).toEqual([]);
  });

  it('without a backup host the lock comes after the standby guard, on each PostgreSQL host', () => {
    // The lab's ssh scenario with a folder on the PostgreSQL hosts instead of the backup hosts.
    const posix = labInventory((text) =>
      text
        .replace('type = "ssh"\npath = "/home/backrest"\nuser = "backrest"', 'type = "posix"\npath = "/srv/backrest"')
        .replace(/\[\[host\]\]\nname = "ssh-backup1"[\s\S]*$/, ''),
    );
    expect(posix.hosts.map((host) => host.role)).toEqual(['postgres', 'postgres']);
    const crontabs = desiredResources(posix, converged()).filter(
      (resource) => resource.kind === 'crontab' && resource.change,
    );
    expect(crontabs.map((resource) => resource.address)).toEqual([
      'ssh-pg1.crontab[postgres]',
      'ssh-pg2.crontab[postgres]',
    ]);
    for (const resource of crontabs) {
      const lines = knownText(resource.change!.diff!.after)!
        .trimEnd()
        .split('\n')
        .filter((entry) => entry.includes('# bsync:'));
      expect(lines).toHaveLength(2);
      for (const line of lines)
        expect(cronJob(line)?.command).toMatch(
          /^\[ "\$\(.*pg_is_in_recovery.*\)" = t \] \|\| \/etc\/pgbackrest\/bsync-backup-job \/var\/log\/pgbackrest\/pgedge-lab-\d\.bsync-(full|diff)-repo1\.outcome \/var\/log\/pgbackrest\/pgedge-lab-\d\.bsync-backup\.lock pgbackrest --stanza=pgedge-lab-\d --type=(full|diff) backup # bsync:(full|diff):pgedge-lab-\d$/,
        );
    }
  });
});

describe('the job script, run by sh as the crontab line calls it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bsync-lock-'));
  const pgbackrest = join(dir, 'pgbackrest');
  const outcome = join(dir, 'full.outcome');
  // A stand-in that records its run, says $FAKE_ERR on stderr and exits with $FAKE_EXIT after $FAKE_SLEEP seconds.
  writeFileSync(
    pgbackrest,
    `#!/bin/sh\necho "start $*" >> ${dir}/runs\n[ -z "$FAKE_ERR" ] || printf '%s\\n' "$FAKE_ERR" >&2\nsleep "\${FAKE_SLEEP:-0}"\necho "end $*" >> ${dir}/runs\nexit "\${FAKE_EXIT:-0}"\n`,
  );
  chmodSync(pgbackrest, 0o755);
  const line = converged().get('ssh-backup1')!.crontabs.backrest!.split('\n')[0];
  /** The recorded line, calling a copy of the script that waits `wait` seconds for the lock. */
  const command = (wait: number) => {
    const script = join(dir, `bsync-backup-job-${wait}`);
    writeFileSync(script, backupJobScript().replace('flock -w 21600', `flock -w ${wait}`), { mode: 0o755 });
    return cronJob(line)!
      .command.replace(BACKUP_JOB_PATH, script)
      .replaceAll(LOCK, join(dir, 'stanza.lock'))
      .replace(outcomeFile('full'), outcome);
  };
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    PATH: `${dir}:${process.env.PATH}`,
    ...extra,
  });
  const run = (wait: number, extra: Record<string, string> = {}) =>
    spawnSync('sh', ['-c', command(wait)], { encoding: 'utf8', env: env(extra) });
  const recorded = () => parseOutcome(readFileSync(outcome, 'utf8').split('\n').slice(0, -1));

  it('a second job waits for the first instead of failing, and one that waited in vain says so', () => {
    // Each job its own sh, as cron starts them.
    const first = spawnSync('sh', ['-c', 'sh -c "$JOB" & sleep 0.3; sh -c "$JOB"; wait'], {
      encoding: 'utf8',
      env: env({ FAKE_SLEEP: '1', JOB: command(5) }),
    });
    expect(first.stderr).toBe('');
    const runs = readFileSync(join(dir, 'runs'), 'utf8').trimEnd().split('\n');
    // One after the other: the second starts after the first ended.
    expect(runs.map((entry) => entry.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);

    const holder = spawnSync(
      'sh',
      ['-c', `flock ${join(dir, 'stanza.lock')} sleep 2 & sleep 0.3; sh -c "$JOB"; echo "exit $?"; wait`],
      { encoding: 'utf8', env: env({ JOB: command(1) }) },
    );
    const gaveUp = `bsync: this backup did not run: another backup of the stanza held ${join(dir, 'stanza.lock')} for 6 h`;
    expect(holder.stdout).toBe('exit 20\n');
    expect(holder.stderr).toBe(`${gaveUp}\n`);
    // The outcome names the lock, and keeps the last success from the runs before.
    expect(recorded()).toMatchObject({ exitCode: 20, error: gaveUp, lastFailure: { exitCode: 20 } });
    expect(recorded().lastSuccess).not.toBeNull();
  });

  it("pgBackRest's own failures are left to pgBackRest: no word from the lock, and the job exits with its status", () => {
    const error = 'P00  ERROR: [056]: unable to open repository: permission denied';
    const failed = run(5, { FAKE_EXIT: '56', FAKE_ERR: `WARN: something\n${error}\nHINT: more` });
    // cron's mail sees pgBackRest's stderr as it was, and the job's status is pgBackRest's.
    expect(failed.stderr).toBe(`WARN: something\n${error}\nHINT: more\n`);
    expect(failed.status).toBe(56);
    const afterFailure = recorded();
    expect(afterFailure).toMatchObject({ exitCode: 56, error, lastFailure: { exitCode: 56 } });
    expect(afterFailure.endedAt).toBeGreaterThanOrEqual(afterFailure.startedAt!);
    expect(run(5).status).toBe(0);
    // A success clears the error and keeps the failure before it.
    const afterSuccess = recorded();
    expect(afterSuccess).toMatchObject({ exitCode: 0, error: null, lastFailure: afterFailure.lastFailure });
    expect(afterSuccess.lastSuccess).toEqual({ startedAt: afterSuccess.startedAt, endedAt: afterSuccess.endedAt });
    expect(afterSuccess.problem).toBeUndefined();
    // No scratch file is left beside it.
    expect(readdirSync(dir).filter((name) => name.startsWith('full.outcome.'))).toEqual([]);
  });

  it('while pgBackRest runs, the outcome says it started and has not ended', () => {
    const seen = spawnSync('sh', ['-c', `sh -c "$JOB" & sleep 0.5; cat ${outcome}; wait`], {
      encoding: 'utf8',
      env: env({ FAKE_SLEEP: '1', JOB: command(5) }),
    });
    const during = parseOutcome(seen.stdout.split('\n').slice(0, -1));
    expect(during.startedAt).not.toBeNull();
    expect(during).toMatchObject({ endedAt: null, exitCode: null, error: null });
    expect(during.lastSuccess).not.toBeNull();
  });
});
