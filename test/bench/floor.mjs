// The floor a no-op plan is measured against: load the config, one ssh2 connection per
// host and one `true` on each, in parallel, with bsync's own (built) transport and host-key check.
// With --facts, each host runs its real fact script instead (gatherHostFacts with its
// needs): a plan against that shows what bsync costs beyond what it must ask the hosts.
// Usage: floor.mjs [--facts] CONFIG [ZONE...] (zones: only their hosts, as bsync plan --zone).
import { loadConfig } from '../../dist/lib/config/index.js';
import { hostNeeds } from '../../dist/lib/desired/needs.js';
import { gatherHostFacts } from '../../dist/lib/facts/gather.js';
import { connectAll } from '../../dist/lib/transport/index.js';

const args = process.argv.slice(2);
const withFacts = args[0] === '--facts';
const [configPath, ...zoneArgs] = withFacts ? args.slice(1) : args;
const zones = new Set(zoneArgs.map(Number));
const inventory = loadConfig(configPath);
const hosts = inventory.hosts.filter((host) => zones.size === 0 || zones.has(host.zone));
const connections = await connectAll(
  inventory,
  hosts.map((host) => host.name),
);
await Promise.all(
  hosts.map(async (host) => {
    const connection = connections.get(host.name);
    if (connection instanceof Error) throw connection;
    if (withFacts) {
      await gatherHostFacts(connection, inventory, host, hostNeeds(inventory, host));
    } else {
      const result = await connection.exec('true');
      if (result.code !== 0) throw new Error(`true failed on ${connection.host}`);
    }
    connection.close();
  }),
);
