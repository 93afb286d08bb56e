// Resources with changes → the Plan value (for people, files and JSON) and the changes
// themselves (for lib/apply), both in dependency order.
import { createHmac, randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { Inventory } from '../config/inventory.js';
import type { Change, FieldChange, Resource } from '../resources/types.js';
import { displayText } from '../resources/types.js';
import { changedDependencies, topologicalOrder } from './graph.js';
import { PLAN_VERSION, type Plan, type PlanAction, type PlanField, type PlanOperation } from './types.js';
import { printable } from '../printable.js';

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
  problems: Plan['problems'] = [],
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
      problems: problems.map(({ host, problem }) => ({ host, problem: printable(problem) })),
      ...(operation ? { operation: { ...operation, notes: operation.notes.map(printable) } } : {}),
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
    title: printable(resource.title),
    action: change.action,
    fields: (change.fields ?? []).map(displayField),
    dependsOn,
  };
  // What a plan shows may come from a host's files: it is escaped here, once, for every view.
  if (resource.name !== undefined) shown.name = resource.name;
  if (change.reason) shown.reason = printable(change.reason);
  if (change.requiresRestart) shown.requiresRestart = true;
  if (change.conflict) shown.conflict = printable(change.conflict);
  if (change.diff) shown.diff = printable(fileDiff(change));
  return { ...shown, fingerprint: fingerprint(change, shown, nonce) };
}

function displayField(field: FieldChange): PlanField {
  const shown: PlanField = { name: field.name };
  if (field.before !== undefined) shown.before = field.sensitive ? '(sensitive)' : printable(field.before);
  if (field.after !== undefined) {
    shown.after = field.sensitive
      ? '(sensitive)'
      : printable(typeof field.after === 'string' ? field.after : displayText(field.after));
  }
  return shown;
}

/** A unified diff with secrets replaced on both sides; a change hidden by that is still said. */
function fileDiff(change: Change): string {
  const diff = change.diff!;
  const redact = diff.redact ?? ((text: string) => text);
  const before = redact(diff.before);
  const after = redact(displayText(diff.after));
  if (before === after) return '(sensitive content changed)\n';
  const patch = createTwoFilesPatch(diff.path, diff.path, before, after, '', '', { context: 3 });
  return patch
    .split('\n')
    .slice(2)
    .join('\n')
    .replace(/^\\ No newline at end of file\n?/gm, '');
}

/**
 * Everything the action was decided from, masked as the plan shows it: what is shown, the
 * whole file before and after (not only the diff's lines) and the commands. The key is in
 * the plan, so anyone who reads it can compute this: no secret may go in, only its mask.
 */
function fingerprint(change: Change, shown: Omit<PlanAction, 'fingerprint'>, nonce: string): string {
  const diff = change.diff;
  const redact = diff?.redact ?? ((text: string) => text);
  const material = JSON.stringify({
    shown,
    before: diff && redact(diff.before),
    after: diff && redact(displayText(diff.after)),
    commands: change.steps.map((step) => step.command),
  });
  return createHmac('sha256', nonce).update(material).digest('hex');
}
