// The declared state's Planning: facts → resources → plan, what bsync plan and bsync apply make.
import { declaredState } from '../desired/index.js';
import type { HostFacts } from '../facts/types.js';
import { buildPlan } from '../plan/build.js';
import { bringsFirstData, firstDataResources } from '../recovery/first-data.js';
import { healthProblems } from '../plan/health.js';
import type { Planned, Planning } from './planning.js';
import { usingFacts, type Session } from './session.js';

export function planFromFacts(session: Session, facts: Map<string, HostFacts>, nonce?: string): Planned {
  const hosts = session.selected.map((host) => host.name);
  return usingFacts(session, facts, (checked) => {
    const declared = declaredState(session.inventory, checked);
    const firstData = declared.firstData.flatMap((pending) =>
      firstDataResources(session.inventory, checked, pending, hosts),
    );
    const resources = [...declared.resources, ...firstData];
    const planned = buildPlan(
      session.inventory,
      hosts,
      resources,
      nonce,
      healthProblems(session.inventory, checked, hosts),
    );
    const said = declared.warnings.length > 0 ? { ...planned, warnings: declared.warnings } : planned;
    return bringsFirstData(resources) ? { ...said, planAgain: true } : said;
  });
}

export const DECLARED_STATE: Planning = {
  plan: async (session, facts, nonce) => planFromFacts(session, facts, nonce),
  again: 'bsync plan --out FILE',
};
