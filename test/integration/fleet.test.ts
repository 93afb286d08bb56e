// Fleet mode on the lab: the ssh and s3 scenarios as two clusters in one run, converged,
// then one of them drifted: exit 2, the drift named under its cluster. (Not the ha scenario:
// it belongs to the other lane, hosts-b, whose ha.test may be switching its leader over.)
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario } from '../support/lab.js';

const CONFIGS = ['ssh', 's3'].map((name) => `${FIXTURES}lab/${name}.toml`);
const configArgs = CONFIGS.flatMap((config) => ['-c', config]);

describe('two clusters in one run', () => {
  beforeAll(async () => {
    for (const scenario of ['ssh', 's3'] as const) await resetScenario(scenario);
  }, 900_000);

  it('one apply converges both; the next plan says each is in sync, exit 0', async () => {
    const apply = await bsync(['apply', ...configArgs, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    for (const config of CONFIGS) expect(apply.stdout).toContain(`=== ${config} (cluster lab) ===`);
    const plan = await bsync(['plan', ...configArgs, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes. 4 hosts match ssh.toml.');
    expect(plan.stdout).toContain('No changes. 2 hosts match s3.toml.');
    expect(plan.stdout).toMatch(/Fleet: 2 clusters, 0 with changes, 0 failed\./);
  }, 900_000);

  it('a drift in one cluster: exit 2, the change shown under that cluster, the other in sync', async () => {
    const line = (await onHost('s3-pg1', 'crontab -u postgres -l')).stdout
      .split('\n')
      .find((entry) => entry.includes('bsync:diff'))!;
    await onHost('s3-pg1', `crontab -u postgres -l | grep -v 'bsync:diff' | crontab -u postgres -`);
    const plan = await bsync(['plan', ...configArgs, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    const s3Section = plan.stdout.split('=== ').find((section) => section.startsWith(`${CONFIGS[1]} `))!;
    expect(s3Section).toContain('~ crontab[postgres]');
    expect(s3Section).toContain(`+${line}`);
    expect(plan.stdout).toContain('No changes. 4 hosts match ssh.toml.');
    expect(plan.stdout).toMatch(/Fleet: 2 clusters, 1 with changes \(s3\.toml\), 0 failed\./);
    const json = await bsync(['plan', ...configArgs, '--json']);
    const document = JSON.parse(json.stdout);
    expect(document.clusters.map((cluster: { plan: { actions: unknown[] } }) => cluster.plan.actions.length)).toEqual([
      0, 1,
    ]);
    expect(plan.stdout + plan.stderr).not.toMatch(STACK_TRACE);
    const repair = await bsync(['apply', ...configArgs, '--yes']);
    expect(repair.code, repair.stdout).toBe(0);
  }, 300_000);
});
