// Requests as the unit tests make them: a clone of zone 1's newest backup, on port 5433.
import { type CloneRequest, parseCloneTarget } from '../../lib/recovery/requests.js';

/** `bsync restore --zone 1 --to TO --port 5433`, with `extra` over it. */
export function cloneRequest(to: string, extra: Partial<CloneRequest> = {}): CloneRequest {
  return {
    zone: 1,
    target: { type: 'latest' },
    delta: false,
    targetAction: 'promote',
    allowOverwrite: false,
    to: parseCloneTarget(to),
    port: 5433,
    ...extra,
  };
}
