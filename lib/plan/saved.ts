// Saved plans: the Plan value as JSON (no secrets, nothing computed from one), signed with
// this machine's plan key (plan-key.ts), and the check that it is, value for value, what a
// fresh plan decides before anything is applied.
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { ValidateFunction } from 'ajv';
import { newAjv } from '../ajv.js';
import { BsyncError } from '../errors.js';
import { printableJson, quotedValue as shown } from '../printable.js';
import { projectFile } from '../project-files.js';
import { checkingKey, planKeyPath, planSignature, signatureHolds, signingKey } from './plan-key.js';
import { PLAN_VERSION, type Plan, type PlanAction, type PlanField } from './types.js';

// Compiled on first use: only `apply FILE` reads a plan, and compiling costs ~50 ms at start.
let planValidator: ValidateFunction<Plan> | undefined;
function validatePlan(value: unknown): value is Plan {
  planValidator ??= newAjv({ allErrors: false, strict: true }).compile<Plan>(
    JSON.parse(readFileSync(projectFile('schemas/plan.schema.json'), 'utf8')) as object,
  );
  return planValidator(value);
}

const MAKE_ONE = 'Make a new one with: bsync plan --out FILE';

/** The plan as a file, signed with this machine's plan key (made now if it has none). */
export function writePlanFile(path: string, plan: Plan, env: NodeJS.ProcessEnv = process.env): void {
  const signature = planSignature(signingKey(env), plan);
  writeFileSync(path, `${printableJson({ ...plan, signature })}\n`, { mode: 0o600 });
}

/**
 * A saved plan, or an error that says what is wrong with the file (never the JSON parser's
 * own words). Only a plan signed with this machine's plan key is read past its version.
 */
export function readPlanFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  /** Given: a plan whose signature cannot be checked or does not hold is read anyway, and this is told why (bsync show). */
  unchecked?: (why: BsyncError) => void,
): Plan {
  const record = planRecord(path, readPlanText(path));
  try {
    checkSignature(path, record, env);
  } catch (error) {
    if (!unchecked || !(error instanceof BsyncError)) throw error;
    unchecked(error);
  }
  const { signature: _signed, ...value } = record;
  if (!validatePlan(value)) {
    const [first] = planValidator?.errors ?? [];
    throw new BsyncError(
      `the saved plan is damaged: ${first?.instancePath || '(top level)'} ${first?.message ?? 'is not valid'}`,
      { where: path, hint: MAKE_ONE },
    );
  }
  return value;
}

function readPlanText(path: string): string {
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
  return text;
}

/**
 * The file's JSON object, once it is a bsync plan of this version. The shape is
 * schemas/plan.schema.json's alone; two checks come first, each for its own sentence: a
 * file that is no bsync plan at all, and a plan of another version (a shape this schema
 * does not describe).
 */
function planRecord(path: string, text: string): Record<string, unknown> {
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
  const record = value as Record<string, unknown> | null;
  if (record === null || typeof record !== 'object' || Array.isArray(record) || record.format !== 'bsync-plan') {
    throw new BsyncError('this is not a bsync plan file (no "format": "bsync-plan")', {
      where: path,
      hint: `Plans are made with bsync plan --out FILE; ${MAKE_ONE.toLowerCase()}`,
    });
  }
  if (record.version !== PLAN_VERSION) {
    const [why, hint] = OLD_VERSIONS[String(record.version)] ?? ['', MAKE_ONE];
    throw new BsyncError(
      `this plan file has version ${shown(record.version)}${why}; this bsync reads version ${PLAN_VERSION}`,
      { where: path, hint },
    );
  }
  return record;
}

/** What was wrong with the plan files of earlier versions, and what to do with one. */
const OLD_VERSIONS: Record<string, [string, string]> = {
  1: [
    ', whose fingerprints were computed over secrets',
    `Whoever can read a version 1 file can test guesses of the config's secrets against it: delete it. ${MAKE_ONE}`,
  ],
  2: [', which bsync did not sign', MAKE_ONE],
};

