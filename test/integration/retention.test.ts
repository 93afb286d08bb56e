// Retention by time on the lab's ssh scenario (issue 19, item 3): a stanza whose repository
// keeps full backups for 2 days (`retention = { full = 2, full_type = "time" }`) keeps
// exactly the backups that rule says after an expire.
//
// What pgBackRest's time retention does (its user guide, "Full Backup Retention", and
// expire's code): with repoN-retention-full-type=time and repoN-retention-full=N, expire
// finds the newest full backup whose stop time is more than N days before now, keeps it
// (it is needed to recover to any time in the last N days) and everything newer, and
// expires every older full backup with the diff and incr backups that depend on them. While
// no full backup is older than N days, nothing expires.
//
// A test cannot wait two days, and editing backup.info (checksummed) would prove nothing about
// pgBackRest. So the test runs expire twice over the same repository, changing nothing on disk:
//   1. now: every backup is minutes old, so all three full backups (and the diff) stay. A
//      count rule of 2 would have expired the oldest full already (the backup command runs
//      expire after each backup), so this also shows the time rule is the one in force;
//   2. with the clock of that one expire process moved 3 days ahead (libfaketime's
//      `faketime -f +3d`, Debian's faketime package, which the lab installs): the cut-off is
//      then 1 day after the backups, every full is older than it, and the rule keeps exactly
//      the newest full and the diff that depends on it, expiring the two older fulls.
// `pgbackrest info` (the repository, not bsync's view of it) must list exactly those labels.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';

const STANZA = 'pgedge-lab-1';
const BACKUP_HOST = 'ssh-backup1';

/** ssh.toml with repo1 keeping full backups for 2 days. */
const CONFIG = join(mkdtempSync(join(tmpdir(), 'bsync-retention-')), 'retention.toml');
writeFileSync(
  CONFIG,
  readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8').replace(
    'retention = { full = 1, diff = 6 }',
    'retention = { full = 2, full_type = "time" }',
  ),
);

/** pgBackRest run on the backup host as the repository's user, from / (runuser keeps the cwd). */
const asRepoUser = (command: string) => `cd / && runuser -u backrest -- ${command}`;

/** The stanza's backups as `pgbackrest info` lists them in repo1: label and type, oldest first. */
async function backups(): Promise<Array<{ label: string; type: string }>> {
  const info = JSON.parse(
    await sh(BACKUP_HOST, asRepoUser(`pgbackrest --stanza=${STANZA} --output=json info`)),
  ) as Array<{ backup: Array<{ label: string; type: string }> }>;
  return info[0].backup.map(({ label, type }) => ({ label, type }));
}

/** `bsync backup` on zone 1: the label it prints. */
async function backup(type: 'full' | 'diff'): Promise<string> {
  const run = await bsync(['backup', '-c', CONFIG, '--zone', '1', '--type', type]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const label = new RegExp(`New backup in repo1: (\\S+) \\(${type},`).exec(run.stderr)?.[1];
  expect(label, run.stderr).toBeDefined();
  return label!;
}

describe('retention = { full = 2, full_type = "time" }', () => {
  const labels: string[] = [];

  beforeAll(async () => {
    await resetScenario('ssh');
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  }, 600_000);

  it('is written into every host of the zone, and the next plan has no changes', async () => {
    for (const host of ['ssh-pg1', BACKUP_HOST]) {
      const conf = await sh(host, 'cat /etc/pgbackrest/pgbackrest.conf');
      expect(conf, host).toMatch(/^repo1-retention-full=2$/m);
      expect(conf, host).toMatch(/^repo1-retention-full-type=time$/m);
    }
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);

  it('three full backups and a diff, all minutes old: expire keeps every one', async () => {
    // The first full backup is the one apply took.
    const [first] = await backups();
    expect(first.type).toBe('full');
    labels.push(first.label, await backup('full'), await backup('full'), await backup('diff'));
    await sh(BACKUP_HOST, asRepoUser(`pgbackrest --stanza=${STANZA} expire`));
    expect(await backups()).toEqual([
      { label: labels[0], type: 'full' },
      { label: labels[1], type: 'full' },
      { label: labels[2], type: 'full' },
      { label: labels[3], type: 'diff' },
    ]);
  }, 900_000);

  it('three days later: expire keeps exactly the newest full and its diff', async () => {
    expect(labels).toHaveLength(4);
    await sh(BACKUP_HOST, 'command -v faketime');
    await sh(BACKUP_HOST, asRepoUser(`faketime -f +3d pgbackrest --stanza=${STANZA} expire`));
    expect(await backups()).toEqual([
      { label: labels[2], type: 'full' },
      { label: labels[3], type: 'diff' },
    ]);
    // The stanza still holds a valid full backup: bsync wants no new first backup.
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);
});
