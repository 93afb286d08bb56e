// Saved plans: the Plan value as JSON (no secrets), and the check that it still
// matches what a fresh plan decides before anything is applied.
import { readFileSync, writeFileSync } from 'node:fs';
import { BsyncError } from '../errors.js';
import type { Plan } from './types.js';

export function writePlanFile(path: string, plan: Plan): void {
  writeFileSync(path, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
}

export function readPlanFile(path: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as Plan;
  } catch (error) {
    throw new BsyncError(`cannot read the saved plan: ${(error as Error).message}`, { where: path });
  }
  if (plan?.format !== 'bsync-plan' || plan.version !== 1 || !Array.isArray(plan.actions) || typeof plan.nonce !== 'string') {
    throw new BsyncError('this is not a bsync plan file (format bsync-plan, version 1)', { where: path });
  }
  return plan;
}

/** Differences between a saved plan and a fresh one made with the saved plan's key; empty when it still holds. */
export function staleReasons(saved: Plan, fresh: Plan): string[] {
  const reasons: string[] = [];
  const freshByAddress = new Map(fresh.actions.map((action) => [action.address, action]));
  const savedAddresses = new Set(saved.actions.map((action) => action.address));
  for (const action of saved.actions) {
    const now = freshByAddress.get(action.address);
    if (!now) reasons.push(`${action.address}: no longer needs a change`);
    else if (now.fingerprint !== action.fingerprint) reasons.push(`${action.address}: what it would change is different now`);
  }
  for (const action of fresh.actions) {
    if (!savedAddresses.has(action.address)) reasons.push(`${action.address}: needs a change the saved plan does not have`);
  }
  return reasons;
}
