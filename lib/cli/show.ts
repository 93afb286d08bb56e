// bsync show PLANFILE: a saved plan printed as plan printed it (text, or --json); no
// config, no network. The file is read as apply reads it (lib/plan/saved.ts), except that a
// signature that cannot be checked here (a plan from another machine, or edited) is said on
// stderr rather than refused: showing a plan changes nothing, and apply still refuses it.
import type { GlobalOptions } from './output.js';
import { readPlanFile } from '../plan/saved.js';
import { PLAN_VIEWS } from '../views/plan.js';
import { viewFor } from '../views/view-for.js';

export async function showCommand(options: GlobalOptions & { planFile: string }): Promise<number> {
  const view = viewFor(PLAN_VIEWS, options);
  const warnings: string[] = [];
  const plan = readPlanFile(options.planFile, process.env, (why) =>
    warnings.push(`warning: ${why.describe()}\n  Shown anyway; bsync apply refuses this file.`),
  );
  for (const warning of warnings) view.progress(warning);
  view.plan(plan);
  return 0;
}
