// floor.mjs with the fact script instead of `true`: one ssh2 connection per host and the
// host's real fact script (gatherHostFacts with its needs), in parallel. A no-op plan
// measured against this shows what bsync costs beyond asking the hosts what it must ask.
// Usage: floor-facts.mjs CONFIG [ZONE...]
import { loadConfig } from '../../dist/lib/config/index.js';
import { hostNeeds } from '../../dist/lib/desired/needs.js';
import { gatherHostFacts } from '../../dist/lib/facts/gather.js';
import { connectAll } from '../../dist/lib/transport/index.js';

const [configPath, ...zoneArgs] = process.argv.slice(2);
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
    await gatherHostFacts(connection, inventory, host, hostNeeds(inventory, host));
    connection.close();
  }),
);
