// bsync plan: facts -> diff -> plan, printed or saved; changes nothing.
import { renderPlanText } from '../plan/render-text.js';
import { writePlanFile } from '../plan/saved.js';
import { progress, styleFor, writeJson, type GlobalOptions } from './output.js';
import { planFromFacts } from './planning.js';
import { gatherFacts, openSession } from './session.js';

export async function planCommand(options: GlobalOptions & { out?: string; detailedExitcode: boolean }): Promise<number> {
  const session = await openSession(options.config, options.host);
  try {
    progress(`Gathering facts from ${session.involved.length} host${session.involved.length === 1 ? '' : 's'}...`);
    const { plan } = planFromFacts(session, await gatherFacts(session));
    if (options.json) writeJson(plan);
    else process.stdout.write(renderPlanText(plan, styleFor(options)));
    if (options.out) {
      writePlanFile(options.out, plan);
      progress(`Saved the plan to ${options.out}; apply it with: bsync apply ${options.out}`);
    }
    if (plan.problems.length > 0) {
      progress(`bsync: error: backups cannot run on ${[...new Set(plan.problems.map((entry) => entry.host))].join(', ')} (see Problems above)`);
      return 1;
    }
    return options.detailedExitcode && plan.actions.length > 0 ? 2 : 0;
  } finally {
    session.close();
  }
}
