// A stanza's scheduled backups wait for each other (lib/desired/backups.ts): each crontab
// line takes the stanza's lock with a bounded wait. On recorded facts, with the lines as
// bsync wrote them before (a one-time update), and run by sh with a stand-in pgbackrest.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { cronJob } from '../../lib/formats/cron.js';
import { buildPlan } from '../../lib/plan/build.js';
import { backupJobs, runsBackup } from '../../lib/resources/cron-job.js';
import { knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';

const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';
const LOCK = '/var/log/pgbackrest/pgedge-lab-1.bsync-backup.lock';

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

  it('every backup line takes the stanza lock with a bounded wait, and is still read as the backup it runs', () => {
    const crontab = converged().get('ssh-backup1')!.crontabs.backrest!;
    const lines = crontab.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const [line, type] of [
      [lines[0], 'full'],
      [lines[1], 'diff'],
    ]) {
      expect(cronJob(line)?.command).toMatch(
        new RegExp(`^flock -w 21600 -E 20 ${LOCK} pgbackrest --stanza=pgedge-lab-1 --type=${type} backup \\|\\| `),
      );
      expect(backupJobs(line)).toEqual([{ stanza: 'pgedge-lab-1', type }]);
      expect(runsBackup(line, 'pgedge-lab-1', type)).toBe(true);
    }
    expect(buildPlan(inventory, hosts, desiredResources(inventory, converged())).plan.actions).toEqual([]);
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
          /^\[ "\$\(.*pg_is_in_recovery.*\)" = t \] \|\| flock -w 21600 -E 20 \/var\/log\/pgbackrest\/pgedge-lab-\d\.bsync-backup\.lock /,
        );
    }
  });
});

describe('the backup line, run by sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bsync-lock-'));
  const pgbackrest = join(dir, 'pgbackrest');
  // A stand-in that records its run and exits with $FAKE_EXIT after $FAKE_SLEEP seconds.
  writeFileSync(
    pgbackrest,
    `#!/bin/sh\necho "start $*" >> ${dir}/runs\nsleep "\${FAKE_SLEEP:-0}"\necho "end $*" >> ${dir}/runs\nexit "\${FAKE_EXIT:-0}"\n`,
  );
  chmodSync(pgbackrest, 0o755);
  const line = converged().get('ssh-backup1')!.crontabs.backrest!.split('\n')[0];
  const command = (wait: number) =>
    cronJob(line)!
      .command.replaceAll(LOCK, join(dir, 'stanza.lock'))
      .replace('flock -w 21600', `flock -w ${wait}`)
      .replace(' # bsync:full:pgedge-lab-1', '');
  const run = (wait: number, env: Record<string, string> = {}) =>
    spawnSync('sh', ['-c', command(wait)], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env },
    });

  it('a second job waits for the first instead of failing, and one that waited in vain says so', () => {
    const first = spawnSync('sh', ['-c', `(${command(5)}) & sleep 0.3; ${command(5)}; wait`], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_SLEEP: '1' },
    });
    expect(first.stderr).toBe('');
    const runs = readFileSync(join(dir, 'runs'), 'utf8').trimEnd().split('\n');
    // One after the other: the second starts after the first ended.
    expect(runs.map((entry) => entry.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);

    const holder = spawnSync(
      'sh',
      ['-c', `flock ${join(dir, 'stanza.lock')} sleep 2 & sleep 0.3; (${command(1)}); echo "exit $?"; wait`],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      },
    );
    expect(holder.stdout).toBe('exit 20\n');
    expect(holder.stderr).toBe(
      `bsync: the full backup of pgedge-lab-1 did not run: another backup of the stanza held ${join(dir, 'stanza.lock')} for 6 h\n`,
    );
  });

  it("pgBackRest's own failures are left to pgBackRest: no word from the lock, and the job exits with its status", () => {
    const failed = run(5, { FAKE_EXIT: '50' });
    expect(failed.stderr).toBe('');
    // cron's mail, and whatever records the outcome, see the failure (the lock's || once hid it).
    expect(failed.status).toBe(50);
    expect(run(5).status).toBe(0);
  });
});
