// bsync backup: an on-demand backup where the scheduled ones run, planned, shown and run
// at once (a backup replaces nothing), under the host's lease (lib/operations/backup.ts).
import { BsyncError } from '../errors.js';
import { commandLinePlanning } from '../operations/registry.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { isFleet } from './fleet-configs.js';
import { planCommand } from './plan.js';

export interface BackupOptions extends ApplyOptions {
  type: string;
  repo?: string;
  out?: string;
}

export async function backupCommand(options: BackupOptions): Promise<number> {
  if (isFleet(options.configs)) throw new BsyncError('a backup is of one cluster: give its one config (-c FILE)');
  if ((options.zone?.length ?? 0) > 1) throw new BsyncError('bsync backup takes one --zone at a time');
  if (options.host !== undefined)
    throw new BsyncError('bsync backup runs where the scheduled backups run: name the --zone, not a host');
  const planning = commandLinePlanning('backup', { zone: options.zone?.[0], type: options.type, repo: options.repo });
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning, 'backup');
  return applyWith({ ...options, yes: true }, { name: 'backup', planning });
}
