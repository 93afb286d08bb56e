// The declared state's Planning: facts → resources → plan, what bsync plan and bsync apply make.
import { desiredResources } from '../desired/index.js';
import type { HostFacts } from '../facts/types.js';
import { buildPlan, type PlannedChanges } from '../plan/build.js';
import { healthProblems } from '../plan/health.js';
import type { Planning } from './planning.js';
import { usingFacts, type Session } from './session.js';

export function planFromFacts(session: Session, facts: Map<string, HostFacts>, nonce?: string): PlannedChanges {
  const hosts = session.selected.map((host) => host.name);
  return usingFacts(session, facts, (checked) => {
    const resources = desiredResources(session.inventory, checked);
    return buildPlan(session.inventory, hosts, resources, nonce, healthProblems(session.inventory, checked, hosts));
  });
}

export const DECLARED_STATE: Planning = {
  plan: async (session, facts, nonce) => planFromFacts(session, facts, nonce),
  again: 'bsync plan --out FILE',
};
