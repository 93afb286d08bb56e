// Resources with changes → the Plan value (for people, files and JSON) and the changes
// themselves (for lib/apply), both in dependency order.
import { createHmac, randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { Inventory } from '../config/inventory.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Change, FieldChange, Resource } from '../resources/types.js';
import { displayText } from '../resources/types.js';
import { changedDependencies, topologicalOrder } from './graph.js';
import { PLAN_VERSION, type Plan, type PlanAction, type PlanField, type PlanOperation } from './types.js';
import { redactFile, redactHostText } from '../facts/redact.js';
import { markingMask } from '../formats/mask.js';

export interface PlannedChanges {
  plan: Plan;
  /** The executable side of each action, by address. Holds secrets: never serialised. */
  changes: Map<string, Change>;
}

export function buildPlan(
  inventory: Inventory,
  hosts: string[],
  resources: Resource[],
  nonce = randomBytes(16).toString('hex'),
  problems: ReadonlyArray<Diagnostic & { host: string }> = [],
  operation?: PlanOperation,
): PlannedChanges {
  const dependencies = changedDependencies(resources);
  // Other hosts of the zone were planned too (their facts feed these); only the asked-for hosts act.
  const changed = resources.filter((resource) => resource.change !== null && hosts.includes(resource.host));
  const order = topologicalOrder(
    changed.map((resource) => resource.address),
    dependencies,
  );
  const byAddress = new Map(changed.map((resource) => [resource.address, resource]));
  const actions = order.map((address) =>
    planAction(byAddress.get(address) as Resource, dependencies.get(address) ?? [], nonce),
  );
  const count = (action: string) => actions.filter((entry) => entry.action === action).length;
  return {
    plan: {
      format: 'bsync-plan',
      version: PLAN_VERSION,
      createdAt: new Date().toISOString(),
      configPath: inventory.configPath,
      hosts,
      nonce,
      actions,
      summary: {
        add: count('create'),
        change: count('update'),
        remove: count('delete'),
        adopt: count('adopt'),
        conflict: actions.filter((entry) => entry.conflict).length,
      },
      problems: problems.map(({ host, message }) => ({ host, problem: redactHostText(message) })),
      ...(operation ? { operation: { ...operation, notes: operation.notes.map((note) => redactHostText(note)) } } : {}),
    },
    changes: new Map(changed.map((resource) => [resource.address, resource.change as Change])),
  };
}

function planAction(resource: Resource, dependsOn: string[], nonce: string): PlanAction {
  const change = resource.change as Change;
  const shown: Omit<PlanAction, 'fingerprint'> = {
    address: resource.address,
    host: resource.host,
    kind: resource.kind,
    title: redactHostText(resource.title),
    action: change.action,
    fields: (change.fields ?? []).map(displayField),
    dependsOn,
  };
  // What a plan shows may come from a host's files: its secrets are masked here, once, for
  // every view and the saved file (each view escapes what it prints).
  if (resource.name !== undefined) shown.name = resource.name;
  if (change.reason) shown.reason = redactHostText(change.reason);
  if (change.requiresRestart) shown.requiresRestart = true;
  if (change.conflict) shown.conflict = redactHostText(change.conflict);
  if (change.diff) shown.diff = fileDiff(change);
  return { ...shown, fingerprint: fingerprint(change, shown, nonce) };
}

function displayField(field: FieldChange): PlanField {
  const shown: PlanField = { name: field.name };
  if (field.before !== undefined) shown.before = field.sensitive ? '(sensitive)' : redactHostText(field.before);
  if (field.after !== undefined) {
    shown.after = field.sensitive
      ? '(sensitive)'
      : redactHostText(typeof field.after === 'string' ? field.after : displayText(field.after));
  }
  return shown;
}

/**
 * A unified diff with secrets masked on both sides by the file's kind. Equal secrets get
 * equal marks and different ones different marks, so a line whose secret changed is a
 * changed line (`-key=(sensitive)`, `+key=(sensitive)`); the marks become `(sensitive)`.
 */
function fileDiff(change: Change): string {
  const diff = change.diff!;
  const { mask, unmark } = markingMask();
  const before = redactFile(diff.path, diff.before, { kind: diff.kind, mask });
  const after = redactFile(diff.path, displayText(diff.after, mask), { kind: diff.kind, mask });
  if (before === after) return '(sensitive content changed)\n';
  const patch = createTwoFilesPatch(diff.path, diff.path, before, after, '', '', { context: 3 });
  return unmark(
    patch
      .split('\n')
      .slice(2)
      .join('\n')
      .replace(/^\\ No newline at end of file\n?/gm, ''),
  );
}

/**
 * Everything the action was decided from, masked as the plan shows it: what is shown, the
 * whole file before and after (not only the diff's lines) and the commands. The key is in
 * the plan, so anyone who reads it can compute this: no secret may go in, only its mask.
 */
function fingerprint(change: Change, shown: Omit<PlanAction, 'fingerprint'>, nonce: string): string {
  const diff = change.diff;
  const material = JSON.stringify({
    shown,
    before: diff && redactFile(diff.path, diff.before, { kind: diff.kind }),
    after: diff && redactFile(diff.path, displayText(diff.after), { kind: diff.kind }),
    commands: change.steps.map((step) => step.command),
  });
  return createHmac('sha256', nonce).update(material).digest('hex');
}
