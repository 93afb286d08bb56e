// bsync promote --zone N: a standby site's one server promoted (lib/recovery/promote.ts), then,
// in the same apply, the zone's declared state (its own stanza, archiving, first backup). Once
// the server runs as a primary, the plan is the declared state's: a rerun converges.
import { buildPlan } from '../plan/build.js';
import { planPromote } from '../recovery/promote.js';
import { decodePromoteRequest, type PromoteRequest } from '../recovery/requests.js';
import { planFromFacts } from './declared.js';
import type { Operation } from './operation.js';
import type { Planning } from './planning.js';
import { usingFacts } from './session.js';

export function promotePlanning(request: PromoteRequest): Planning {
  return {
    selection: { zones: [request.zone] },
    again: `bsync promote --zone ${request.zone} --out FILE`,
    againSays: {
      planning: `Zone ${request.zone}'s server is promoted: planning its declared state (its own stanza, archiving, first backup).`,
      saved: `Zone ${request.zone}'s server is promoted: run bsync apply to give it its own stanza, archiving and first backup.`,
    },
    plan: async (session, facts, nonce) => {
      const promotion = usingFacts(session, facts, (checked) => planPromote(session.inventory, checked, request));
      if (!promotion) return planFromFacts(session, facts, nonce);
      const hosts = [...new Set(promotion.resources.map((resource) => resource.host))];
      return {
        ...buildPlan(session.inventory, hosts, promotion.resources, nonce, [], promotion.operation),
        planAgain: true,
      };
    },
  };
}

export const PROMOTE: Operation<PromoteRequest> = {
  command: 'promote',
  decode: decodePromoteRequest,
  planning: promotePlanning,
};
