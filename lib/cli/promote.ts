// bsync promote: a standby site made its zone's primary (lib/operations/promote.ts), planned,
// shown and applied, or saved (--out) for bsync apply FILE.
import { BsyncError } from '../errors.js';
import { commandLinePlanning } from '../operations/registry.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { isFleet } from './fleet-configs.js';
import { planCommand } from './plan.js';

export interface PromoteOptions extends ApplyOptions {
  out?: string;
}

export async function promoteCommand(options: PromoteOptions): Promise<number> {
  if (isFleet(options.configs)) throw new BsyncError('a promotion is of one cluster: give its one config (-c FILE)');
  if (options.zone?.length !== 1 || options.host !== undefined)
    throw new BsyncError('bsync promote takes one --zone: the standby site to promote', {
      hint: 'bsync promote --zone N (docs/recovery.md, "A standby site").',
    });
  const planning = commandLinePlanning('promote', { zone: options.zone[0] });
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning, 'promote');
  return applyWith(options, { name: 'promote', planning });
}
