// Facts read for their own sake: what `bsync facts` shows of the selected hosts, and what
// `bsync init` asks hosts it has no config for yet.
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { FactNeeds } from '../facts/needs.js';
import { redactFacts } from '../facts/redact.js';
import type { HostFacts } from '../facts/types.js';
import type { HostSelection } from './selection.js';
import { gatherFacts, openSession } from './session.js';

/** What `bsync facts` shows of the selected hosts: their facts without secrets (patroni.yml by the config's path). */
export function shownFacts(
  inventory: Inventory,
  hosts: string[],
  facts: Map<string, HostFacts>,
): Record<string, HostFacts> {
  const kinds = inventory.patroni ? { [inventory.patroni.config]: 'patroni-yaml' as const } : {};
  return Object.fromEntries(hosts.map((host) => [host, redactFacts(facts.get(host)!, kinds)]));
}

/** The selected hosts' facts as `bsync facts` shows them (their zones' hosts are asked too, as plan asks them). */
export async function readShownFacts(
  source: string | Inventory,
  selection: HostSelection,
): Promise<Record<string, HostFacts>> {
  const session = await openSession(source, selection);
  try {
    const facts = await gatherFacts(session);
    return shownFacts(
      session.inventory,
      session.selected.map((host) => host.name),
      facts,
    );
  } finally {
    session.close();
  }
}

/** Every host's answer to what `needs` asks of it (init: what discovery reads), in one round trip each. */
export async function askHosts(
  inventory: Inventory,
  needs: (host: HostSpec) => FactNeeds,
): Promise<Map<string, HostFacts>> {
  const session = await openSession(inventory, {}, { needs: (_, host) => needs(host) });
  try {
    return await gatherFacts(session);
  } finally {
    session.close();
  }
}
