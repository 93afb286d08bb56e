// Inventory + facts → every host's resources with their changes: the role's logic.
import type { Inventory } from '../config/inventory.js';
import { Diagnostics, errorOf, firstError, type Diagnostic } from '../diagnostics.js';
import type { Resource } from '../resources/types.js';
import { backupHostResources } from './backup-host.js';
import { CIPHER_KIND, stanzaSecrets } from './cipher.js';
import { checkOptionVersions } from './option-versions.js';
import { postgresHostResources } from './postgres-host.js';
import { zoneHosts, zonesOf, type FactsByHost, type Zone } from './zone.js';

/** What planning the declared state gives: the resources it could plan, and what it found on the way. */
export interface DesiredState {
  resources: Resource[];
  /** In the order found; an error leaves out what it stopped (a host's resources, or a zone's). */
  diagnostics: Diagnostic[];
}

/**
 * Resources of every host of the zones whose facts were gathered (a --host subset still
 * gathers its whole zone), so every cross-host reference can be checked; the plan then
 * keeps the selected hosts' actions. A host or zone that cannot be planned is an error
 * diagnostic beside the rest, for the caller to judge.
 */
export function desiredState(inventory: Inventory, facts: FactsByHost): DesiredState {
  const resources: Resource[] = [];
  const diagnostics = new Diagnostics();
  for (const zone of zonesOf(inventory)) {
    if (!zoneHosts(zone).every((host) => facts.has(host.name))) continue;
    resources.push(...zoneResources(inventory, zone, facts, diagnostics));
  }
  return { resources, diagnostics: diagnostics.list };
}

/** The declared state's resources, or its first error thrown: for callers that take no partial plan. */
export function desiredResources(inventory: Inventory, facts: FactsByHost): Resource[] {
  const { resources, diagnostics } = desiredState(inventory, facts);
  const error = firstError(diagnostics);
  if (error) throw errorOf(error);
  return resources;
}

function zoneResources(inventory: Inventory, zone: Zone, facts: FactsByHost, diagnostics: Diagnostics): Resource[] {
  for (const host of zoneHosts(zone))
    diagnostics.attempt(() => checkOptionVersions(inventory, zone, host, facts.get(host.name)));
  const stanza = diagnostics.attempt(() => stanzaSecrets(inventory, zone, facts));
  if (!stanza) return [];
  const resources: Resource[] = stanza.generators.map((generator) => ({
    address: generator.address,
    host: generator.host,
    kind: CIPHER_KIND,
    name: generator.name,
    title: `passphrase of ${generator.name}`,
    dependsOn: [],
    change: generator.change,
  }));
  for (const host of zoneHosts(zone)) {
    const build = host.role === 'backup' ? backupHostResources : postgresHostResources;
    const built = diagnostics.attempt(() => build(inventory, zone, host, facts, stanza.secrets));
    if (built) resources.push(...built.resources);
  }
  return resources;
}
