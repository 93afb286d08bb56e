// Inventory + facts → every host's resources with their changes: the role's logic.
import type { Inventory } from '../config/inventory.js';
import { Diagnostics, errorOf, firstError, type Diagnostic } from '../diagnostics.js';
import type { Resource } from '../resources/types.js';
import { backupHostResources } from './backup-host.js';
import { CIPHER_KIND, stanzaSecrets } from './cipher.js';
import type { PendingFirstData } from './first-data.js';
import { checkOptionVersions } from './option-versions.js';
import { postgresHostResources } from './postgres-host.js';
import { zoneHosts, zonesOf, type FactsByHost, type Zone } from './zone.js';

/** What planning the declared state gives: the resources it could plan, and what it found on the way. */
export interface DesiredState {
  resources: Resource[];
  /** In the order found; an error leaves out what it stopped (a host's resources, or a zone's). */
  diagnostics: Diagnostic[];
  /** Hosts whose first data is to come from a backup: their restore is the caller's to plan (lib/recovery/first-data.ts). */
  firstData: PendingFirstData[];
}

/**
 * Resources of every host of the zones whose facts were gathered (a --host subset still
 * gathers its whole zone), so every cross-host reference can be checked; the plan then
 * keeps the selected hosts' actions. A host or zone that cannot be planned is an error
 * diagnostic beside the rest, for the caller to judge.
 */
export function desiredState(inventory: Inventory, facts: FactsByHost): DesiredState {
  const resources: Resource[] = [];
  const firstData: PendingFirstData[] = [];
  const diagnostics = new Diagnostics();
  for (const zone of zonesOf(inventory)) {
    if (!zoneHosts(zone).every((host) => facts.has(host.name))) continue;
    for (const built of zoneResources(inventory, zone, facts, diagnostics)) {
      resources.push(...built.resources);
      if (built.firstData) firstData.push(built.firstData);
      for (const warning of built.warnings ?? []) diagnostics.add(warning);
    }
  }
  return { resources, diagnostics: diagnostics.list, firstData };
}

/** The declared state's resources, or its first error thrown: for callers that take no partial plan. */
export function desiredResources(inventory: Inventory, facts: FactsByHost): Resource[] {
  return declaredState(inventory, facts).resources;
}

/** The declared state, the first data it waits for and its warnings, or its first error thrown. */
export function declaredState(
  inventory: Inventory,
  facts: FactsByHost,
): Omit<DesiredState, 'diagnostics'> & { warnings: Diagnostic[] } {
  const { resources, diagnostics, firstData } = desiredState(inventory, facts);
  const error = firstError(diagnostics);
  if (error) throw errorOf(error);
  return { resources, firstData, warnings: diagnostics.filter((diagnostic) => diagnostic.severity === 'warning') };
}

/** Each host's resources, and the passphrase generators' as a host's of their own. */
function zoneResources(
  inventory: Inventory,
  zone: Zone,
  facts: FactsByHost,
  diagnostics: Diagnostics,
): Array<{ resources: Resource[]; firstData?: PendingFirstData; warnings?: Diagnostic[] }> {
  for (const host of zoneHosts(zone))
    diagnostics.attempt(() => checkOptionVersions(inventory, zone, host, facts.get(host.name)));
  const stanza = diagnostics.attempt(() => stanzaSecrets(inventory, zone, facts));
  if (!stanza) return [];
  const generated: Resource[] = stanza.generators.map((generator) => ({
    address: generator.address,
    host: generator.host,
    kind: CIPHER_KIND,
    name: generator.name,
    title: `passphrase of ${generator.name}`,
    dependsOn: [],
    change: generator.change,
  }));
  const hosts: Array<{ resources: Resource[]; firstData?: PendingFirstData; warnings?: Diagnostic[] }> = [
    { resources: generated },
  ];
  for (const host of zoneHosts(zone)) {
    const build = host.role === 'backup' ? backupHostResources : postgresHostResources;
    const built = diagnostics.attempt(() => build(inventory, zone, host, facts, stanza.secrets));
    if (built) hosts.push(built);
  }
  return hosts;
}
