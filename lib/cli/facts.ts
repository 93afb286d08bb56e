// bsync facts: what was gathered from each selected host, as JSON, secrets redacted.
import type { Inventory } from '../config/inventory.js';
import { redactFacts } from '../facts/redact.js';
import type { HostFacts } from '../facts/types.js';
import { oneConfig } from './fleet-configs.js';
import { viewFor } from '../views/view-for.js';
import type { GlobalOptions } from './output.js';
import { gatherFacts, openSession } from '../operations/session.js';

/** What `bsync facts` shows of the selected hosts: their facts without secrets (patroni.yml by the config's path). */
export function shownFacts(
  inventory: Inventory,
  hosts: string[],
  facts: Map<string, HostFacts>,
): Record<string, HostFacts> {
  const kinds = inventory.patroni ? { [inventory.patroni.config]: 'patroni-yaml' as const } : {};
  return Object.fromEntries(hosts.map((host) => [host, redactFacts(facts.get(host)!, kinds)]));
}

export async function factsCommand(options: GlobalOptions): Promise<number> {
  const session = await openSession(oneConfig(options.configs, 'facts'), { hosts: options.host, zones: options.zone });
  try {
    const facts = await gatherFacts(session);
    viewFor(options).facts(
      shownFacts(
        session.inventory,
        session.selected.map((host) => host.name),
        facts,
      ),
    );
    return 0;
  } finally {
    session.close();
  }
}
