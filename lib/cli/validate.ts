// bsync validate: the config alone, no network (so this module loads no transport).
import { loadConfig } from '../config/index.js';
import { progress, writeJson, type GlobalOptions } from './output.js';

export function validateCommand(options: GlobalOptions): number {
  const inventory = loadConfig(options.config);
  for (const warning of inventory.warnings) progress(`warning: ${warning}`);
  if (options.json) writeJson({ valid: true, warnings: inventory.warnings, hosts: inventory.hosts.length }, 0);
  else process.stdout.write(`${options.config}: valid, ${inventory.hosts.length} host${inventory.hosts.length === 1 ? "" : "s"}.\n`);
  return 0;
}
