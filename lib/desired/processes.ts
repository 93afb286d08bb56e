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
/** A backup takes one core in this many of the hosts it reads. */
const BACKUP_SHARE = 4;

export interface ProcessChoice {
  /** The option bsync adds to the command line, or none (the config's value, or pgBackRest's default). */
  options: string[];
  /** The count, where bsync chose it. */
  count?: number;
  /** The plan's field: the value and where it came from. */
  field: FieldChange;
}

/** process-max as the config sets it for `command` (pgBackRest reads it from pgbackrest.conf), or undefined. */
function configured(inventory: Inventory, command: 'restore' | 'backup'): ProcessChoice | undefined {
  const set = optionSetting(inventory.pgbackrest, 'process-max', command);
  return set
    ? { options: [], field: { name: 'processes', after: `${set.value} (process-max in [${tablePath(set.table)}])` } }
    : undefined;
}

const untold = (who: string): ProcessChoice => ({
  options: [],
  field: { name: 'processes', after: `pgBackRest's default (${who} did not tell its cores)` },
});

/** process-max for `command` (restore, verify's and a clone's restore) on the host of `facts`. */
export function processesFor(inventory: Inventory, command: 'restore', facts: HostFacts | undefined): ProcessChoice {
  const set = configured(inventory, command);
  if (set) return set;
  const cpus = facts?.os.cpus;
  if (cpus === undefined) return untold('the host');
  const count = Math.min(cpus, PGBACKREST_MAX);
  return {
    options: [`--process-max=${count}`],
    count,
    field: { name: 'processes', after: `${count} (the host's ${cpus} cores)` },
  };
}

/**
 * A backup reads a server that keeps serving: a quarter of the cores of the hosts it may
 * read (the zone's PostgreSQL hosts; the fewest count), and pgBackRest's default of one below
 * 8 cores. Measured on two cores, a second process made a full backup 10% faster
 * (docs/performance.md, "A backup's share"); a CPU-bound workload would lose up to a core
 * per process, so three quarters stay the workload's.
 */
export function backupProcesses(inventory: Inventory, readFrom: Array<HostFacts | undefined>): ProcessChoice {
  const set = configured(inventory, 'backup');
  if (set) return set;
  const cores = readFrom.map((facts) => facts?.os.cpus);
  if (cores.length === 0 || cores.some((count) => count === undefined)) return untold('a PostgreSQL host');
  const fewest = Math.min(...(cores as number[]));
  const count = Math.min(Math.floor(fewest / BACKUP_SHARE), PGBACKREST_MAX);
  const why = `a quarter of the ${fewest} cores of the hosts it reads`;
  if (count <= 1) return { options: [], field: { name: 'processes', after: `pgBackRest's default, 1 (${why})` } };
  return { options: [`--process-max=${count}`], count, field: { name: 'processes', after: `${count} (${why})` } };
}
