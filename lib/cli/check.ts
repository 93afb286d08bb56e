// bsync check: status held to the config's [alert] thresholds. Read-only like status: no
// lease, no secret read, the usual one round trip per host; exit 0 held, 2 broken, 1 unknown.
import { checkReport } from '../status/check.js';
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';
import { readStatus } from '../operations/status.js';
import { CHECK_VIEWS } from '../views/check.js';

export async function checkCommand(options: GlobalOptions): Promise<number> {
  return runCommand(options, { name: 'check', view: CHECK_VIEWS, readOnly: true }, async (target, view, context) => {
    const check = checkReport(await readStatus(target.inventory, context), target.inventory.alert);
    view.check(check);
    // Could not tell is not a failed run: the check itself did its job.
    return { code: check.exitCode, success: true, metrics: [] };
  });
}
