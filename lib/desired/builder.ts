// Collects one host's resources in dependency order; the address is the handle others
// use to depend on a resource.
import type { Change, Resource, ResourceKind, ResourceRef } from '../resources/types.js';
import { resourceAddress } from '../resources/types.js';
import type { FromBackup, HostSpec } from '../config/inventory.js';
import type { Zone } from './zone.js';
import type { Diagnostic } from '../diagnostics.js';

/** A host whose first data is to come: where from, and what its restore waits for (pgBackRest's setup). */
export interface PendingFirstData {
  zone: Zone;
  host: HostSpec;
  from: FromBackup;
  after: ResourceRef[];
  /** A standby site's (standby_of): restored as a standby of the source, never promoted. */
  standby?: boolean;
  /** A Patroni zone's: Patroni bootstraps it (lib/desired/patroni-first-data.ts). */
  patroni?: boolean;
}

export class HostResources {
  readonly resources: Resource[] = [];
  /** The host's first data is to come from a backup (lib/desired/first-data.ts): planned by the caller. */
  firstData?: PendingFirstData;
  /** What planning this host found worth telling that does not stop it. */
  readonly warnings: Diagnostic[] = [];

  constructor(readonly host: string) {}

  address(kind: ResourceKind, name?: string): ResourceRef {
    return resourceAddress(this.host, kind, name);
  }

  add(
    kind: ResourceKind,
    name: string | undefined,
    title: string,
    change: Change | null,
    dependsOn: Array<ResourceRef | undefined> = [],
  ): ResourceRef {
    const address = this.address(kind, name);
    this.resources.push({
      address,
      host: this.host,
      kind,
      name,
      title,
      change,
      dependsOn: dependsOn.filter((dep): dep is ResourceRef => dep !== undefined),
    });
    return address;
  }
}
