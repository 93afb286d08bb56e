// Saved plans: the Plan value as JSON (no secrets), and the check that it still
// matches what a fresh plan decides before anything is applied.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { newAjv } from '../ajv.js';
import { BsyncError } from '../errors.js';
import { printable, printableJson } from '../printable.js';
import { projectFile } from '../project-files.js';
import type { Plan } from './types.js';

// Compiled on first use: only `apply FILE` reads a plan, and compiling costs ~50 ms at start.
let planValidator: ValidateFunction<Plan> | undefined;
function validatePlan(value: unknown): value is Plan {
  planValidator ??= newAjv({ allErrors: false, strict: true }).compile<Plan>(
    JSON.parse(readFileSync(projectFile('schemas/plan.schema.json'), 'utf8')) as object,
  );
  return planValidator(value);
}

const MAKE_ONE = 'Make a new one with: bsync plan --out FILE';

export function writePlanFile(path: string, plan: Plan): void {
  writeFileSync(path, `${printableJson(plan)}\n`, { mode: 0o600 });
}

/** A saved plan, or an error that says what is wrong with the file (never the JSON parser's own words). */
export function readPlanFile(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (error as Error).message;
    throw new BsyncError(`cannot read the saved plan: ${why}`, { where: path, hint: MAKE_ONE });
  }
  if (text.trim() === '') throw new BsyncError('the saved plan is empty', { where: path, hint: MAKE_ONE });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const complete = /\}\s*$/.test(text);
    throw new BsyncError(
      complete
        ? 'the saved plan is not valid JSON (was it edited?)'
        : 'the saved plan is cut short: it is not complete JSON (was it copied or written only in part?)',
      { where: path, hint: MAKE_ONE },
    );
  }
  // The shape is schemas/plan.schema.json's alone. Two checks come first, each for its own
  // sentence: a file that is no bsync plan at all, and a plan of another version (a shape
  // this schema does not describe).
  const record = value as Record<string, unknown> | null;
  if (record === null || typeof record !== 'object' || record.format !== 'bsync-plan') {
    throw new BsyncError('this is not a bsync plan file (no "format": "bsync-plan")', {
      where: path,
      hint: `Plans are made with bsync plan --out FILE; ${MAKE_ONE.toLowerCase()}`,
    });
  }
  if (record.version !== 1)
    throw new BsyncError(
      `this plan file has version ${printable(JSON.stringify(record.version))}; this bsync reads version 1`,
      { where: path, hint: MAKE_ONE },
    );
  if (!validatePlan(value)) {
    const [first] = planValidator?.errors ?? [];
    throw new BsyncError(
      `the saved plan is damaged: ${first?.instancePath || '(top level)'} ${first?.message ?? 'is not valid'}`,
      { where: path, hint: MAKE_ONE },
    );
  }
  return value;
}

/** Differences between a saved plan and a fresh one made with the saved plan's key; empty when it still holds. */
export function staleReasons(saved: Plan, fresh: Plan): string[] {
  const reasons: string[] = [];
  const freshByAddress = new Map(fresh.actions.map((action) => [action.address, action]));
  const savedAddresses = new Set(saved.actions.map((action) => action.address));
  for (const action of saved.actions) {
    const now = freshByAddress.get(action.address);
    if (!now) reasons.push(`${action.address}: no longer needs a change`);
    else if (now.fingerprint !== action.fingerprint)
      reasons.push(`${action.address}: what it would change is different now`);
  }
  for (const action of fresh.actions) {
    if (!savedAddresses.has(action.address))
      reasons.push(`${action.address}: needs a change the saved plan does not have`);
  }
  return reasons;
}
