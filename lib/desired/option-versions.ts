// Whether each host's pgBackRest has the [pgbackrest.*] options of bsync.toml. The config
// loader checks names and values against pgBackRest's table; the version a host runs is a
// fact, so this check happens when planning.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { availability } from '../pgbackrest-options/index.js';

/** Throws for the first option the host's pgBackRest does not have, naming host and versions. */
export function checkOptionVersions(inventory: Inventory, host: HostSpec, facts: HostFacts | undefined): void {
  const version = facts?.pgbackrestVersion;
  // No version: pgBackRest does not run there, which the plan reports as a problem of its own.
  if (!version) return;
  for (const table of ['global', 'stanza'] as const) {
    for (const option of inventory.pgbackrest[table]) {
      const found = availability(option.name, version);
      if (found.ok) continue;
      throw new BsyncError(
        `pgbackrest.${table}.${option.key}: host ${host.name} runs pgBackRest ${version}: ${found.why}`,
        {
          where: inventory.configPath,
          hint: `Upgrade pgBackRest on ${host.name}, or remove ${option.key} from [pgbackrest.${table}].`,
          hosts: [host.name],
        },
      );
    }
  }
}
