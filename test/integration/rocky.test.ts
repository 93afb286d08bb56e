// The acceptance story on the lab's rocky scenario: Rocky Linux 9 hosts with PGDG's layout
// (data in /var/lib/pgsql/15/data, binaries in /usr/pgsql-15/bin, no psql, pg_ctl or
// pg_ctlcluster on PATH, postgres's home /var/lib/pgsql) and sshd on port 2222. The config
// names neither pg_version nor pg_data: bsync reads them from the running server.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/rocky.toml`;
const STANZA = 'pgedge-rocky-1';

/** rocky.toml with `extra` added to one table, in a folder of its own. */
function variant(table: string, extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bsync-rocky-'));
  const path = join(dir, 'rocky.toml');
  writeFileSync(path, readFileSync(CONFIG, 'utf8').replace(table, `${table}\n${extra}`));
  return path;
}

describe('Rocky Linux 9 / PGDG hosts, sshd on 2222', () => {
  beforeAll(() => resetScenario('rocky'), 600_000);

  it('plans from the facts: the PGDG data folder, the ports, the pgsql home', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(run.stderr).not.toMatch(/error/i); // nothing failed while gathering: no word of it
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('pg1-path=/var/lib/pgsql/15/data');
    expect(run.stdout).toContain('repo1-host-port=2222');
    expect(run.stdout).toContain('pg1-host-port=2222');
    expect(run.stdout).toContain('/var/lib/pgsql/.ssh/id_ed25519');
    expect(run.stdout).toContain('/var/lib/pgsql/15/data/postgresql.conf');
    expect(run.stdout).toContain('/var/lib/pgsql/15/data/pg_hba.conf');
    expect(run.stdout).toContain('[rocky-backup1]:2222');
    expect(run.stdout).not.toContain('/var/lib/postgresql');
  });

  it('applies, converges, and a second plan shows no changes', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(apply.code).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 2 hosts match rocky.toml.');
    expect(plan.code).toBe(0);
  }, 600_000);

  it('leaves a real full backup, working WAL archiving and a restart made with pg_ctl', async () => {
    const info = JSON.parse(
      await sh('rocky-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --output=json info`),
    );
    expect(info[0].status.code).toBe(0);
    expect(info[0].backup.some((backup: { type: string }) => backup.type === 'full')).toBe(true);
    const check = await onHost('rocky-backup1', `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} check`);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(
      (await sh('rocky-pg1', `cd / && runuser -u postgres -- /usr/pgsql-15/bin/psql -XAtc 'SHOW archive_mode'`)).trim(),
    ).toBe('on');
    // The restart for archive_mode ran the server's own pg_ctl, its output in a file.
    expect(await sh('rocky-pg1', 'test -s /var/lib/pgsql/15/data/pg_ctl.log && echo logged')).toBe('logged\n');
    expect(await sh('rocky-backup1', 'crontab -l -u backrest')).toContain(`--stanza=${STANZA} --type=full backup`);
  }, 300_000);

  it('reports a hand edit as drift with exit code 2, and apply repairs it', async () => {
    await sh('rocky-pg1', `sed -i '/^repo1-host-port=/d' /etc/pgbackrest/pgbackrest.conf`);
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    // The change is rocky-pg1's pgbackrest.conf, and its diff puts the one line back.
    expect(drift.stdout).toMatch(
      /^rocky-pg1\n(?: {2}.*\n)*? {2}~ pgbackrest_conf {2}\/etc\/pgbackrest\/pgbackrest\.conf/m,
    );
    expect(drift.stdout).toMatch(/^\s+\+repo1-host-port=2222$/m);
    expect(drift.stdout).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
    const repair = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(repair.code).toBe(0);
    expect((await bsync(['plan', '-c', CONFIG, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);

  it('refuses a pg_version or pg_data that disagrees with the running server, naming both', async () => {
    const version = await bsync(['plan', '-c', variant('[cluster]', 'pg_version = 16')]);
    expect(version.code).toBe(1);
    expect(version.stderr).toMatch(
      /\[cluster\] pg_version is 16, but the server on port 5432 runs PostgreSQL 15 \(server_version_num 150\d{3}\)/,
    );
    expect(version.stderr).toContain('Set pg_version = 15, or remove it');
    expect(version.stderr).not.toMatch(STACK_TRACE);
    const data = await bsync(['plan', '-c', variant('role = "postgres"', 'pg_data = "/var/lib/pgsql/16/data"')]);
    expect(data.code).toBe(1);
    expect(data.stderr).toContain('/var/lib/pgsql/16/data');
    expect(data.stderr).toContain('/var/lib/pgsql/15/data');
    expect(data.stderr).not.toMatch(STACK_TRACE);
  });
});
