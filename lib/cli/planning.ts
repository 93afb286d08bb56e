// Facts → resources → plan, shared by plan and apply so both decide the same way.
import { desiredResources } from '../desired/index.js';
import { buildPlan, type PlannedChanges } from '../plan/build.js';
import { healthProblems } from '../plan/health.js';
import type { HostFacts } from '../facts/types.js';
import { usingFacts, type Session } from './session.js';

export function planFromFacts(session: Session, facts: Map<string, HostFacts>, nonce?: string): PlannedChanges {
  const hosts = session.selected.map((host) => host.name);
  return usingFacts(session, facts, (checked) => {
    const resources = desiredResources(session.inventory, checked);
    return buildPlan(session.inventory, hosts, resources, nonce, healthProblems(session.inventory, checked, hosts));
  });
}
