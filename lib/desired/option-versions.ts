// Whether each host's pgBackRest has the [pgbackrest.*] options of bsync.toml, and takes their
// values. The config loader checks names and values against every release's table (a value
// any of them takes is sound there); the version a host runs is a fact, so this check, against
// the table of the host's own release (lib/pgbackrest-options, `tableFor`), happens when planning.
import { valueProblem } from '../config/pgbackrest-options.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { availability, RELEASES } from '../pgbackrest-options/index.js';

/** Throws for the first option the host's pgBackRest does not have or take, naming host and versions. */
export function checkOptionVersions(inventory: Inventory, host: HostSpec, facts: HostFacts | undefined): void {
  const version = facts?.pgbackrestVersion;
  // No version: pgBackRest does not run there, which the plan reports as a problem of its own.
  if (!version) return;
  for (const table of ['global', 'stanza'] as const) {
    for (const option of inventory.pgbackrest[table]) {
      const found = availability(option.name, version);
      const problem = found.ok ? valueProblem(option.values, found.info) : null;
      if (found.ok && problem === null) continue;
      const why = found.ok
        ? `by the option list of ${found.table}, ${option.key} ${problem}${takenBy(option.name, option.values)}`
        : found.why;
      throw new BsyncError(`pgbackrest.${table}.${option.key}: host ${host.name} runs pgBackRest ${version}: ${why}`, {
        where: inventory.configPath,
        hint: found.ok
          ? `Upgrade pgBackRest on ${host.name}, or give ${option.key} a value ${version} takes.`
          : `Upgrade pgBackRest on ${host.name}, or remove ${option.key} from [pgbackrest.${table}].`,
        hosts: [host.name],
      });
    }
  }
}

/** ` (pgBackRest 2.55 takes it)`: the releases whose own table takes the value. */
function takenBy(name: string, values: string[]): string {
  const taking = RELEASES.filter((release) => release.options[name] && !valueProblem(values, release.options[name]));
  return taking.length ? ` (pgBackRest ${taking.map((release) => release.version).join(', ')} takes it)` : '';
}
