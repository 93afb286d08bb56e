// Inventory + facts → every host's resources with their changes: the role's logic.
import type { Inventory } from '../config/inventory.js';
import type { Resource } from '../resources/types.js';
import { backupHostResources } from './backup-host.js';
import { CIPHER_KIND, stanzaCipher } from './cipher.js';
import { postgresHostResources } from './postgres-host.js';
import { zoneHosts, zonesOf, type FactsByHost } from './zone.js';

/** Resources of the hosts in `only` (all when absent); facts must hold every host of their zones. */
export function desiredResources(inventory: Inventory, facts: FactsByHost, only?: Set<string>): Resource[] {
  const resources: Resource[] = [];
  for (const zone of zonesOf(inventory)) {
    const cipher = stanzaCipher(inventory, zone, facts);
    if (cipher.generator && (!only || only.has(cipher.generator.host))) {
      resources.push({
        address: cipher.generator.address, host: cipher.generator.host, kind: CIPHER_KIND, name: zone.stanza,
        title: `passphrase of ${zone.stanza}`, dependsOn: [], change: cipher.generator.change,
      });
    }
    for (const host of zoneHosts(zone)) {
      if (only && !only.has(host.name)) continue;
      const build = host.role === 'backup' ? backupHostResources : postgresHostResources;
      resources.push(...build(inventory, zone, host, facts, cipher.pass, cipher.generator?.address).resources);
    }
  }
  return resources;
}
