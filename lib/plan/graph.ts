// Dependencies between changed resources: declared ones, followed through resources that
// need no change, plus every action whose output a template consumes. A reference with
// no resource behind it is a hole in the graph: building the plan fails and names it.
import { BsyncError } from '../errors.js';
import type { Change, Resource, ResourceRef, Template } from '../resources/types.js';

function templatesOf(change: Change): Template[] {
  const templates: Template[] = change.steps.flatMap((step) => (step.stdin ? [step.stdin] : []));
  if (change.diff) templates.push(change.diff.after);
  return templates;
}

function outputRefsOf(change: Change): ResourceRef[] {
  return templatesOf(change).flatMap((template) =>
    template.flatMap((part) => (typeof part === 'object' && 'ref' in part ? [part.ref] : [])),
  );
}

/** Fails when a dependency or an output reference names a resource that does not exist. */
function checkReferences(resources: Resource[]): void {
  const known = new Set<string>(resources.map((resource) => resource.address));
  const holes: string[] = [];
  for (const resource of resources) {
    const refs = [...resource.dependsOn, ...(resource.change ? outputRefsOf(resource.change) : [])];
    for (const ref of refs) if (!known.has(ref)) holes.push(`${resource.address} -> ${ref}`);
  }
  if (holes.length > 0) {
    throw new BsyncError(
      `the plan's dependency graph has references with nothing behind them:\n  ${holes.join('\n  ')}`,
      {
        hint: 'This is a bug in bsync, not in your config: nothing was changed. Please report it with this message.',
      },
    );
  }
}

/** For each changed resource, the changed resources it waits for. */
export function changedDependencies(resources: Resource[]): Map<ResourceRef, ResourceRef[]> {
  checkReferences(resources);
  const byAddress = new Map(resources.map((resource) => [resource.address, resource]));
  const result = new Map<ResourceRef, ResourceRef[]>();
  const reach = (address: ResourceRef, seen: Set<ResourceRef>, found: Set<ResourceRef>) => {
    for (const dep of byAddress.get(address)!.dependsOn) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      if (byAddress.get(dep)!.change) found.add(dep);
      else reach(dep, seen, found);
    }
  };
  for (const resource of resources) {
    if (!resource.change) continue;
    const found = new Set<ResourceRef>();
    reach(resource.address, new Set([resource.address]), found);
    // An action may read its own earlier step's output: that is an order of steps, not a dependency.
    for (const ref of outputRefsOf(resource.change))
      if (ref !== resource.address && byAddress.get(ref)!.change) found.add(ref);
    result.set(resource.address, [...found]);
  }
  return result;
}

/** Kahn's algorithm, keeping the resources' own order where the graph allows. */
export function topologicalOrder(
  addresses: ResourceRef[],
  dependencies: Map<ResourceRef, ResourceRef[]>,
): ResourceRef[] {
  const remaining = new Set(addresses);
  const order: ResourceRef[] = [];
  while (remaining.size > 0) {
    const next = [...remaining].find((address) =>
      (dependencies.get(address) ?? []).every((dep) => !remaining.has(dep)),
    );
    if (!next) throw new BsyncError(`the plan has a dependency cycle among: ${[...remaining].join(', ')}`);
    remaining.delete(next);
    order.push(next);
  }
  return order;
}
