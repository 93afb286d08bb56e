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
import {
  cloneZone,
  clonePath,
  DEFAULT_CLONE_PORT,
  parseCloneTarget,
  planClone,
  type CloneRequest,
} from '../recovery/clone.js';
import { isFleet } from './fleet-configs.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { planCommand } from './plan.js';

/** The hosts an operation's steps run on: a Patroni restore's members, a clone's source and target. */
function hostsOf(resources: Resource[]): string[] {
  return [...new Set(resources.map((resource) => resource.host))];
}

export function restorePlanning(request: RestoreRequest): Planning {
  const options = [
    request.host !== undefined ? `--host ${request.host}` : request.zone !== undefined ? `--zone ${request.zone}` : '',
    `--target ${targetText(request.target)}`,
    request.allowOverwrite ? '--allow-overwrite' : '',
    request.standby ? '--standby' : '',
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
      const { host, zone, dataDirectory } = usingFacts(session, facts, (checked) => {
        const place = restorePlace(inventory, request, checked);
        return { ...place, dataDirectory: pgDataOf(place.host, checked.get(place.host.name)) };
      });
      const space = await measureSpace(session.connections.get(host.name)!, host.name, dataDirectory);
      return usingFacts(session, facts, (checked) => {
        let setup: Resource[] | undefined;
        try {
          setup = desiredResources(inventory, checked);
        } catch (error) {
          // A server that is down cannot be planned for; the restore is what brings it back
          // (in a Patroni zone also the replicas an interrupted restore left stopped).
          const down = (name: string) =>
            name === host.name
            || (inventory.patroni !== undefined
              && zone.postgresHosts.some((member) => member.name === name)
              && !checked.get(name)?.postgres?.running);
          if (!(error instanceof HostError && down(error.host))) throw error;
        }
        const restore = planRestore({ inventory, facts: checked, request, setup, space, now: Date.now() });
        return buildPlan(inventory, hostsOf(restore.resources), restore.resources, nonce, [], restore.operation);
      });
    },
  };
}

export function clonePlanning(request: CloneRequest): Planning {
  return {
    // The clone's host and the source zone's hosts (another zone's, for an object store).
    selection: (inventory) => ({
      hosts: [
        request.to.host,
        ...inventory.hosts.filter((host) => host.zone === cloneZone(inventory, request).zone).map((host) => host.name),
      ],
    }),
    again: `bsync restore --zone ${request.zone ?? 'N'} --to ${request.to.host}${request.to.path ? `:${request.to.path}` : ''} --port ${request.port} --target ${targetText(request.target)} --out FILE`,
    plan: async (session, facts, nonce) => {
      const { inventory } = session;
      const zone = cloneZone(inventory, request);
      const path = clonePath(request, zone.stanza);
      const space = await measureSpace(session.connections.get(request.to.host)!, request.to.host, path);
      return usingFacts(session, facts, (checked) => {
        const clone = planClone({ inventory, facts: checked, request, space, now: Date.now() });
        return buildPlan(inventory, hostsOf(clone.resources), clone.resources, nonce, [], clone.operation);
      });
    },
  };
}

/** The Planning of a saved operation plan (apply FILE). */
export async function savedOperationPlanning(operation: PlanOperation): Promise<Planning> {
  if (operation.command === 'backup') return (await import('./backup.js')).savedBackupPlanning(operation);
  if (operation.request.to !== undefined) {
    const request = restoreRequestOf(operation);
    return clonePlanning({
      ...request,
      host: undefined,
      to: parseCloneTarget(String(operation.request.to)),
      port: Number(operation.request.port),
    });
  }
  const planning = restorePlanning(restoreRequestOf(operation));
  return { ...planning, selection: { zones: [Number(operation.request.zone)] } };
}

export interface RestoreOptions extends ApplyOptions {
  target: string;
  set?: string;
  repo?: number;
  delta: boolean;
  targetAction: TargetAction;
  allowOverwrite: boolean;
  standby: boolean;
  out?: string;
  to?: string;
  port?: number;
}

export async function restoreCommand(options: RestoreOptions): Promise<number> {
  if (isFleet(options.configs)) {
    throw new BsyncError('a restore is of one cluster: give the one config it belongs to (-c FILE)');
  }
  if ((options.host?.length ?? 0) > 1 || (options.zone?.length ?? 0) > 1) {
    throw new BsyncError('a restore is of one server: give at most one --host and one --zone');
  }
  const request: RestoreRequest = {
    zone: options.zone?.[0],
    host: options.host?.[0],
    target: parseTarget(options.target),
    set: options.set,
    repo: options.repo,
    delta: options.delta,
    targetAction: options.targetAction,
    allowOverwrite: options.allowOverwrite,
    standby: options.standby,
  };
  if (options.standby && options.to !== undefined)
    throw new BsyncError('--standby rebuilds a server of the zone in place; --to makes a clone: give one of them');
  if (options.to === undefined && options.port !== undefined)
    throw new BsyncError("--port goes with --to: a restore in place keeps the server's port");
  if (options.to !== undefined && request.host !== undefined)
    throw new BsyncError('--to names where the clone goes; --host names a server restored in place: give one of them');
  const planning =
    options.to === undefined
      ? restorePlanning(request)
      : clonePlanning({ ...request, to: parseCloneTarget(options.to), port: options.port ?? DEFAULT_CLONE_PORT });
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning);
  return applyWith(options, { name: 'restore', planning });
}
