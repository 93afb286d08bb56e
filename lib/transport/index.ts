// Connections to the inventory's hosts: one each, opened in parallel; a host that fails
// gives its HostError instead, so every unreachable host is reported at once.
import type { Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { connectHost } from './ssh.js';
import type { HostConnection } from './types.js';

export async function connectAll(
  inventory: Inventory,
  hostNames: string[],
): Promise<Map<string, HostConnection | HostError>> {
  const hosts = inventory.hosts.filter((host) => hostNames.includes(host.name));
  const results = await Promise.all(
    hosts.map(async (host): Promise<[string, HostConnection | HostError]> => {
      try {
        return [
          host.name,
          await connectHost({
            name: host.name,
            address: host.address,
            port: host.sshPort,
            user: inventory.ssh.user,
            identity: inventory.ssh.identity,
            ...(inventory.ssh.passphrase ? { passphrase: inventory.ssh.passphrase } : {}),
            knownHostsPath: inventory.ssh.knownHosts,
            connectTimeoutSec: inventory.ssh.connectTimeout,
          }),
        ];
      } catch (error) {
        return [
          host.name,
          error instanceof HostError ? error : new HostError(host.name, String((error as Error).message ?? error)),
        ];
      }
    }),
  );
  return new Map(results);
}
