// bsync status: read-only, no lease, no secret read; the report is lib/operations/status.ts's.
import { readStatus } from '../operations/status.js';
import { statusMetrics } from '../status/metrics.js';
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';
import { STATUS_VIEWS } from '../views/status.js';

export async function statusCommand(options: GlobalOptions & { promFile?: string }): Promise<number> {
  return runCommand(
    options,
    { name: 'status', view: STATUS_VIEWS, promFile: options.promFile, readOnly: true },
    async (target, view, context) => {
      const report = await readStatus(target.inventory, context);
      view.status(report);
      return { code: 0, success: true, metrics: statusMetrics(report) };
    },
  );
}