/**
 * Refuses a plan this machine's plan key did not sign: one made elsewhere, edited, or
 * written by another program. What a plan's request may hold is checked after this, by
 * the decoder of its kind (lib/recovery/requests.ts): the signature is not all that stands
 * between a file and a command.
 */
function checkSignature(path: string, record: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const keyPath = planKeyPath(env);
  const again =
    'Make the plan again on this machine (bsync plan, restore or backup with --out FILE), or apply it where it was made. '
    + "Machines that apply each other's plans share one plan key (docs/reliability.md, Saved plans).";
  const { signature, ...plan } = record;
  if (typeof signature !== 'string')
    throw new BsyncError('the saved plan is not signed: bsync applies only plans it saved itself', {
      where: path,
      hint: again,
    });
  const key = checkingKey(env);
  if (!key)
    throw new BsyncError(`the saved plan cannot be checked: this machine has no plan key (${keyPath})`, {
      where: path,
      hint: again,
    });
  if (!signatureHolds(key, plan, signature))
    throw new BsyncError(
      `the saved plan's signature does not hold under this machine's plan key (${keyPath}): the file was changed after bsync saved it, or it was saved under another key`,
      { where: path, hint: again },
    );
}

/**
 * Why a saved plan and a fresh one differ. `stale`: what an action was decided from is
 * different now (its fingerprint, made with the saved plan's key, is). `edited`: the file
 * shows what bsync did not decide from the same things. `either`: one of the two, which
 * cannot be told. `elsewhere`: made with another config or other hosts than this apply.
 */
export type DifferenceCause = 'stale' | 'edited' | 'either' | 'elsewhere';

export interface PlanDifference {
  cause: DifferenceCause;
  host?: string;
  address?: string;
  /** Said after the address (`no longer needs a change`), or the whole sentence when there is none. */
  what: string;
}

/** What a person is shown of an action, in the order the check names the first difference. */
const SHOWN: ReadonlyArray<keyof Omit<PlanAction, 'address' | 'fingerprint' | 'fields' | 'diff'>> = [
  'host',
  'kind',
  'name',
  'title',
  'action',
  'conflict',
  'requiresRestart',
  'reason',
];

/**
 * Every difference between a saved plan and a fresh one made with the saved plan's key, in
 * the file's order; empty when the file is exactly what bsync plans now (its time aside).
 */
export function planDifferences(saved: Plan, fresh: Plan): PlanDifference[] {
  const found: PlanDifference[] = [];
  if (saved.configPath !== fresh.configPath)
    found.push({
      cause: 'elsewhere',
      what: `it was made from ${shown(saved.configPath)}; this apply reads ${shown(fresh.configPath)}`,
    });
  if (!isDeepStrictEqual(saved.hosts, fresh.hosts))
    found.push({
      cause: 'elsewhere',
      what: `it covers ${shown(saved.hosts.join(', '))}; this apply covers ${shown(fresh.hosts.join(', '))}`,
    });
  const actions = actionDifferences(saved.actions, fresh.actions);
  found.push(...actions);
  if (actions.length === 0) {
    // Same actions: then the file's order and counts can only differ by an edit.
    const moved = saved.actions.findIndex((action, index) => action.address !== fresh.actions[index].address);
    if (moved >= 0) {
      const { address, host } = saved.actions[moved];
      const planned = fresh.actions.findIndex((action) => action.address === address);
      found.push({
        cause: 'edited',
        host,
        address,
        what: `is action ${moved + 1} in the file, where bsync plans it as action ${planned + 1}`,
      });
    }
    if (!isDeepStrictEqual(saved.summary, fresh.summary))
      found.push({
        cause: 'edited',
        what: `its summary ${shown(saved.summary)} does not count its actions (${shown(fresh.summary)})`,
      });
  }
  found.push(...problemDifferences(saved.problems, fresh.problems));
  found.push(...operationDifferences(saved, fresh));
  return found;
}

