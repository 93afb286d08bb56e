// An operation: what a plan carries out instead of reaching the declared state (a restore,
// a standby rebuild, a clone, an on-demand backup). Each is one module of this folder,
// registered in registry.ts under the kind its plans record (plan.operation.kind).
import type { Resource } from '../resources/types.js';
import type { Planning } from './planning.js';

/** Where a request comes from: the command line, or a saved plan's `operation.request`. */
export type RequestSource = 'command line' | 'saved plan';

export interface Operation<Request> {
  /** The command that makes and runs it (`bsync restore --to` makes a clone). */
  command: 'restore' | 'backup' | 'promote';
  /** Its request's one decoder, for what the command line gave and what a saved plan holds (lib/recovery/requests.ts). */
  decode(input: unknown): Request;
  /** How it plans: the hosts it concerns, the facts it reads beyond the declared state's, the plan, what it reports after. */
  planning(request: Request, source: RequestSource): Planning;
}

/** The hosts an operation's steps run on: a Patroni restore's members, a clone's source and target. */
export function hostsOf(resources: Resource[]): string[] {
  return [...new Set(resources.map((resource) => resource.host))];
}
