// What every host-facing command does first: read the config, connect to the hosts it
// concerns (one connection each, in parallel), and gather their facts in one round trip each.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { loadConfig } from '../config/index.js';
import { checkSshFiles } from '../config/ssh-files.js';
import { BsyncError, HostError } from '../errors.js';
import { gatherHostFacts } from '../facts/gather.js';
import { hostNeeds } from '../desired/needs.js';
import { needsOf as mergeNeeds, type FactNeeds, type NeedsPart } from '../facts/needs.js';
import { noReads, readsOf, unaskedReads } from '../facts/reads.js';
import type { HostFacts } from '../facts/types.js';
import type { Semaphore } from '../semaphore.js';
import { connectAll } from '../transport/index.js';
import { selectHosts, type HostSelection } from './selection.js';
import type { HostConnection } from '../transport/types.js';

export interface Session {
  inventory: Inventory;
  /** Hosts the user asked about (--host), or all. */
  selected: HostSpec[];
  /** Selected hosts plus the rest of their zones: their facts feed the selected hosts' resources. */
  involved: HostSpec[];
  connections: Map<string, HostConnection>;
  /** What a host's probes are asked for: what planning reads, and what the command adds (restore's). */
  needsOf(host: HostSpec): FactNeeds;
  close(): void;
}

export { selectHosts, type HostSelection } from './selection.js';

interface SessionOptions {
  /** Connect to the named hosts alone (unlock), not to the rest of their zones. */
  onlySelected?: boolean;
  /**
   * The fleet's bound on open connections: the session takes a permit per host before it
   * connects and gives them back when it closes.
   */
  slots?: Semaphore;
  /** Facts a command reads beyond the plan's (restore: a stopped server's layout). */
  extraNeeds?: (inventory: Inventory, host: HostSpec) => NeedsPart[];
  /** What each host is asked instead of what planning reads (init: what discovery reads). */
  needs?: (inventory: Inventory, host: HostSpec) => FactNeeds;
}

/** `source`: a config file to load, or a config already loaded (a fleet run loads them all first). */
export async function openSession(
  source: string | Inventory,
  selection: HostSelection,
  options: SessionOptions = {},
): Promise<Session> {
  const inventory = typeof source === 'string' ? loadConfig(source) : source;
  const chosen = selectHosts(inventory, selection);
  // Once for the run, not once per host under "cannot reach".
  checkSshFiles(inventory);
  const selected = chosen.selected;
  const involved = options.onlySelected ? chosen.selected : chosen.involved;
  const releaseSlots = options.slots ? await options.slots.acquire(involved.length) : () => {};
  const results = await connectAll(
    inventory,
    involved.map((host) => host.name),
  );
  const connections = new Map<string, HostConnection>();
  const failures: HostError[] = [];
  for (const [name, result] of results) {
    if (result instanceof HostError) failures.push(result);
    else connections.set(name, result);
  }
  const close = () => {
    for (const connection of connections.values()) connection.close();
    releaseSlots();
  };
  if (failures.length > 0) {
    close();
    throw hostsFailed('cannot reach', failures);
  }
  const needsOf = (host: HostSpec) =>
    options.needs
      ? options.needs(inventory, host)
      : options.extraNeeds
        ? mergeNeeds([hostNeeds(inventory, host), ...options.extraNeeds(inventory, host)])
        : hostNeeds(inventory, host);
  return { inventory, selected, involved, connections, needsOf, close };
}

/** Every involved host's facts; the hosts whose facts cannot be had are all named in one error. */
export async function gatherFacts(session: Session): Promise<Map<string, HostFacts>> {
  const settled = await Promise.allSettled(
    session.involved.map(async (host) => {
      const connection = session.connections.get(host.name) as HostConnection;
      return [host.name, await gatherHostFacts(connection, session.inventory, host, session.needsOf(host))] as const;
    }),
  );
  const failures = settled.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    const error = result.reason;
    return [
      error instanceof HostError
        ? error
        : new HostError(session.involved[index].name, String((error as Error)?.message ?? error)),
    ];
  });
  if (failures.length > 0) throw hostsFailed('cannot gather facts from', failures);
  return new Map(settled.map((result) => (result as PromiseFulfilledResult<readonly [string, HostFacts]>).value));
}

/**
 * Runs `use` (planning, a status report) on the gathered facts and refuses its result when
 * it read a fact that a host's probe was not asked for (lib/desired/needs.ts): that fact
 * looks absent, and a plan built on it would recreate a file that exists. A bug in bsync,
 * said as one, rather than a plan that cannot be trusted.
 */
export function usingFacts<T>(
  session: Session,
  facts: Map<string, HostFacts>,
  use: (facts: Map<string, HostFacts>) => T,
): T {
  const { result, reads } = readsOf(facts, use);
  const lines = session.involved.flatMap((host) => {
    const unasked = unaskedReads(reads.get(host.name) ?? noReads(), session.needsOf(host));
    return unasked.length > 0 ? [`  ${host.name}: ${unasked.join(', ')}`] : [];
  });
  if (lines.length > 0) {
    throw new BsyncError(`bsync read facts its probes were not asked for:\n${lines.join('\n')}`, {
      hint: 'This is a bug in bsync (lib/desired/needs.ts does not ask for what a resource reads); nothing was planned or changed. Please report it with this message.',
    });
  }
  return result;
}

/** One error naming every host that failed, each with its own message. */
function hostsFailed(what: string, failures: HostError[]): BsyncError {
  const lines = failures.map((failure) => `  ${failure.describe().replace(/\n/g, '\n  ')}`);
  return new BsyncError(`${what} ${failures.length} host${failures.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    hosts: failures.map((failure) => failure.host),
  });
}
