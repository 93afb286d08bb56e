// The drift check as Prometheus metrics: how many changes each host needs, by kind, how
// many of them take over what another tool made (adopt), and the problems that keep
// backups from running.
import type { Metric } from '../metrics/prom.js';
import type { Plan } from './types.js';

export function planMetrics(plan: Plan): Metric[] {
  const byHostKind = new Map<string, { host: string; kind: string; count: number }>();
  for (const action of plan.actions) {
    const key = `${action.host}\0${action.kind}`;
    const entry = byHostKind.get(key) ?? { host: action.host, kind: action.kind, count: 0 };
    entry.count += 1;
    byHostKind.set(key, entry);
  }
  return [
    {
      name: 'bsync_drift_actions',
      help: 'Changes bsync plan found necessary, per host and resource kind (absent: none).',
      type: 'gauge',
      samples: [...byHostKind.values()].map(({ host, kind, count }) => ({ labels: { host, kind }, value: count })),
    },
    {
      name: 'bsync_drift_host_actions',
      help: 'Changes bsync plan found necessary per host (0: the host matches the config).',
      type: 'gauge',
      samples: plan.hosts.map((host) => ({
        labels: { host },
        value: plan.actions.filter((action) => action.host === host).length,
      })),
    },
    {
      // Counted apart so a dashboard can tell a fleet still being taken over from drift.
      name: 'bsync_adopt_host_actions',
      help: 'Of those changes, the ones that take over lines bsync did not write (adopt), per host.',
      type: 'gauge',
      samples: plan.hosts.map((host) => ({
        labels: { host },
        value: plan.actions.filter((action) => action.host === host && action.action === 'adopt').length,
      })),
    },
    {
      name: 'bsync_backup_problems',
      help: 'Problems that keep backups from running, per host (pgBackRest not runnable, stanza unreadable).',
      type: 'gauge',
      samples: plan.hosts.map((host) => ({
        labels: { host },
        value: plan.problems.filter((problem) => problem.host === host).length,
      })),
    },
  ];
}
