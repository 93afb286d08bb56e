// Issue 31, item 5, the lab's half: two repositories on one schedule both get their
// backups, every time, on pgBackRest 2.45 (the multi scenario) and 2.55 (the trixie
// scenario, with the lab's S3 server as its repo2): validate names the collision, apply
// writes both repositories' jobs through bsync's job script with the stanza's lock, and the
// jobs cron would start at the same minute, started at once as cron would, both back up
// (before 2.53 the second would fail on pgBackRest's lock, error 050; from 2.53 both would
// read the database at once).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronJob } from '../../lib/formats/cron.js';
import { shq } from '../../lib/formats/shell.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { upTrixie } from '../lab/lab.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-schedule-lock-'));

/** multi.toml with repo2 on repo1's schedule: both repositories on the default one. */
function multiShared(): string {
  return readFileSync(`${FIXTURES}lab/multi.toml`, 'utf8').replace(/^schedule = \{ full = "30 1 \* \* 0".*\n/m, '');
}

/** trixie.toml with the lab's S3 server as repo2 (multi.toml's, in a folder of its own), on the same schedule. */
function trixieShared(): string {
  const multi = readFileSync(`${FIXTURES}lab/multi.toml`, 'utf8');
  const s3 = multi.slice(multi.indexOf('[[repo]]\ntype = "s3"'), multi.indexOf('[backup_user]'));
  const trixie = readFileSync(`${FIXTURES}lab/trixie.toml`, 'utf8').replace('[repo]\n', '[[repo]]\n');
  return trixie.replace(
    '[backup_user]',
    `${s3.replace('path = "/multi"', 'path = "/trixie-lock"').replace(/^schedule = .*\n/m, '')}[backup_user]`,
  );
}

const SCENARIOS = [
  { scenario: 'multi', release: '2.45', backupHost: 'multi-backup1', stanza: 'pgedge-multi-1', config: multiShared },
  {
    scenario: 'trixie',
    release: '2.55',
    backupHost: 'trixie-backup1',
    stanza: 'pgedge-trixie-1',
    config: trixieShared,
  },
] as const;

describe.each(SCENARIOS)(
  'two repositories on one schedule (pgBackRest $release)',
  ({ scenario, backupHost, stanza: STANZA, config }) => {
    const CONFIG = join(work, `${scenario}-shared-schedule.toml`);

    /** Each repository's backups of this type, by label (retention may expire older ones as new ones come). */
    async function labelsPerRepo(type: string): Promise<Record<number, string[]>> {
      const info = JSON.parse(
        await sh(backupHost, `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
      )[0] as { backup: Array<{ label: string; type: string; database: { 'repo-key': number } }> };
      const labels: Record<number, string[]> = { 1: [], 2: [] };
      for (const backup of info.backup)
        if (backup.type === type) labels[backup.database['repo-key']].push(backup.label);
      return labels;
    }

    /** The commands of bsync's jobs of this type, as cron hands them to sh. */
    async function jobs(type: string): Promise<string[]> {
      const crontab = await sh(backupHost, 'crontab -u backrest -l');
      return crontab
        .split('\n')
        .filter((line) => new RegExp(`# bsync:${type}(-repo2)?:${STANZA}$`).test(line))
        .map((line) => cronJob(line)!.command);
    }

    beforeAll(async () => {
      // The trixie scenario is not part of the default lab: started here (its root filesystem is cached).
      if (scenario === 'trixie') await upTrixie();
      await resetScenario(scenario);
      writeFileSync(CONFIG, config());
      // The test starts the jobs itself: the host's cron daemon would start them a second
      // time when its clock reaches the schedule (a CI run at 00:10 UTC saw two of each).
      await onHost(backupHost, 'pkill -x cron; true');
    }, 600_000);
    afterAll(async () => {
      await onHost(backupHost, 'pgrep -x cron >/dev/null || /usr/sbin/cron');
    });

    it('validate names both jobs and the minute, and still passes', async () => {
      const run = await bsync(['validate', '-c', CONFIG]);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(
        `warning: repo1's full backup and repo2's full backup start at the same minute (both schedule.full (default) = "10 0 * * 0"), first at 00:10 on Sun `,
      );
      expect(run.stderr).toContain("warning: repo1's diff backup and repo2's diff backup start at the same minute");
    });

    it('apply converges, and each job takes the stanza lock', async () => {
      const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
      expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
      expect((await bsync(['plan', '-c', CONFIG, '--detailed-exitcode'])).code).toBe(0);
      for (const type of ['full', 'diff']) {
        const commands = await jobs(type);
        expect(commands).toHaveLength(2);
        for (const command of commands)
          expect(command).toMatch(
            new RegExp(
              `^/etc/pgbackrest/bsync-backup-job /var/log/pgbackrest/${STANZA}\\.bsync-${type}-repo\\d\\.outcome /var/log/pgbackrest/${STANZA}\\.bsync-backup\\.lock `,
            ),
          );
      }
    }, 600_000);

    it.each(['full', 'diff', 'full', 'diff'])(
      'the %s jobs of both repositories, started at once as cron would, both back up',
      async (type) => {
        const before = await labelsPerRepo(type);
        const commands = await jobs(type);
        // Both at once, as the repository user, each the way cron runs it (sh -c), output kept apart.
        const script = commands
          .map(
            (command, index) =>
              `(cd ~backrest && runuser -u backrest -- sh -c ${shq(command)}) >/tmp/job${index}.out 2>&1 &`,
          )
          .concat(['wait', 'cat /tmp/job0.out /tmp/job1.out', 'rm -f /tmp/job0.out /tmp/job1.out'])
          .join('\n');
        const run = await onHost(backupHost, script);
        expect(run.stdout, 'neither job failed nor gave up').not.toMatch(/ERROR|error \[050\]|did not run/);
        const after = await labelsPerRepo(type);
        const added = (repo: 1 | 2) => after[repo].filter((label) => !before[repo].includes(label));
        expect([added(1).length, added(2).length], JSON.stringify({ before, after })).toEqual([1, 1]);
      },
      900_000,
    );
  },
);
