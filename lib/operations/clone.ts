// A clone: a zone's backup restored on another host, as an independent server. Its hosts
// are the clone's and the source zone's; the space is measured where the clone goes.
import { measureSpace } from '../facts/space.js';
import { buildPlan } from '../plan/build.js';
import { cloneHost, clonePath, cloneZone, planClone } from '../recovery/clone.js';
import { decodeCloneRequest, type CloneRequest } from '../recovery/requests.js';
import { repoTimeAgain, repoTimeNeeds } from '../recovery/repo-target-time.js';
import { targetText } from '../recovery/target.js';
import { hostsOf, type Operation } from './operation.js';
import type { Planning } from './planning.js';
import { usingFacts } from './session.js';

export function clonePlanning(request: CloneRequest): Planning {
  return {
    // The clone's host and the source zone's hosts (another zone's, for an object store).
    selection: (inventory) => {
      const zone = cloneZone(inventory, request);
      // A host the config does not have, or one that cannot read the repository, is refused before any connects.
      cloneHost(inventory, zone, request.to.host);
      return {
        hosts: [request.to.host, ...inventory.hosts.filter((host) => host.zone === zone.zone).map((host) => host.name)],
      };
    },
    extraNeeds: (inventory) => repoTimeNeeds(inventory, request),
    again: [
      `bsync restore --zone ${request.zone ?? 'N'} --to ${request.to.host}${request.to.path ? `:${request.to.path}` : ''} --port ${request.port} --target ${targetText(request.target)}`,
      ...repoTimeAgain(request),
      '--out FILE',
    ].join(' '),
    plan: async (session, facts, nonce) => {
      const { inventory } = session;
      const zone = cloneZone(inventory, request);
      const path = clonePath(request, zone.stanza);
      const space = await measureSpace(session.connections.get(request.to.host)!, request.to.host, path);
      return usingFacts(session, facts, (checked) => {
        const clone = planClone({ inventory, facts: checked, request, space, now: Date.now() });
        return buildPlan(inventory, hostsOf(clone.resources), clone.resources, nonce, [], clone.operation);
      });
    },
  };
}

export const CLONE: Operation<CloneRequest> = {
  command: 'restore',
  decode: decodeCloneRequest,
  planning: clonePlanning,
};
