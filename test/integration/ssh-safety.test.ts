// The promises around apply: a stale saved plan is refused, no secret leaks into
// output, saved plans or the server log, hosts that cannot be trusted or reached are
// named, and an interrupted apply converges when run again (faults.test.ts has the rest).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE, startBsync } from '../support/bsync.js';
import { labSecret, onHost, resetScenario } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-safety-'));

/** The ssh scenario's config with some text replaced, written next to the others. */
function variantConfig(name: string, edit: (text: string) => string): string {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, edit(readFileSync(CONFIG, 'utf8')));
  return path;
}

describe('an interrupted apply', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
  });

  it('converges when run again and leaves no half-written file', async () => {
    const { child, done } = startBsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    // Kill it once it is well into its work: after several actions have started.
    const reached = await new Promise<boolean>((resolve) => {
      let started = 0;
      child.stderr!.on('data', (chunk: Buffer) => {
        started += (chunk.toString().match(/\.\.\.$/gm) ?? []).length;
        if (started >= 12) resolve(true);
      });
      child.on('close', () => resolve(false));
    });
    expect(reached, 'the apply ended before 12 actions started').toBe(true);
    child.kill('SIGKILL');
    const killed = await done;
    // The kill landed mid-apply: killed by the signal, before its closing report.
    expect(killed.code).toBe(128);
    expect(killed.stdout).not.toMatch(/Apply (complete|incomplete)/);
    const leftovers = await onHost(
      'ssh-pg1',
      `find /etc/pgbackrest /var/lib/postgresql/.ssh /etc/postgresql -name '.bsync.*' 2>/dev/null | wc -l`,
    );
    expect(leftovers.stdout.trim()).toBe('0');

    const again = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(again.stdout + again.stderr).toMatch(/Apply complete|No changes/);
    expect(again.code).toBe(0);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
  }, 900_000);
});

describe('saved plans', () => {
  it('are applied exactly when nothing changed, and refused as stale when a host changed since', async () => {
    const planFile = join(work, 'drift.json');
    await onHost('ssh-pg2', `sed -i 's/^start-fast=y$/start-fast=n/' /etc/pgbackrest/pgbackrest.conf`);
    const saved = await bsync(['plan', '-c', CONFIG, '--out', planFile]);
    expect(saved.code).toBe(0);
    const planText = readFileSync(planFile, 'utf8');
    expect(JSON.parse(planText).actions.map((a: { address: string }) => a.address)).toEqual([
      'ssh-pg2.pgbackrest_conf',
    ]);

    await onHost(
      'ssh-pg2',
      `sed -i 's/^repo1-retention-diff=6$/repo1-retention-diff=9/' /etc/pgbackrest/pgbackrest.conf`,
    );
    const stale = await bsync(['apply', '-c', CONFIG, planFile]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('the saved plan is stale');
    expect(stale.stderr).toContain('ssh-pg2.pgbackrest_conf');
    expect(stale.stderr).not.toMatch(STACK_TRACE);
    expect((await onHost('ssh-pg2', 'grep -c "^start-fast=n" /etc/pgbackrest/pgbackrest.conf')).stdout.trim()).toBe(
      '1',
    );

    const fresh = await bsync(['plan', '-c', CONFIG, '--out', planFile]);
    expect(fresh.code).toBe(0);
    const applied = await bsync(['apply', '-c', CONFIG, planFile]);
    expect(applied.stdout).toContain('Apply complete: 1 done, 0 failed');
    expect(applied.code).toBe(0);

    const secrets = [await labSecret('cipher_pass'), await labSecret('backup_password')];
    for (const secret of secrets) {
      expect(planText).not.toContain(secret);
      expect(readFileSync(planFile, 'utf8')).not.toContain(secret);
      for (const text of [saved.stdout, saved.stderr, stale.stderr, applied.stdout, applied.stderr])
        expect(text).not.toContain(secret);
    }
  }, 300_000);

  it('keep secrets out of the PostgreSQL log even when it logs every statement', async () => {
    await onHost(
      'ssh-pg1',
      `runuser -u postgres -- psql -XAtq -c "ALTER SYSTEM SET log_statement = 'all'" -c 'SELECT pg_reload_conf()'`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await onHost('ssh-pg1', `runuser -u postgres -- psql -XAtq -c "ALTER ROLE backrest PASSWORD 'x-changed'"`);
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.stdout).toContain('pg_role[backrest]');
    expect(apply.code).toBe(0);
    await onHost(
      'ssh-pg1',
      `runuser -u postgres -- psql -XAtq -c "ALTER SYSTEM RESET log_statement" -c 'SELECT pg_reload_conf()'`,
    );
    const log = await onHost('ssh-pg1', 'cat /var/log/postgresql/postgresql-15-main.log');
    expect(log.stdout).toContain("ALTER ROLE backrest PASSWORD 'x-changed'"); // proves statements were logged
    expect(log.stdout).toContain('SET LOCAL log_statement = none'); // bsync's own transaction was there
    for (const secret of [await labSecret('cipher_pass'), await labSecret('backup_password')])
      expect(log.stdout).not.toContain(secret);
    expect(log.stdout).not.toContain('SCRAM-SHA-256$');
  }, 300_000);
});

describe('hosts that cannot be reached or trusted', () => {
  it('an unreachable host is named, exit 1, no stack trace', async () => {
    const config = variantConfig('unreachable', (text) =>
      text.replace('address = "127.0.1.12"', 'address = "127.0.1.250"'),
    );
    const run = await bsync(['plan', '-c', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ssh-pg2.*127\.0\.1\.250/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('a wrong host key is refused and named, exit 1', async () => {
    const knownHosts = readFileSync('/var/tmp/bsync-lab/ssh/known_hosts', 'utf8');
    const otherKey = knownHosts
      .split('\n')
      .find((line) => line.startsWith('ssh-pg2') && line.includes('ssh-ed25519'))!
      .split(' ')
      .slice(1)
      .join(' ');
    const forged = knownHosts
      .split('\n')
      .map((line) =>
        line.startsWith('ssh-pg1') && line.includes('ssh-ed25519') ? `${line.split(' ')[0]} ${otherKey}` : line,
      )
      .filter((line) => !(line.startsWith('ssh-pg1') && !line.includes('ssh-ed25519')))
      .join('\n');
    const forgedPath = join(work, 'known_hosts');
    writeFileSync(forgedPath, forged);
    const config = variantConfig('wrong-key', (text) => text.replace('/var/tmp/bsync-lab/ssh/known_hosts', forgedPath));
    const run = await bsync(['plan', '-c', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ssh-pg1');
    expect(run.stderr).toMatch(/CHANGED/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
