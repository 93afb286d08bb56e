// A fact is a probe (a shell snippet run as root on the host) plus a parser of what it
// printed. The gatherer sends every probe of a host in one script, one round trip.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { hostStanza } from '../config/inventory.js';
import type { FactNeeds } from './needs.js';
import type { HostFacts } from './types.js';
import type { KnownVersion } from './version-cache.js';

/** The OS user that owns PostgreSQL and runs pgBackRest on postgres hosts. */
export const PG_OS_USER = 'postgres';
/** The database pgBackRest connects to (pgN-database), and the backup role's .pgpass lines are for. */
export const PG_DATABASE = 'postgres';

export interface ProbeContext {
  inventory: Inventory;
  host: HostSpec;
  /** The stanza its pgBackRest names (a standby site's host: the one it replays). */
  stanza: string;
  /** What the resources planned for this host read (lib/desired/needs.ts): the probes ask for that. */
  needs: FactNeeds;
  /** What pgbackrest version said last time, if the controller remembers (facts/version-cache.ts). */
  knownPgbackrest?: KnownVersion;
}

export interface Probe {
  /** Section name in the gathered output. */
  name: string;
  applies(ctx: ProbeContext): boolean;
  /** A /bin/sh snippet run as root; what it prints on stdout is handed to parse. */
  command(ctx: ProbeContext): string;
  parse(output: string, ctx: ProbeContext): Partial<HostFacts>;
}

export function probeContext(inventory: Inventory, host: HostSpec, needs: FactNeeds): ProbeContext {
  return { inventory, host, stanza: hostStanza(inventory, host), needs };
}

/**
 * The OS user that runs pgBackRest on a host, decided here only: the repository user on a
 * backup host (an ssh repository), postgres on a PostgreSQL host (it archives WAL as the
 * server's user, and without a backup host it takes the backups too). Its SSH keys, its crontab and its
 * reads of the repository are this user's.
 */
export function pgbackrestUser(inventory: Inventory, host: HostSpec): string {
  return host.role === 'backup' ? inventory.repoUser : PG_OS_USER;
}
