// Facts → resources → plan, shared by plan and apply so both decide the same way.
import { desiredResources } from '../desired/index.js';
import { buildPlan, type PlannedChanges } from '../plan/build.js';
import { healthProblems } from '../plan/health.js';
import type { HostFacts } from '../facts/types.js';
import type { Session } from './session.js';

export function planFromFacts(session: Session, facts: Map<string, HostFacts>, nonce?: string): PlannedChanges {
  const resources = desiredResources(session.inventory, facts);
  const hosts = session.selected.map((host) => host.name);
  return buildPlan(session.inventory, hosts, resources, nonce, healthProblems(session.inventory, facts, hosts));
}
