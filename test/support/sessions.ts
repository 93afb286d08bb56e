// A session over recorded facts: what plan and apply plan with, minus the connections (or with
// connections that answer only the space probe, for the plans that measure a data directory's).
import type { Session } from '../../lib/operations/session.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { needsOf as mergeNeeds } from '../../lib/facts/needs.js';
import { selectionOf, type Planning } from '../../lib/operations/planning.js';
import type { HostConnection } from '../../lib/transport/types.js';

export function sessionOf(inventory: Inventory): Session {
  return {
    inventory,
    selected: inventory.hosts,
    involved: inventory.hosts,
    connections: new Map(),
    needsOf: (host) => hostNeeds(inventory, host),
    close() {},
  };
}

/** Every host answers the space probe: 50 GiB free, 30 MiB in the folder. */
export const SPACE_ANSWER = `F|0|${Buffer.from(`${50 * 1024 ** 3}\n${30 * 1024 ** 2}\n`).toString('base64')}|`;
const spaceOnly: HostConnection = {
  exec: async () => ({ code: 0, stdout: `${SPACE_ANSWER}\n`, stderr: '' }),
  close() {},
} as unknown as HostConnection;

/** A session over recorded facts, on the hosts the Planning selects, each answering the space probe. */
export function sessionFor(inventory: Inventory, planning: Planning): Session {
  const selection = selectionOf(planning, inventory, {});
  const chosen = inventory.hosts.filter(
    (host) =>
      (selection.hosts === undefined && selection.zones === undefined)
      || selection.hosts?.includes(host.name)
      || selection.zones?.includes(host.zone),
  );
  return {
    inventory,
    selected: chosen,
    involved: inventory.hosts,
    connections: new Map(inventory.hosts.map((host) => [host.name, spaceOnly])),
    // As openSession asks: the declared state's needs and what the Planning reads beyond them.
    needsOf: (host) => mergeNeeds([hostNeeds(inventory, host), ...(planning.extraNeeds?.(inventory, host) ?? [])]),
    close() {},
  };
}
