// Dependencies between changed resources: declared ones, followed through resources that
// need no change, plus every action whose output a template consumes.
import { BsyncError } from '../errors.js';
import type { Change, Resource, Template } from '../resources/types.js';

function templatesOf(change: Change): Template[] {
  const templates: Template[] = change.steps.flatMap((step) => (step.stdin ? [step.stdin] : []));
  if (change.diff) templates.push(change.diff.after);
  return templates;
}

export function outputRefsOf(change: Change): string[] {
  return templatesOf(change).flatMap((template) =>
    template.flatMap((part) => (typeof part === 'object' && 'ref' in part && part.ref ? [part.ref] : [])),
  );
}

/** For each changed resource, the changed resources it waits for. */
export function changedDependencies(resources: Resource[]): Map<string, string[]> {
  const byAddress = new Map(resources.map((resource) => [resource.address, resource]));
  const result = new Map<string, string[]>();
  const reach = (address: string, seen: Set<string>, found: Set<string>) => {
    for (const dep of byAddress.get(address)?.dependsOn ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const target = byAddress.get(dep);
      if (!target) continue;
      if (target.change) found.add(dep);
      else reach(dep, seen, found);
    }
  };
  for (const resource of resources) {
    if (!resource.change) continue;
    const found = new Set<string>();
    reach(resource.address, new Set([resource.address]), found);
    for (const ref of outputRefsOf(resource.change)) if (byAddress.get(ref)?.change) found.add(ref);
    result.set(resource.address, [...found]);
  }
  return result;
}

/** Kahn's algorithm, keeping the resources' own order where the graph allows. */
export function topologicalOrder(addresses: string[], dependencies: Map<string, string[]>): string[] {
  const remaining = new Set(addresses);
  const order: string[] = [];
  while (remaining.size > 0) {
    const next = [...remaining].find((address) => (dependencies.get(address) ?? []).every((dep) => !remaining.has(dep)));
    if (!next) throw new BsyncError(`the plan has a dependency cycle among: ${[...remaining].join(', ')}`);
    remaining.delete(next);
    order.push(next);
  }
  return order;
}
