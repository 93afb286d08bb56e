// bsync status: read-only, no lease; the usual one round trip per host.
import { printable } from '../printable.js';
import { statusMetrics } from '../status/metrics.js';
import { statusReport } from '../status/report.js';
import { renderStatusText } from '../status/render-text.js';
import { withMetrics } from './metrics-file.js';
import { writeJson, type GlobalOptions } from './output.js';
import { gatherFacts, openSession } from './session.js';

export async function statusCommand(options: GlobalOptions & { promFile?: string }): Promise<number> {
  return withMetrics(options.promFile, 'status', async () => {
    const session = await openSession(options.config, options.host);
    try {
      const facts = await gatherFacts(session);
      const report = statusReport(session.inventory, facts, session.selected.map((host) => host.name));
      if (options.json) writeJson(report);
      else process.stdout.write(printable(renderStatusText(report)));
      return { code: 0, success: true, metrics: statusMetrics(report) };
    } finally {
      session.close();
    }
  });
}
