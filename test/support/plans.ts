// Small saved-plan values for tests of the plan file and of `bsync show`: one with no
// actions, and one that adopts a crontab job.
import type { Plan } from '../../lib/plan/types.js';

export const EMPTY_PLAN: Plan = {
  format: 'bsync-plan',
  version: 3,
  createdAt: '2026-12-01T00:00:00.000Z',
  configPath: '/etc/bsync/bsync.toml',
  hosts: ['pg1'],
  nonce: '0123456789abcdef0123456789abcdef',
  actions: [],
  summary: { add: 0, change: 0, remove: 0, conflict: 0 },
  problems: [],
};

export const ADOPTING_PLAN: Plan = {
  ...EMPTY_PLAN,
  actions: [
    {
      address: 'pg1.crontab[postgres]',
      host: 'pg1',
      kind: 'crontab',
      name: 'postgres',
      title: 'crontab of postgres',
      action: 'adopt',
      reason: 'takes over the full backup job of s1, which bsync did not write',
      fields: [],
      dependsOn: [],
      fingerprint: 'f'.repeat(64),
    },
  ],
  summary: { add: 0, change: 0, remove: 0, adopt: 1, conflict: 0 },
};
