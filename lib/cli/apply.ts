// bsync apply: a saved plan, or plan, show, confirm; then the changes, under each host's
// lease (lib/operations/apply.ts runs each cluster).
import { createInterface } from 'node:readline/promises';
import { BsyncError } from '../errors.js';
import { readPlanFile } from '../plan/saved.js';
import type { Plan } from '../plan/types.js';
import { applyCluster } from '../operations/apply.js';
import { DECLARED_STATE } from '../operations/declared.js';
import { Interrupt } from '../operations/interrupt.js';
import type { Planning } from '../operations/planning.js';
import type { GlobalOptions } from './output.js';
import { isFleet } from './fleet-configs.js';
import { runCommand } from './fleet.js';
import { APPLY_VIEWS } from '../views/apply.js';

// Where it was before lib/views held it; the unit tests import it from here.
export { applyReport } from '../views/apply.js';

/** Asked before changes are made without --yes; refused where nobody can answer. */
async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new BsyncError(
      'apply changes hosts: confirm with --yes, or apply a saved plan (bsync plan --out FILE; bsync apply FILE)',
    );
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question('Apply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    prompt.close();
  }
}

export interface ApplyOptions extends GlobalOptions {
  planFile?: string;
  yes: boolean;
  allowRestart: boolean;
  /** A restore's or clone's metrics file: its phase timings and the run's. */
  promFile?: string;
}

export async function applyCommand(options: ApplyOptions): Promise<number> {
  if (isFleet(options.configs)) {
    if (options.planFile) {
      throw new BsyncError(
        `a saved plan belongs to one cluster: apply ${options.planFile} with the one config it was made from`,
        {
          hint: `bsync apply -c CONFIG ${options.planFile}; to plan and apply several clusters, run bsync apply --yes with their configs.`,
        },
      );
    }
    if (!options.yes) {
      throw new BsyncError('apply with several configs changes every cluster without asking: confirm with --yes', {
        hint: 'Look at the plans first: bsync plan with the same -c options.',
      });
    }
  }
  const saved = options.planFile ? readPlanFile(options.planFile) : undefined;
  // A saved restore or backup is planned again by its own command's planner, on its own hosts,
  // from its request as the command line's decoder of its kind reads it.
  const planning = saved?.operation
    ? (await import('../operations/registry.js')).savedOperationPlanning(saved.operation, options.planFile!)
    : undefined;
  return applyWith(options, { name: 'apply', saved, planning });
}

/** Plan, show, confirm (or --yes, or a saved plan that still holds), apply under each host's lease. */
export async function applyWith(
  options: ApplyOptions,
  spec: { name: 'apply' | 'restore' | 'backup' | 'promote'; saved?: Plan; planning?: Planning },
): Promise<number> {
  // One for the run: the first Ctrl-C stops new actions in every cluster.
  const interrupt = new Interrupt();
  try {
    return await runCommand(
      options,
      { name: spec.name, view: APPLY_VIEWS, changes: 'changed', promFile: options.promFile },
      (target, view, context) =>
        applyCluster(target.inventory, view, context, {
          planning: spec.planning ?? DECLARED_STATE,
          saved: spec.saved,
          planFile: options.planFile,
          yes: options.yes,
          allowRestart: options.allowRestart,
          interrupt,
          confirm,
        }),
    );
  } finally {
    interrupt.dispose();
  }
}
