// Requests as the unit tests make them: a clone of zone 1's newest backup, on port 5433;
// and a restore as a saved plan records it (ssh-pg1 from the recorded full backup).
import type { RestoreRecord } from '../../lib/plan/types.js';
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

/** A restore of ssh-pg1 as its saved plan records it: the recorded full backup of repo1, --delta, --allow-overwrite. */
export const SAVED_RESTORE: RestoreRecord = {
  zone: 1,
  host: 'ssh-pg1',
  target: 'latest',
  set: '20261202-003350F',
  repo: 1,
  delta: true,
  targetAction: 'promote',
  allowOverwrite: true,
};
