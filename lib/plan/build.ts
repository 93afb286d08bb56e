// Resources with changes → the Plan value (for people, files and JSON) and the changes
// themselves (for lib/apply), both in dependency order.
import { createHmac, randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { Inventory } from '../config/inventory.js';
import type { Change, FieldChange, Resource } from '../resources/types.js';
import { displayText, knownText } from '../resources/types.js';
import { changedDependencies, topologicalOrder } from './graph.js';
import type { Plan, PlanAction, PlanField, PlanOperation } from './types.js';
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
      version: 1,
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
  const action: PlanAction = {
    address: resource.address,
    host: resource.host,
    kind: resource.kind,
    title: printable(resource.title),
    action: change.action,
    fields: (change.fields ?? []).map(displayField),
    dependsOn,
    fingerprint: fingerprint(resource, nonce),
  };
  // What a plan shows may come from a host's files: it is escaped here, once, for every view.
  if (resource.name !== undefined) action.name = resource.name;
  if (change.reason) action.reason = printable(change.reason);
  if (change.requiresRestart) action.requiresRestart = true;
  if (change.conflict) action.conflict = printable(change.conflict);
  if (change.diff) action.diff = printable(fileDiff(change));
  return action;
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

/** Everything the action was decided from, secrets included, hashed with the plan's key. */
function fingerprint(resource: Resource, nonce: string): string {
  const change = resource.change as Change;
  const material = JSON.stringify({
    address: resource.address,
    action: change.action,
    fields: change.fields?.map((field) => [
      field.name,
      field.before,
      typeof field.after === 'string' ? field.after : field.after && displayText(field.after),
    ]),
    before: change.diff?.before,
    after: change.diff ? (knownText(change.diff.after) ?? displayText(change.diff.after)) : undefined,
    commands: change.steps.map((step) => step.command),
    conflict: change.conflict,
  });
  return createHmac('sha256', nonce).update(material).digest('hex');
}
