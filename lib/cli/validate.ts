// bsync validate: the config alone, no network (so this module loads no transport).
import { runCommand } from './fleet.js';
import { showWarnings, type GlobalOptions } from './output.js';

export function validateCommand(options: GlobalOptions): Promise<number> {
  return runCommand(options, { name: 'validate' }, async ({ config, inventory }, view) => {
    showWarnings(view, inventory.warnings);
    view.validate({ config, hosts: inventory.hosts.length, warnings: inventory.warnings });
    return { code: 0, success: true, metrics: [] };
  });
}
