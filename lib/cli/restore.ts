// bsync restore: plan a recovery (a restore in place, a standby rebuild, a clone) and apply
// it, or save it (--out) for bsync apply FILE. The command line's options become the
// operation's request through its decoder; the operation (lib/operations/) plans it.
import { BsyncError } from '../errors.js';
import type { Planning } from '../operations/planning.js';
import { commandLinePlanning } from '../operations/registry.js';
import { isFleet } from './fleet-configs.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { planCommand } from './plan.js';

export interface RestoreOptions extends ApplyOptions {
  target: string;
  set?: string;
  repo?: string;
  delta: boolean;
  targetAction: string;
  allowOverwrite: boolean;
  repoTargetTime?: string;
  standby: boolean;
  /** follow or leave (the decoder's default: follow); only for a restore in place. */
  replicas?: string;
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
    repoTargetTime: options.repoTargetTime,
  };
  if (options.to !== undefined) return commandLinePlanning('clone', { ...asked, to: options.to, port: options.port });
  const restore = {
    ...asked,
    host: options.host?.[0],
    delta: options.delta,
    targetAction: options.targetAction,
    replicas: options.replicas,
  };
  return commandLinePlanning(options.standby ? 'standby' : 'restore', restore);
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
  if (options.to !== undefined && options.replicas !== undefined)
    throw new BsyncError("--replicas goes with a restore in place; a clone (--to) leaves the zone's servers alone");
  if (options.to === undefined && options.port !== undefined)
    throw new BsyncError("--port goes with --to: a restore in place keeps the server's port");
  if (options.to !== undefined && options.host !== undefined)
    throw new BsyncError('--to names where the clone goes; --host names a server restored in place: give one of them');
  const planning = planningOf(options);
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning, 'restore');
  return applyWith(options, { name: 'restore', planning });
}