function actionDifferences(saved: PlanAction[], fresh: PlanAction[]): PlanDifference[] {
  const found: PlanDifference[] = [];
  const freshByAddress = new Map(fresh.map((action) => [action.address, action]));
  const seen = new Set<string>();
  for (const action of saved) {
    const now = freshByAddress.get(action.address);
    const at = { host: now?.host ?? action.host, address: action.address };
    if (seen.has(action.address)) {
      found.push({ ...at, cause: 'edited', what: 'is in the saved plan twice' });
      continue;
    }
    seen.add(action.address);
    if (!now) found.push({ ...at, cause: 'either', what: 'no longer needs a change' });
    else if (now.fingerprint !== action.fingerprint)
      found.push({ ...at, cause: 'stale', what: 'would change something else now than the saved plan shows' });
    else {
      const edit = actionEdit(action, now);
      if (edit) found.push({ ...at, cause: 'edited', what: edit });
    }
  }
  for (const action of fresh) {
    if (!seen.has(action.address))
      found.push({
        cause: 'either',
        host: action.host,
        address: action.address,
        what: 'needs a change the saved plan does not have',
      });
  }
  return found;
}

/** The first thing shown of an action that differs, as a clause; null when none does. */
function actionEdit(saved: PlanAction, fresh: PlanAction): string | null {
  for (const key of SHOWN) {
    if (saved[key] !== fresh[key])
      return `has ${key} ${shown(saved[key])} in the saved plan, where bsync plans ${shown(fresh[key])}`;
  }
  if (!isDeepStrictEqual(saved.fields, fresh.fields)) return fieldEdit(saved.fields, fresh.fields);
  if (saved.diff !== fresh.diff) return diffEdit(saved.diff, fresh.diff);
  if (!isDeepStrictEqual(saved.dependsOn, fresh.dependsOn))
    return `waits for ${shown(saved.dependsOn.join(', '))} in the saved plan, where bsync plans ${shown(fresh.dependsOn.join(', '))}`;
  return null;
}

function fieldEdit(saved: PlanField[], fresh: PlanField[]): string {
  const index = saved.findIndex((field, at) => !isDeepStrictEqual(field, fresh[at]));
  const [was, now] = index < 0 ? [undefined, fresh[saved.length]] : [saved[index], fresh[index]];
  if (!was) return `lacks its field ${shown(now?.name)} in the saved plan`;
  if (!now || was.name !== now.name)
    return `has a field ${shown(was.name)} in the saved plan, where bsync plans ${now ? `the field ${shown(now.name)}` : 'none'}`;
  return `has ${shown(was.name)} ${fieldText(was)} in the saved plan, where bsync plans ${fieldText(now)}`;
}

const fieldText = (field: PlanField) => `${shown(field.before)} -> ${shown(field.after)}`;

function diffEdit(saved: string | undefined, fresh: string | undefined): string {
  if (saved === undefined) return 'has no diff in the saved plan, where bsync plans one';
  if (fresh === undefined) return 'has a diff in the saved plan, where bsync plans none';
  const was = saved.split('\n');
  const now = fresh.split('\n');
  const line = was.findIndex((text, at) => text !== now[at]);
  const at = line < 0 ? was.length : line;
  const reading = (text: string | undefined) => (text === undefined ? 'nothing' : shown(text));
  return `has diff line ${at + 1} reading ${reading(was[at])} in the saved plan, where bsync plans ${reading(now[at])}`;
}

function problemDifferences(saved: Plan['problems'], fresh: Plan['problems']): PlanDifference[] {
  const key = (entry: Plan['problems'][number]) => JSON.stringify([entry.host, entry.problem]);
  const savedKeys = new Set(saved.map(key));
  const freshKeys = new Set(fresh.map(key));
  return [
    ...saved
      .filter((entry) => !freshKeys.has(key(entry)))
      .map((entry) => ({
        cause: 'either' as const,
        host: entry.host,
        what: `the saved plan lists the problem ${shown(entry.problem)} on ${entry.host}, which bsync does not find now`,
      })),
    ...fresh
      .filter((entry) => !savedKeys.has(key(entry)))
      .map((entry) => ({
        cause: 'either' as const,
        host: entry.host,
        what: `bsync finds the problem ${shown(entry.problem)} on ${entry.host}, which the saved plan does not list`,
      })),
  ];
}

