// Two repositories per stanza on the lab's multi scenario: repo1 on the backup host (ssh),
// repo2 in the S3 server (path /multi, its own retention and schedule). The acceptance
// story for both at once, drift in repo2 alone, and repo2 unreachable while repo1 converges.
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/multi.toml`;
const STANZA = 'pgedge-multi-1';

interface InfoRepo {
  key: number;
  status: { code: number; message: string };
}
interface InfoBackup {
  type: string;
  database: { 'repo-key': number };
}

async function info(): Promise<{ repo: InfoRepo[]; backup: InfoBackup[]; status: { code: number } }> {
  const text = await sh(
    'multi-backup1',
    `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`,
  );
  return JSON.parse(text)[0];
}

describe('two repositories per stanza: a backup host and S3', () => {
  beforeAll(() => resetScenario('multi'), 600_000);

  it('plans both repositories on every host, and a first full backup in each', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(2);
    // PostgreSQL host: repo1 through the backup host, repo2 straight to the bucket (archive-push reaches both).
    expect(run.stdout).toContain('+repo1-host=multi-backup1');
    expect(run.stdout).toContain('+repo2-type=s3');
    expect(run.stdout).toContain('+repo2-path=/multi');
    expect(run.stdout).toContain('+repo2-retention-full=4');
    expect(run.stdout).toContain('+repo2-s3-key-secret=(sensitive)');
    expect(run.stdout).toContain('+repo2-cipher-pass=(sensitive)');
    expect(run.stdout).toContain('+repo2-storage-ca-file=/etc/pgbackrest/repo2-s3-ca.crt');
    expect(run.stdout).toContain(`+ first_backup[${STANZA}]`);
    expect(run.stdout).toContain(`+ first_backup[${STANZA}:repo2]`);
    expect(run.stdout).toContain(`+ repo_ca[repo2]`);
    expect(run.stdout).toContain(
      `30 1 * * 0 /etc/pgbackrest/bsync-backup-job /var/log/pgbackrest/${STANZA}.bsync-full-repo2.outcome /var/log/pgbackrest/${STANZA}.bsync-backup.lock pgbackrest --stanza=${STANZA} --repo=2 --type=full backup # bsync:full-repo2:${STANZA}`,
    );
    expect(run.stdout).toContain(
      `10 0 * * 0 /etc/pgbackrest/bsync-backup-job /var/log/pgbackrest/${STANZA}.bsync-full-repo1.outcome /var/log/pgbackrest/${STANZA}.bsync-backup.lock pgbackrest --stanza=${STANZA} --repo=1 --type=full backup # bsync:full:${STANZA}`,
    );
  });

  it('applies, converges, and a second plan shows no changes', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(apply.code).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 2 hosts match multi.toml.');
    expect(plan.code).toBe(0);
  }, 600_000);

  it('leaves a full backup in each repository, WAL in both, and info lists both', async () => {
    const stanza = await info();
    expect(stanza.status.code).toBe(0);
    expect(stanza.repo.map((repo) => [repo.key, repo.status.code])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    for (const key of [1, 2])
      expect(stanza.backup.some((backup) => backup.type === 'full' && backup.database['repo-key'] === key)).toBe(true);
    // check archives one segment and waits for it in every repository.
    const check = await onHost('multi-pg1', `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} check`);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const archived = await sh(
      'multi-backup1',
      `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info | grep -o '"max":"[0-9A-F]*"' | sort -u | wc -l`,
    );
    // The same newest segment in both repositories' archives.
    expect(Number(archived.trim())).toBe(1);
    const status = await bsync(['status', '-c', CONFIG, '--json']);
    const report = JSON.parse(status.stdout);
    expect(report.stanzas.map((entry: { repo: { key: string; type: string } }) => entry.repo)).toMatchObject([
      { key: 'repo1', type: 'ssh' },
      { key: 'repo2', type: 's3' },
    ]);
  }, 300_000);

  it("reports drift in repo2's options alone with exit code 2, and apply repairs it", async () => {
    await sh(
      'multi-backup1',
      `sed -i 's/^repo2-retention-full=4$/repo2-retention-full=9/' /etc/pgbackrest/pgbackrest.conf`,
    );
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toMatch(/~ pgbackrest_conf[\s\S]*-repo2-retention-full=9\n\s*\+repo2-retention-full=4/);
    expect(drift.stdout).not.toMatch(/^[-+]repo1-/m);
    expect(drift.stdout).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
    const repair = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(repair.code).toBe(0);
    expect((await bsync(['plan', '-c', CONFIG, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);

  it('with repo2 unreachable, names it as a problem and still converges repo1', async () => {
    // The backup host's own /etc/hosts sends s3.lab to an address where nothing listens.
    await sh(
      'multi-backup1',
      `cp /etc/hosts /etc/hosts.bsync-test && sed -i 's/^.* s3\\.lab$/127.0.1.250 s3.lab/' /etc/hosts`,
    );
    try {
      await sh('multi-backup1', `crontab -u backrest -l | grep -v 'bsync:diff:${STANZA}' | crontab -u backrest -`);
      const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
      expect(plan.stderr).not.toMatch(STACK_TRACE);
      expect(plan.code).toBe(1);
      expect(plan.stdout + plan.stderr).toMatch(
        new RegExp(`multi-backup1: stanza ${STANZA} repo2: pgbackrest info (reports status 99|could not be read)`),
      );
      expect(plan.stdout).toContain('~ crontab[backrest]');
      expect(plan.stdout).not.toMatch(/stanza\[|first_backup\[/);
      const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
      expect(apply.stdout + apply.stderr).toMatch(/Apply complete: 1 done, 0 failed/);
      expect(await sh('multi-backup1', 'crontab -u backrest -l')).toContain(`# bsync:diff:${STANZA}`);
      expect(plan.stdout + plan.stderr).not.toMatch(/repo1: pgbackrest info/);
      // repo1 still answers, and still holds its backups.
      const repo1 = JSON.parse(
        await sh(
          'multi-backup1',
          `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --repo=1 --output=json info`,
        ),
      )[0];
      expect(repo1.status.code).toBe(0);
    } finally {
      await sh('multi-backup1', 'cat /etc/hosts.bsync-test > /etc/hosts && rm /etc/hosts.bsync-test');
    }
    expect((await bsync(['plan', '-c', CONFIG, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);
});
