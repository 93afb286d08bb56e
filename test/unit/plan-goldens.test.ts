// Plans that must not change while the code that makes them moves (issue 28): every plan of
// the declared state on the recorded facts, and restore, clone and backup plans as their
// commands make them (request decoded, hosts selected, space measured, plan built), each
// rendered by the text and the JSON view and compared with its file in fixtures/plan-goldens/.
// A golden changes only with a change of behaviour meant as one (`vitest -u`, and say why).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backupPlanning } from '../../lib/operations/backup.js';
import { clonePlanning } from '../../lib/operations/clone.js';
import { DECLARED_STATE } from '../../lib/operations/declared.js';
import { selectionOf, type Planning } from '../../lib/operations/planning.js';
import { savedOperationPlanning } from '../../lib/operations/registry.js';
import { restorePlanning } from '../../lib/operations/restore.js';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import type { PlanOperation } from '../../lib/plan/types.js';
import { printableJson } from '../../lib/printable.js';
import {
  decodeBackupRequest,
  decodeCloneRequest,
  decodeRestoreRequest,
  decodeStandbyRequest,
} from '../../lib/recovery/requests.js';
import type { HostConnection } from '../../lib/transport/types.js';
import { jsonPlanView, textPlanView } from '../../lib/views/plan.js';
import type { Sink } from '../../lib/views/sink.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, SSH_CONFIG, TWO_IN_ZONE_1, withSecondRepo } from '../support/configs.js';
import { SAVED_RESTORE } from '../support/requests.js';
import { SPACE_ANSWER, sessionFor } from '../support/sessions.js';

// Normalised: a plan's createdAt and a restore's notes (the window, what is lost) read the
// clock, so the clock is fixed at this instant; the nonce, random per plan, is given.
const NOW = Date.parse('2026-12-03T00:00:00Z');
const NONCE = '0123456789abcdef0123456789abcdef';
// Normalised: the config's path is this checkout's, which differs per machine and worktree.
const normalised = (text: string) => text.split(FIXTURES).join('<fixtures>/');

const ssh = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
const withS3 = parseConfig(withSecondRepo(s3Repo()), `${FIXTURES}lab/ssh.toml`, ENV);
// Zone 1 with ssh-pg2 as its second PostgreSQL host (a replica), as restore-plan.test.ts makes it.
const twoHosts = parseConfig(TWO_IN_ZONE_1, `${FIXTURES}lab/ssh.toml`, ENV);

function recorded(state: 'fresh' | 'converged', edit: (all: Map<string, HostFacts>) => void = () => {}) {
  const all = new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
  edit(all);
  return all;
}

function collected(): { sink: Sink; out: () => string } {
  let text = '';
  const sink: Sink = {
    text: (more) => {
      text += more;
    },
    json: (value, indent) => {
      text += `${printableJson(value, indent ?? 2)}\n`;
    },
    progress: (message) => {
      text += `progress: ${message}\n`;
    },
    live: false,
  };
  return { sink, out: () => text };
}

/** What plan shows in text and JSON, after the Planning's selection and `again`; or its refusal. */
async function rendered(inventory: Inventory, planning: Planning, facts: Map<string, HostFacts>): Promise<string> {
  const head = `selection: ${JSON.stringify(selectionOf(planning, inventory, {}))}\nagain: ${planning.again}\n`;
  let plan: Awaited<ReturnType<Planning['plan']>>['plan'];
  try {
    plan = (await planning.plan(sessionFor(inventory, planning), facts, NONCE)).plan;
  } catch (error) {
    if (!(error instanceof BsyncError)) throw error;
    return normalised(`${head}refused: ${error.describe()}\n`);
  }
  const text = collected();
  textPlanView(text.sink, { color: false }).plan(plan);
  const json = collected();
  jsonPlanView(json.sink).plan(plan);
  return normalised(`${head}--- text\n${text.out()}--- json\n${json.out()}`);
}

const stopped = (host: string) => (all: Map<string, HostFacts>) => {
  all.get(host)!.postgres!.running = false;
};
const inRecovery = (all: Map<string, HostFacts>) => {
  all.get('ssh-pg2')!.postgres!.inRecovery = true;
};

const RESTORE = { zone: '1', target: 'latest', delta: false, targetAction: 'promote', allowOverwrite: false };
const savedRestore: PlanOperation = { kind: 'restore', request: SAVED_RESTORE, notes: [] };

