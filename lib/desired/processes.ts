// How many processes pgBackRest runs where bsync runs it with the host to itself: a restore
// (the server is down, and nothing else on the host needs the CPUs), a clone and a verify
// (a copy of bsync's own). The host's cores, unless the config sets process-max for the
// command, which pgBackRest then reads from pgbackrest.conf as always. docs/performance.md.
import type { Inventory } from '../config/inventory.js';
import { optionSetting, tablePath } from '../config/pgbackrest-options.js';
import type { HostFacts } from '../facts/types.js';
import type { FieldChange } from '../resources/types.js';

/** pgBackRest's own ceiling for process-max. */
const PGBACKREST_MAX = 999;

export interface ProcessChoice {
  /** The option bsync adds to the command line, or none (the config's value, or pgBackRest's default). */
  options: string[];
  /** The count, where bsync chose it. */
  count?: number;
  /** The plan's field: the value and where it came from. */
  field: FieldChange;
}

/** process-max for `command` (restore, verify's and a clone's restore) on the host of `facts`. */
export function processesFor(inventory: Inventory, command: 'restore', facts: HostFacts | undefined): ProcessChoice {
  const set = optionSetting(inventory.pgbackrest, 'process-max', command);
  if (set)
    return {
      options: [],
      field: { name: 'processes', after: `${set.value} (process-max in [${tablePath(set.table)}])` },
    };
  const cpus = facts?.os.cpus;
  if (cpus === undefined)
    return {
      options: [],
      field: { name: 'processes', after: "pgBackRest's default (the host did not tell its cores)" },
    };
  const count = Math.min(cpus, PGBACKREST_MAX);
  return {
    options: [`--process-max=${count}`],
    count,
    field: { name: 'processes', after: `${count} (the host's ${cpus} cores)` },
  };
}
