// bsync plan: facts -> diff -> plan, printed or saved; changes nothing.
import { planMetrics } from '../plan/metrics.js';
import { renderPlanText } from '../plan/render-text.js';
import { writePlanFile } from '../plan/saved.js';
import { withMetrics } from './metrics-file.js';
import { progress, styleFor, writeJson, type GlobalOptions } from './output.js';
import { planFromFacts } from './planning.js';
import { gatherFacts, openSession } from './session.js';

export async function planCommand(options: GlobalOptions & { out?: string; detailedExitcode: boolean; promFile?: string }): Promise<number> {
  return withMetrics(options.promFile, 'plan', async () => {
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
      const metrics = planMetrics(plan);
      if (plan.problems.length > 0) {
        progress(`bsync: error: backups cannot run on ${[...new Set(plan.problems.map((entry) => entry.host))].join(', ')} (see Problems above)`);
        return { code: 1, success: false, metrics };
      }
      return { code: options.detailedExitcode && plan.actions.length > 0 ? 2 : 0, success: true, metrics };
    } finally {
      session.close();
    }
  });
}
