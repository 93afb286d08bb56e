// The floor a no-op plan is measured against: load the config, one ssh2 connection per
// host and one `true` on each, in parallel, with bsync's own (built) transport and host-key check.
// Usage: floor.mjs CONFIG [ZONE...] (zones: only their hosts, as bsync plan --zone).
import { loadConfig } from '../../dist/lib/config/index.js';
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
  [...connections.values()].map(async (connection) => {
    if (connection instanceof Error) throw connection;
    const result = await connection.exec('true');
    if (result.code !== 0) throw new Error(`true failed on ${connection.host}`);
    connection.close();
  }),
);
