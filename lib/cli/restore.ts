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
import { targetText } from '../recovery/target.js';
import { planRestore, restoreNeeds, restorePlace } from '../recovery/restore.js';
import {
  decodeCloneRequest,
  decodeRestoreRequest,
  decodeStandbyRequest,
  OPERATION_DECODERS,
  RequestError,
  type CloneRequest,
  type RestoreRequest,
} from '../recovery/requests.js';
import { BsyncError } from '../errors.js';
import { printable } from '../printable.js';
import { cloneHost, cloneZone, clonePath, planClone } from '../recovery/clone.js';
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
    selection: (inventory) => {
      const zone = cloneZone(inventory, request);
      // A host the config does not have, or one that cannot read the repository, is refused before any connects.
      cloneHost(inventory, zone, request.to.host);
      return {
        hosts: [request.to.host, ...inventory.hosts.filter((host) => host.zone === zone.zone).map((host) => host.name)],
      };
    },
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

/**
 * The Planning of a saved operation plan (apply FILE): its request decoded by its kind's
 * decoder, the command line's own. A value the command line could not give is refused,
 * naming the file and the request's field.
 */
export async function savedOperationPlanning(operation: PlanOperation, file: string): Promise<Planning> {
  try {
    return await operationPlanning(operation);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    throw new BsyncError(error.message, {
      where: `${file} (operation.request${error.field ? `.${printable(error.field)}` : ''})`,
      hint: `${error.hint ? `${error.hint}\n  ` : ''}A saved plan's request holds only what the command line can say, and this one does not. Make the plan again with bsync ${operation.kind === 'backup' ? 'backup' : 'restore'} --out FILE.`,
    });
  }
}

async function operationPlanning(operation: PlanOperation): Promise<Planning> {
  switch (operation.kind) {
    case 'backup':
      return (await import('./backup.js')).backupPlanning(OPERATION_DECODERS.backup(operation.request));
    case 'clone':
      return clonePlanning(OPERATION_DECODERS.clone(operation.request));
    case 'restore':
    case 'standby': {
      const request = OPERATION_DECODERS[operation.kind](operation.request);
      // The zone the request was made for, as `bsync restore --zone` selects it.
      return {
        ...restorePlanning(request),
        ...(request.zone !== undefined ? { selection: { zones: [request.zone] } } : {}),
      };
    }
  }
}

export interface RestoreOptions extends ApplyOptions {
  target: string;
  set?: string;
  repo?: string;
  delta: boolean;
  targetAction: string;
  allowOverwrite: boolean;
  standby: boolean;
  out?: string;
  to?: string;
  port?: string;
}

/** Which of a restore, a standby rebuild and a clone the command line asks for, as its decoder reads it. */
function planningOf(options: RestoreOptions): Planning {
  const asked = {
    zone: options.zone?.[0],
    target: options.target,
    set: options.set,
    repo: options.repo,
    allowOverwrite: options.allowOverwrite,
  };
  if (options.to !== undefined)
    return clonePlanning(decodeCloneRequest({ ...asked, to: options.to, port: options.port }));
  const restore = { ...asked, host: options.host?.[0], delta: options.delta, targetAction: options.targetAction };
  return restorePlanning((options.standby ? decodeStandbyRequest : decodeRestoreRequest)(restore));
}

export async function restoreCommand(options: RestoreOptions): Promise<number> {
  if (isFleet(options.configs)) {
    throw new BsyncError('a restore is of one cluster: give the one config it belongs to (-c FILE)');
  }
  if ((options.host?.length ?? 0) > 1 || (options.zone?.length ?? 0) > 1) {
    throw new BsyncError('a restore is of one server: give at most one --host and one --zone');
  }
  if (options.standby && options.to !== undefined)
    throw new BsyncError('--standby rebuilds a server of the zone in place; --to makes a clone: give one of them');
  if (options.to === undefined && options.port !== undefined)
    throw new BsyncError("--port goes with --to: a restore in place keeps the server's port");
  if (options.to !== undefined && options.host !== undefined)
    throw new BsyncError('--to names where the clone goes; --host names a server restored in place: give one of them');
  const planning = planningOf(options);
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning, 'restore');
  return applyWith(options, { name: 'restore', planning });
}
