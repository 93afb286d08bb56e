// bsync restore: plan a recovery and apply it, or save it (--out) for bsync apply FILE. Its Planning: where it runs, the space its data directory can have (a second,
// small round trip: the folder is known only from the first one's facts), the setup plan
// it relies on, and the plan. Used by bsync restore and by apply of a saved restore plan.
import { desiredResources } from '../desired/index.js';
import { pgDataOf } from '../desired/layout.js';
import { HostError } from '../errors.js';
import { measureSpace } from '../facts/space.js';
import { buildPlan } from '../plan/build.js';
import type { PlanOperation } from '../plan/types.js';
import type { Resource } from '../resources/types.js';
import type { Planning } from './planning.js';
import { usingFacts } from './session.js';
import { parseTarget, targetText } from '../recovery/target.js';
import {
  planRestore,
  restoreNeeds,
  restorePlace,
  restoreRequestOf,
  type RestoreRequest,
  type TargetAction,
} from '../recovery/restore.js';
import { BsyncError } from '../errors.js';
import { isFleet } from './fleet-configs.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { planCommand } from './plan.js';

export function restorePlanning(request: RestoreRequest): Planning {
  const options = [
    request.host !== undefined ? `--host ${request.host}` : request.zone !== undefined ? `--zone ${request.zone}` : '',
    `--target ${targetText(request.target)}`,
    request.allowOverwrite ? '--allow-overwrite' : '',
  ].filter(Boolean);
  return {
    selection:
      request.host !== undefined
        ? { hosts: [request.host] }
        : request.zone !== undefined
          ? { zones: [request.zone] }
          : undefined,
    extraNeeds: restoreNeeds,
    again: `bsync restore ${options.join(' ')} --out FILE`,
    plan: async (session, facts, nonce) => {
      const { inventory } = session;
      const { host, dataDirectory } = usingFacts(session, facts, (checked) => {
        const place = restorePlace(inventory, request, checked);
        return { host: place.host, dataDirectory: pgDataOf(place.host, checked.get(place.host.name)) };
      });
      const space = await measureSpace(session.connections.get(host.name)!, host.name, dataDirectory);
      return usingFacts(session, facts, (checked) => {
        let setup: Resource[] | undefined;
        try {
          setup = desiredResources(inventory, checked);
        } catch (error) {
          // A server that is down cannot be planned for; the restore is what brings it back.
          if (!(error instanceof HostError && error.host === host.name)) throw error;
        }
        const restore = planRestore({ inventory, facts: checked, request, setup, space, now: Date.now() });
        return buildPlan(inventory, [host.name], restore.resources, nonce, [], restore.operation);
      });
    },
  };
}

/** The Planning of a saved operation plan (apply FILE). */
export async function savedOperationPlanning(operation: PlanOperation): Promise<Planning> {
  if (operation.command === 'backup') return (await import('./backup.js')).savedBackupPlanning(operation);
  const planning = restorePlanning(restoreRequestOf(operation));
  return { ...planning, selection: { hosts: [String(operation.request.host)] } };
}

export interface RestoreOptions extends ApplyOptions {
  target: string;
  set?: string;
  repo?: number;
  delta: boolean;
  targetAction: TargetAction;
  allowOverwrite: boolean;
  out?: string;
}

export async function restoreCommand(options: RestoreOptions): Promise<number> {
  if (isFleet(options.configs)) {
    throw new BsyncError('a restore is of one cluster: give the one config it belongs to (-c FILE)');
  }
  if ((options.host?.length ?? 0) > 1 || (options.zone?.length ?? 0) > 1) {
    throw new BsyncError('a restore is of one server: give at most one --host and one --zone');
  }
  const planning = restorePlanning({
    zone: options.zone?.[0],
    host: options.host?.[0],
    target: parseTarget(options.target),
    set: options.set,
    repo: options.repo,
    delta: options.delta,
    targetAction: options.targetAction,
    allowOverwrite: options.allowOverwrite,
  });
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning);
  return applyWith(options, { name: 'restore', planning });
}
