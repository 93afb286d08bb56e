// bsync validate: the config alone, no network (so this module loads no transport).
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';

export function validateCommand(options: GlobalOptions): Promise<number> {
  return runCommand(options, { name: 'validate' }, async ({ config, inventory }, out) => {
    for (const warning of inventory.warnings) out.progress(`warning: ${warning}`);
    if (options.json) out.json({ valid: true, warnings: inventory.warnings, hosts: inventory.hosts.length }, 0);
    else out.text(`${config}: valid, ${inventory.hosts.length} host${inventory.hosts.length === 1 ? '' : 's'}.\n`);
    return { code: 0, success: true, metrics: [] };
  });
}
