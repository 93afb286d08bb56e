// What bsync prints for machines and what it does when part of the work fails:
// facts as JSON without secrets, plans as JSON that match schemas/plan.schema.json,
// and a failed action that stops only what depends on it.
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { labSecret, onHost, resetScenario } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const planSchema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));

describe('machine output', () => {
  beforeAll(async () => {
    // From pristine hosts, whatever other suites left (files run alone and in any order).
    await resetScenario('ssh');
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(run.code).toBe(0);
  }, 600_000);

  it('bsync facts prints what the hosts hold, with secrets redacted', async () => {
    const run = await bsync(['facts', '-c', CONFIG, '--host', 'ssh-pg1', '--host', 'ssh-backup1']);
    expect(run.code).toBe(0);
    const facts = JSON.parse(run.stdout);
    expect(Object.keys(facts).sort()).toEqual(['ssh-backup1', 'ssh-pg1']);
    expect(facts['ssh-pg1'].os).toMatchObject({ id: 'debian', family: 'debian' });
    expect(facts['ssh-pg1'].postgres.settings.archive_mode.setting).toBe('on');
    expect(facts['ssh-pg1'].postgres.roles.backrest.password).toBe('(sensitive)');
    expect(facts['ssh-backup1'].users.backrest.home).toBe('/home/backrest');
    expect(facts['ssh-backup1'].repos[0].backups.length).toBeGreaterThan(0);
    expect(facts['ssh-pg1'].files['/etc/pgbackrest/pgbackrest.conf'].content).toContain(
      'repo1-cipher-pass=(sensitive)',
    );
    for (const secret of [await labSecret('cipher_pass'), await labSecret('backup_password')])
      expect(run.stdout).not.toContain(secret);
    expect(run.stdout).not.toContain('SCRAM-SHA-256$');
  });

  it('plan --json is a plan as schemas/plan.schema.json describes it', async () => {
    await onHost('ssh-pg2', `sed -i 's/^start-fast=y$/start-fast=n/' /etc/pgbackrest/pgbackrest.conf`);
    const run = await bsync(['plan', '-c', CONFIG, '--json']);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout);
    const validate = new Ajv.default({ strict: true }).compile(planSchema);
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
    expect(plan.actions.map((action: { address: string }) => action.address)).toEqual(['ssh-pg2.pgbackrest_conf']);
    expect(plan.summary).toEqual({ add: 0, change: 1, remove: 0, adopt: 0, conflict: 0 });
    expect(run.stderr).toContain('Gathering facts');
    const none = await bsync(['plan', '-c', CONFIG, '--json', '--host', 'ssh-pg1']);
    expect(JSON.parse(none.stdout).actions).toEqual([]);
  });
});

describe('a failing action', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
  });

  it('stops only what depends on it: the other zone converges, exit 1, the failure named', async () => {
    // /etc/pgbackrest as a file on ssh-pg2: the plan shows a conflict, apply refuses it, zone 2 cannot finish.
    await onHost('ssh-pg2', 'touch /etc/pgbackrest');
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('! directory[/etc/pgbackrest]');
    expect(run.stdout).toMatch(
      /failed: ssh-pg2\.directory\[\/etc\/pgbackrest\]: refused: \/etc\/pgbackrest is a regular empty file, where bsync manages a folder/,
    );
    expect(run.stdout).toMatch(
      /skipped: ssh-pg2\.pgbackrest_conf: waits for ssh-pg2\.directory\[\/etc\/pgbackrest\] \(failed\)/,
    );
    expect(run.stdout).toMatch(/skipped: ssh-backup2\.stanza\[pgedge-lab-2\]/);
    expect(run.stdout).not.toMatch(/(failed|skipped): ssh-(pg1|backup1)\./);
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    const zone1 = await bsync([
      'plan',
      '-c',
      CONFIG,
      '--host',
      'ssh-pg1',
      '--host',
      'ssh-backup1',
      '--detailed-exitcode',
    ]);
    expect(zone1.stdout).toContain('No changes. 2 hosts match ssh.toml.');
    expect(zone1.code).toBe(0);

    await onHost('ssh-pg2', 'rm /etc/pgbackrest');
    const repaired = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(repaired.code).toBe(0);
  }, 600_000);
});
