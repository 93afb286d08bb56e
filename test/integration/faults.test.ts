// Faults during apply, on the lab's ssh scenario: kill -9 at action boundaries under
// several executor orders, Ctrl-C, a network cut to one host, two applies at once, and
// leases that outlive their holder. Each asserts what an operator would check: exit
// codes, messages, nothing half-written, no lease left behind, and a rerun that converges.
//
// Each CI run kills at a random sample of boundaries under random seeds (printed, so a
// failure can be replayed with BSYNC_FAULT_SEEDS=seed:boundary,...); BSYNC_FAULT_SWEEP=1
// kills at every boundary.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE, startBsync, type BsyncRun } from '../support/bsync.js';
import { onHost, resetScenario } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];
const FULL_APPLY_ACTIONS = 54;

/** Starts an apply and resolves once `starts` actions have started (or it ended). */
function applyUntilStarted(starts: number, env: NodeJS.ProcessEnv = {}) {
  const running = startBsync(['apply', '-c', CONFIG, '--yes', '--allow-restart'], env);
  // true once `starts` actions have started, false if the apply ended first (a kill then lands nowhere).
  const reached = new Promise<boolean>((resolve) => {
    let started = 0;
    running.child.stderr!.on('data', (chunk: Buffer) => {
      started += (chunk.toString().match(/\.\.\.$/gm) ?? []).length;
      if (started >= starts) resolve(true);
    });
    running.child.on('close', () => resolve(false));
  });
  return { ...running, reached };
}

async function expectConverges(env: NodeJS.ProcessEnv = {}): Promise<BsyncRun> {
  const again = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart'], env);
  expect(again.stdout + again.stderr, again.stderr).toMatch(/Apply complete|No changes/);
  expect(again.code).toBe(0);
  const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
  expect(plan.stdout).toContain('No changes.');
  expect(plan.code).toBe(0);
  return again;
}

/** Temporary files bsync writes next to their targets, and leases: none may stay behind. */
async function expectNothingLeftBehind(): Promise<void> {
  for (const host of HOSTS) {
    const found = await onHost(
      host,
      `find /etc/pgbackrest /etc/postgresql /var/lib/postgresql /home/backrest /run/bsync -name '.bsync.*' -o -name 'lease*' 2>/dev/null`,
    );
    expect(found.stdout.trim(), `${host} keeps: ${found.stdout}`).toBe('');
  }
}

/** The kill points of this run: seed and number of action starts before kill -9. */
function killPoints(): Array<{ seed: number; starts: number }> {
  if (process.env.BSYNC_FAULT_SEEDS) {
    return process.env.BSYNC_FAULT_SEEDS.split(',').map((entry) => {
      const [seed, starts] = entry.split(':').map(Number);
      return { seed, starts };
    });
  }
  if (process.env.BSYNC_FAULT_SWEEP) {
    return Array.from({ length: FULL_APPLY_ACTIONS - 1 }, (_, index) => ({ seed: 1000 + index, starts: index + 1 }));
  }
  return Array.from({ length: 3 }, () => ({
    seed: randomInt(1, 1_000_000),
    starts: randomInt(2, FULL_APPLY_ACTIONS - 4),
  }));
}

describe('kill -9 at action boundaries, in several legal orders', () => {
  const points = killPoints();
  console.log(
    `fault points this run (BSYNC_FAULT_SEEDS=${points.map((point) => `${point.seed}:${point.starts}`).join(',')})`,
  );

  it.each(points)(
    'seed $seed, killed after $starts action starts: the rerun converges, nothing half-written',
    async ({ seed, starts }) => {
      await resetScenario('ssh');
      const env = { BSYNC_APPLY_SEED: String(seed) };
      const first = applyUntilStarted(starts, env);
      expect(await first.reached, `the apply ended before ${starts} actions started`).toBe(true);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      // The kill landed mid-apply: killed by the signal, before its closing report.
      expect(killed.code).toBe(128);
      expect(killed.stdout).not.toMatch(/Apply (complete|incomplete)/);
      await expectConverges(env);
      await expectNothingLeftBehind();
    },
    600_000,
  );
});

