// Collects one host's resources in dependency order; the address is the handle others
// use to depend on a resource.
import type { Change, Resource } from '../resources/types.js';
import { resourceAddress } from '../resources/types.js';

export class HostResources {
  readonly resources: Resource[] = [];

  constructor(readonly host: string) {}

  address(kind: string, name?: string): string {
    return resourceAddress(this.host, kind, name);
  }

  add(kind: string, name: string | undefined, title: string, change: Change | null, dependsOn: Array<string | undefined> = []): string {
    const address = this.address(kind, name);
    this.resources.push({
      address, host: this.host, kind, name, title, change,
      dependsOn: dependsOn.filter((dep): dep is string => dep !== undefined),
    });
    return address;
  }
}
