// Inventory + facts → every host's resources with their changes: the role's logic.
import type { Inventory } from '../config/inventory.js';
import type { Resource } from '../resources/types.js';
import { backupHostResources } from './backup-host.js';
import { CIPHER_KIND, stanzaSecrets } from './cipher.js';
import { checkOptionVersions } from './option-versions.js';
import { postgresHostResources } from './postgres-host.js';
import { zoneHosts, zonesOf, type FactsByHost } from './zone.js';

/**
 * Resources of every host of the zones whose facts were gathered (a --host subset still
 * gathers its whole zone), so every cross-host reference can be checked; the plan then
 * keeps the selected hosts' actions.
 */
export function desiredResources(inventory: Inventory, facts: FactsByHost): Resource[] {
  const resources: Resource[] = [];
  for (const zone of zonesOf(inventory)) {
    if (!zoneHosts(zone).every((host) => facts.has(host.name))) continue;
    for (const host of zoneHosts(zone)) checkOptionVersions(inventory, zone, host, facts.get(host.name));
    const { secrets, generators } = stanzaSecrets(inventory, zone, facts);
    for (const generator of generators) {
      resources.push({
        address: generator.address,
        host: generator.host,
        kind: CIPHER_KIND,
        name: generator.name,
        title: `passphrase of ${generator.name}`,
        dependsOn: [],
        change: generator.change,
      });
    }
    for (const host of zoneHosts(zone)) {
      const build = host.role === 'backup' ? backupHostResources : postgresHostResources;
      resources.push(...build(inventory, zone, host, facts, secrets).resources);
    }
  }
  return resources;
}
