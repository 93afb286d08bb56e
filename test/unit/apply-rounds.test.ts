// Apply's second round (a cluster from a backup, docs/recovery.md): a plan that brings a zone
// its first data is applied, then apply gathers the facts again and plans and applies the
// declared state anew, asking again unless --yes; a saved plan stops after its own. Hosts,
// leases and the actions' runs are stand-ins; the rounds' order is apply's own.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Inventory } from '../../lib/config/inventory.js';
import { applyCluster, type ApplyRun } from '../../lib/operations/apply.js';
import type { Planned, Planning } from '../../lib/operations/planning.js';
import type { Plan, PlanAction } from '../../lib/plan/types.js';
import type { ApplyView } from '../../lib/views/apply.js';

const gathered = vi.hoisted(() => ({ count: 0 }));
const executed = vi.hoisted(() => ({ plans: [] as string[] }));

vi.mock('../../lib/operations/session.js', () => ({
  openSession: async (inventory: Inventory) => ({
    inventory,
    selected: inventory.hosts,
    involved: inventory.hosts,
    connections: new Map(inventory.hosts.map((host) => [host.name, {}])),
    needsOf: () => ({}),
    close() {},
  }),
  gatherFacts: async () => {
    gathered.count += 1;
    return new Map([['pg3', { round: gathered.count }]]);
  },
}));
vi.mock('../../lib/apply/lease.js', () => ({
  acquireLease: async (_connection: unknown) => ({
    id: 'lease',
    host: 'pg3',
    startRenewing() {},
    release: async () => {},
  }),
}));
// The saved plan's own checks are saved-plan.test.ts's: here it is taken as it is.
vi.mock('../../lib/plan/saved.js', () => ({ checkSavedPlan: () => {} }));
vi.mock('../../lib/apply/execute.js', () => ({
  executePlan: async ({ plan }: { plan: Plan }) => {
    executed.plans.push(plan.actions.map((action) => action.kind).join(','));
    return plan.actions.map((action) => ({ address: action.address, host: action.host, status: 'done', seconds: 0 }));
  },
}));

const INVENTORY = {
  hosts: [{ name: 'pg3', zone: 3 }],
  repos: [],
  backupUser: { password: null },
} as unknown as Inventory;
const action = (kind: string) =>
  ({ address: `pg3.${kind}`, host: 'pg3', kind, dependsOn: [] }) as unknown as PlanAction;
const planOf = (kinds: string[]) => ({ actions: kinds.map(action) }) as unknown as Plan;

/** Round 1 restores (and asks for another), round 2 sets up the rest, round 3 would find nothing. */
const PLANNING: Planning = {
  again: 'bsync plan --out FILE',
  plan: async (_session, facts): Promise<Planned> => {
    const round = (facts.get('pg3') as unknown as { round: number }).round;
    if (round === 1) return { plan: planOf(['pg_restore', 'pg_start']), changes: new Map(), planAgain: true };
    return { plan: planOf(round === 2 ? ['postgresql_conf', 'stanza'] : []), changes: new Map() };
  },
};

function view(shown: string[]): ApplyView {
  return {
    progress: (message) => shown.push(message),
    planned: (plan) => {
      shown.push(`plan: ${plan.actions.map((each) => each.kind).join(',')}`);
      return {
        running: () => ({ onEvent() {}, finish() {} }) as never,
        report: () => shown.push('report'),
      };
    },
  };
}

function run(overrides: Partial<ApplyRun> = {}): ApplyRun & { asked: () => number } {
  let asked = 0;
  return {
    planning: PLANNING,
    yes: false,
    allowRestart: true,
    interrupt: { requested: false } as ApplyRun['interrupt'],
    confirm: async () => {
      asked += 1;
      return true;
    },
    asked: () => asked,
    ...overrides,
  };
}

describe('apply after a plan that brings a zone its first data', () => {
  beforeEach(() => {
    gathered.count = 0;
    executed.plans = [];
  });

  it('gathers the facts again, shows the new plan, asks again and applies it', async () => {
    const shown: string[] = [];
    const given = run();
    const result = await applyCluster(INVENTORY, view(shown), { selection: {} }, given);
    expect(result.code).toBe(0);
    expect(result.changes).toBe(true);
    expect(gathered.count).toBe(2);
    expect(executed.plans).toEqual(['pg_restore,pg_start', 'postgresql_conf,stanza']);
    expect(given.asked()).toBe(2);
    const second = shown.indexOf('plan: postgresql_conf,stanza');
    expect(
      shown
        .slice(0, second)
        .some((line) => line.startsWith('A zone has its first data: planning the declared state again')),
    ).toBe(true);
  });

  it('with --yes asks nothing; a round that brings no first data is the last', async () => {
    const given = run({ yes: true });
    await applyCluster(INVENTORY, view([]), { selection: {} }, given);
    expect(given.asked()).toBe(0);
    expect(gathered.count).toBe(2);
  });

  it('stops after a saved plan’s own actions, saying how to go on', async () => {
    const shown: string[] = [];
    const saved = { ...planOf(['pg_restore', 'pg_start']), nonce: 'n' } as Plan;
    const result = await applyCluster(INVENTORY, view(shown), { selection: {} }, run({ saved }));
    expect(result.code).toBe(0);
    expect(gathered.count).toBe(1);
    expect(executed.plans).toEqual(['pg_restore,pg_start']);
    expect(shown).toContain(
      'A zone has its first data: run bsync apply (without a plan file) to set up the rest of its declared state.',
    );
  });
});
