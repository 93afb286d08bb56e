// A session over recorded facts: what plan and apply plan with, minus the connections.
import type { Session } from '../../lib/operations/session.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { hostNeeds } from '../../lib/desired/needs.js';

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