/** A note with what it measured left out: free space, the archive's last WAL segment and its time move by the minute. */
function noteWords(note: string): string {
  return note
    .replace(/\b[0-9A-F]{24}\b/g, '(WAL segment)')
    .replace(/\b\d+(\.\d+)? [KMGT]iB\b/g, '(size)')
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '(time)');
}

function operationDifferences(saved: Plan, fresh: Plan): PlanDifference[] {
  const was = saved.operation;
  const now = fresh.operation;
  if (!was && !now) return [];
  if (!was || !now || was.kind !== now.kind)
    return [
      {
        cause: 'either',
        what: `the saved plan is ${was ? `a ${was.kind}` : 'of the declared state'}, where bsync plans ${now ? `a ${now.kind}` : 'the declared state'}`,
      },
    ];
  const found: PlanDifference[] = [];
  // Value by value, by name: the saved file's request may hold names its kind does not.
  const asked: Record<string, unknown> = { ...was.request };
  const planned: Record<string, unknown> = { ...now.request };
  const keys = [...new Set([...Object.keys(asked), ...Object.keys(planned)])];
  const key = keys.find((name) => asked[name] !== planned[name]);
  if (key !== undefined)
    found.push({
      cause: 'either',
      what: `the saved ${was.kind} asks for ${key} ${shown(asked[key])}, where bsync plans ${shown(planned[key])}`,
    });
  const note = Math.max(was.notes.length, now.notes.length);
  const at = Array.from({ length: note }, (_, index) => index).find(
    (index) => noteWords(was.notes[index] ?? '') !== noteWords(now.notes[index] ?? ''),
  );
  if (at !== undefined)
    found.push({
      cause: 'either',
      what: `the saved ${was.kind}'s note ${at + 1} reads ${shown(was.notes[at])}, where bsync notes ${shown(now.notes[at])}`,
    });
  return found;
}

const LEAD: Record<DifferenceCause, [string, string]> = {
  stale: ['the saved plan is stale', 'The hosts or the config changed since it was made.'],
  edited: ['the saved plan was edited', 'It shows something bsync does not plan from the same hosts and config.'],
  either: [
    'the saved plan is stale or was edited',
    'The hosts or the config changed since it was made, or the file was edited.',
  ],
  elsewhere: [
    'the saved plan was made for another apply',
    'Apply it with the config and the --host and --zone options it was made with.',
  ],
};

/** The sentence for a difference: where it is (host, address), then what. */
export function differenceSentence(difference: PlanDifference): string {
  return difference.address ? `on ${difference.host}, ${difference.address} ${difference.what}` : difference.what;
}

/**
 * Refuses a saved plan that is not, value for value, the fresh plan: the first difference
 * in a sentence naming the file, the host and the address; the others after it.
 */
export function checkSavedPlan(saved: Plan, fresh: Plan, options: { file: string; again: string }): void {
  const differences = planDifferences(saved, fresh);
  if (differences.length === 0) return;
  const [first] = differences;
  const [lead, why] = LEAD[first.cause];
  const lines = differences
    .slice(0, 10)
    .map((difference) =>
      difference.address ? `${difference.address}: ${difference.what}` : differenceSentence(difference),
    );
  if (differences.length > 10) lines.push(`and ${differences.length - 10} more`);
  throw new BsyncError(`${lead}: ${differenceSentence(first)}`, {
    where: options.file,
    hint: `${why} Nothing was changed.\n  ${lines.join('\n  ')}\n  Make a new plan with: ${options.again.replace('FILE', options.file)}`,
  });
}