describe('Ctrl-C during apply', () => {
  beforeAll(() => resetScenario('ssh'), 600_000);

  it('stops starting actions, reports done and not started, exits 130, frees the hosts; the rerun converges', async () => {
    const first = applyUntilStarted(10);
    expect(await first.reached, 'the apply ended before 10 actions started').toBe(true);
    first.child.kill('SIGINT');
    const run = await first.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: no new action starts');
    expect(run.stdout).toMatch(/Apply incomplete: \d+ done, 0 failed, \d+ skipped, 0 deferred, \d+ not started\./);
    expect(run.stdout).toMatch(/not started: ssh-/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    await expectNothingLeftBehind();
    const rerun = await expectConverges();
    expect(rerun.stderr).not.toContain('took over');
  }, 600_000);
});

describe('a network cut to one host during apply', () => {
  const rule = ['OUTPUT', '-d', '127.0.1.14', '-p', 'tcp', '--dport', '22', '-j', 'DROP'];
  const lift = () => {
    try {
      execFileSync('iptables', ['-D', ...rule], { stdio: 'ignore' });
    } catch {
      // Not in place.
    }
  };
  beforeAll(() => resetScenario('ssh'), 600_000);
  afterAll(lift);

  it('loses that host as ssh2 finds a silent one (keepalives, an unanswered request; how long is a benchmark matter) and finishes the others; after the cut, the next apply takes over its lease and converges', async () => {
    const first = applyUntilStarted(8);
    expect(await first.reached, 'the apply ended before 8 actions started').toBe(true);
    execFileSync('iptables', ['-I', ...rule]);
    const run = await first.done;
    lift();
    expect(run.code).toBe(1);
    // ssh-backup2 is lost: its actions fail, its zone's dependants wait, zone 1 completes.
    expect(run.stdout).toMatch(/failed: ssh-backup2\.\S+: .*(stopped answering|connection (was lost|is closed))/);
    expect(run.stdout).not.toMatch(/failed: ssh-(pg1|backup1)\./);
    // Found lost as ssh2 finds a silent host: its keepalives, or a request left unanswered
    // (both bounded by the connection's settings; how long it takes is a benchmark's matter).
    expect(run.stdout).toMatch(
      /failed: ssh-backup2\.\S+: (cannot run a command: No response from server|.*stopped answering \(no reply to \d+ keepalives)/,
    );
    const again = await expectConverges();
    expect(again.stderr).toMatch(/ssh-backup2: took over the lease of a bsync that is no longer running/);
    await expectNothingLeftBehind();
  }, 600_000);
});

describe('two applies at once', () => {
  beforeAll(() => resetScenario('ssh'), 600_000);

  it('one works, the other is refused naming the holder; together they converge', async () => {
    const one = startBsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    const two = startBsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    const results = await Promise.all([one.done, two.done]);
    const refused = results.filter((result) => /another bsync apply is changing this host/.test(result.stderr));
    expect(refused).toHaveLength(1);
    expect(refused[0].code).toBe(1);
    expect(refused[0].stderr).toMatch(/pid \d+ since \S+, lease [0-9a-f]{16}; the lease runs out in \d+ s/);
    expect(refused[0].stderr).not.toMatch(STACK_TRACE);
    expect(results.find((result) => result !== refused[0])!.code).toBe(0);
    await expectConverges();
    await expectNothingLeftBehind();
  }, 600_000);
});

describe('leases', () => {
  const lease = (until: string, pid: number) =>
    `printf 'id=0123456789abcdef until=%s since=2026-01-01T00:00:00Z pid=${pid} controller=ops-laptop user=ops\\n' ${until} > /run/bsync/lease`;

  beforeAll(async () => {
    await resetScenario('ssh');
    await expectConverges();
  }, 600_000);

  it('an expired lease is taken over with a line saying so', async () => {
    await onHost('ssh-pg1', `runuser -u postgres -- psql -XAtq -c "ALTER ROLE backrest PASSWORD 'lease-test'"`);
    await onHost('ssh-pg1', lease('$(( $(date +%s) - 5 ))', 4242));
    const run = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(run.stderr).toContain(
      'ssh-pg1: took over an expired lease (ops@ops-laptop pid 4242 since 2026-01-01T00:00:00Z, lease 0123456789abcdef)',
    );
    expect(run.stdout).toContain('pg_role[backrest]');
    expect(run.code).toBe(0);
    await expectNothingLeftBehind();
  });

  it('a live lease refuses apply with the holder and its id; bsync unlock with that id clears it', async () => {
    await onHost('ssh-pg1', lease('$(( $(date +%s) + 600 ))', 4242));
    const refused = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'ssh-pg1: another bsync apply is changing this host (ops@ops-laptop pid 4242 since 2026-01-01T00:00:00Z, lease 0123456789abcdef; the lease runs out in',
    );
    expect(refused.stderr).toContain('bsync unlock --host ssh-pg1 0123456789abcdef');
    // No other host was left holding a lease of the refused apply.
    expect((await onHost('ssh-backup1', 'cat /run/bsync/lease 2>/dev/null')).stdout).toBe('');

    const wrong = await bsync(['unlock', '--host', 'ssh-pg1', 'ffffffffffffffff', '-c', CONFIG]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the lease is held by ops@ops-laptop pid 4242');
    const cleared = await bsync(['unlock', '--host', 'ssh-pg1', '0123456789abcdef', '-c', CONFIG]);
    expect(cleared.code).toBe(0);
    expect(cleared.stderr).toContain('ssh-pg1: cleared the lease of ops@ops-laptop pid 4242');
    const applied = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(applied.code).toBe(0);
    await expectNothingLeftBehind();
  });
});