/** Each golden: its file's name, the config, the facts, and the Planning as its command makes it. */
const CASES: Array<[string, Inventory, () => Map<string, HostFacts>, () => Promise<Planning> | Planning]> = [
  ['declared-ssh-fresh', ssh, () => recorded('fresh'), () => DECLARED_STATE],
  ['declared-ssh-converged', ssh, () => recorded('converged'), () => DECLARED_STATE],
  ['declared-s3-repo2-converged', withS3, () => recorded('converged'), () => DECLARED_STATE],
  ['declared-two-hosts-converged', twoHosts, () => recorded('converged', inRecovery), () => DECLARED_STATE],
  ['restore-latest', ssh, () => recorded('converged'), () => restorePlanning(decodeRestoreRequest(RESTORE))],
  [
    'restore-set-overwrite-delta',
    ssh,
    () => recorded('converged'),
    () =>
      restorePlanning(
        decodeRestoreRequest({
          ...RESTORE,
          host: 'ssh-pg1',
          set: '20261202-003350F',
          delta: true,
          allowOverwrite: true,
        }),
      ),
  ],
  [
    'restore-stopped-server',
    ssh,
    () => recorded('converged', stopped('ssh-pg1')),
    () => restorePlanning(decodeRestoreRequest({ ...RESTORE, allowOverwrite: true })),
  ],
  [
    'restore-time-pause',
    ssh,
    () => recorded('converged'),
    () =>
      restorePlanning(
        decodeRestoreRequest({
          ...RESTORE,
          target: 'time=2026-12-02T01:00:00Z',
          targetAction: 'pause',
          allowOverwrite: true,
        }),
      ),
  ],
  [
    'restore-zone-2',
    ssh,
    () => recorded('converged'),
    () => restorePlanning(decodeRestoreRequest({ ...RESTORE, zone: '2', allowOverwrite: true })),
  ],
  [
    'standby-pg2',
    twoHosts,
    () => recorded('converged', inRecovery),
    () => restorePlanning(decodeStandbyRequest({ ...RESTORE, host: 'ssh-pg2', allowOverwrite: true })),
  ],
  [
    'restore-two-hosts-leave',
    twoHosts,
    () => recorded('converged', inRecovery),
    () => restorePlanning(decodeRestoreRequest({ ...RESTORE, allowOverwrite: true, replicas: 'leave' })),
  ],
  [
    'clone-default-folder',
    ssh,
    () => recorded('converged'),
    () => clonePlanning(decodeCloneRequest({ zone: '1', to: 'ssh-backup1', target: 'latest', allowOverwrite: false })),
  ],
  [
    'clone-folder-port',
    ssh,
    () => recorded('converged'),
    () =>
      clonePlanning(
        decodeCloneRequest({
          zone: '1',
          to: 'ssh-backup1:/srv/clone',
          port: '5434',
          target: 'latest',
          set: '20261202-003350F',
          allowOverwrite: true,
        }),
      ),
  ],
  [
    'backup-full-zone-1',
    ssh,
    () => recorded('converged'),
    () => backupPlanning(decodeBackupRequest({ zone: '1', type: 'full' })),
  ],
  [
    'backup-incr-repo-1',
    ssh,
    () => recorded('converged'),
    () => backupPlanning(decodeBackupRequest({ zone: '2', type: 'incr', repo: '1' })),
  ],
  ['backup-diff-all', ssh, () => recorded('converged'), () => backupPlanning(decodeBackupRequest({ type: 'diff' }))],
  [
    'backup-s3-repo2',
    withS3,
    () => recorded('converged'),
    () => backupPlanning(decodeBackupRequest({ zone: '1', type: 'full', repo: '2' })),
  ],
  ['saved-restore', ssh, () => recorded('converged'), () => savedOperationPlanning(savedRestore, 'saved.plan.json')],
  [
    'saved-backup',
    ssh,
    () => recorded('converged'),
    () => savedOperationPlanning({ kind: 'backup', request: { zone: 1, type: 'incr', repo: 1 }, notes: [] }, 'x.json'),
  ],
];

describe('plans stay as they were', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it.each(CASES)('%s', async (name, inventory, facts, planning) => {
    await expect(await rendered(inventory, await planning(), facts())).toMatchFileSnapshot(
      `../../fixtures/plan-goldens/${name}.txt`,
    );
  });
});

describe('a restore of a zone with a streaming replica', () => {
  it("measures each data directory it replaces: the primary's, and a following replica's", async () => {
    for (const [replicas, measured] of [
      ['follow', ['ssh-pg1', 'ssh-pg2']],
      ['leave', ['ssh-pg1']],
    ] as const) {
      const asked: string[] = [];
      const answering = (name: string) =>
        ({
          exec: async () => {
            asked.push(name);
            return { code: 0, stdout: `${SPACE_ANSWER}\n`, stderr: '' };
          },
          close() {},
        }) as unknown as HostConnection;
      const planning = restorePlanning(decodeRestoreRequest({ ...RESTORE, allowOverwrite: true, replicas }));
      const session = {
        ...sessionFor(twoHosts, planning),
        connections: new Map(twoHosts.hosts.map((host) => [host.name, answering(host.name)])),
      };
      // The recorded ssh-pg2 served zone 2: its setup differs, which stops the plan once measured.
      await expect(planning.plan(session, recorded('converged', inRecovery), NONCE)).rejects.toThrow(
        /the zone is not as bsync.toml says/,
      );
      expect(asked.sort()).toEqual(measured);
    }
  });
});
