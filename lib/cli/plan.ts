// bsync plan: facts -> diff -> plan, printed or saved; changes nothing.
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BsyncError } from '../errors.js';
import { planMetrics } from '../plan/metrics.js';
import { writePlanFile } from '../plan/saved.js';
import { isFleet } from './fleet-configs.js';
import { runCommand, type ClusterTarget } from './fleet.js';
import { showWarnings, type GlobalOptions } from './output.js';
import { DECLARED_STATE } from '../operations/declared.js';
import { planCluster, type Planning } from '../operations/planning.js';
import { PLAN_VIEWS } from '../views/plan.js';

interface PlanOptions extends GlobalOptions {
  out?: string;
  detailedExitcode: boolean;
  promFile?: string;
}

/** `bsync plan`, and `--out` of an operation's command (`name`, as the run's metrics label it). */
export async function planCommand(
  options: PlanOptions,
  planning: Planning = DECLARED_STATE,
  name: 'plan' | 'restore' | 'backup' | 'promote' = 'plan',
): Promise<number> {
  const fleet = isFleet(options.configs);
  const outFor = (target: ClusterTarget) =>
    options.out && fleet ? fleetPlanFile(options.out, target.config) : options.out;
  const before =
    fleet && options.out ? (targets: ClusterTarget[]) => checkPlanFolder(options.out!, targets) : undefined;
  return runCommand(
    options,
    {
      name,
      view: PLAN_VIEWS,
      promFile: options.promFile,
      changes: 'with changes',
      before,
    },
    async (target, view, context) => {
      showWarnings(view, target.inventory.warnings);
      const plan = await planCluster(target.inventory, view, context, planning);
      view.plan(plan);
      const file = outFor(target);
      if (file) {
        writePlanFile(file, plan);
        view.progress(
          `Saved the plan to ${file}; apply it with: bsync apply ${fleet ? `-c ${target.config} ` : ''}${file}`,
        );
      }
      const metrics = planMetrics(plan);
      const changes = plan.actions.length > 0;
      if (plan.problems.length > 0) {
        view.progress(
          `bsync: error: backups cannot run on ${[...new Set(plan.problems.map((entry) => entry.host))].join(', ')} (see Problems above)`,
        );
        return { code: 1, success: false, metrics, changes };
      }
      return { code: options.detailedExitcode && changes ? 2 : 0, success: true, metrics, changes };
    },
  );
}

/** With several configs, --out names a folder: each cluster's plan goes to <folder>/<config name>.plan.json. */
function fleetPlanFile(folder: string, config: string): string {
  return join(folder, `${basename(config).replace(/\.toml$/, '')}.plan.json`);
}

function checkPlanFolder(folder: string, targets: ClusterTarget[]): void {
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // reported below
  }
  if (!isFolder) {
    throw new BsyncError('with several configs, --out names a folder, one plan file per cluster in it', {
      where: folder,
      hint: 'Make the folder first (mkdir), or plan one config at a time to save one plan file.',
    });
  }
  const files = targets.map((target) => fleetPlanFile(folder, target.config));
  const twice = files.filter((file, index) => files.indexOf(file) !== index);
  if (twice.length > 0) {
    throw new BsyncError(`two configs would save their plans to the same file: ${[...new Set(twice)].join(', ')}`, {
      hint: 'Give the configs distinct file names, or plan them in separate runs.',
    });
  }
}
