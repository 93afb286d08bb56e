// The floor a no-op plan is measured against: load the config, one ssh2 connection per
// host and one `true` on each, in parallel, with bsync's own (built) transport and host-key check.
import { loadConfig } from '../../dist/lib/config/index.js';
import { connectAll } from '../../dist/lib/transport/index.js';

const inventory = loadConfig(process.argv[2]);
const connections = await connectAll(inventory, inventory.hosts.map((host) => host.name));
await Promise.all([...connections.values()].map(async (connection) => {
  if (connection instanceof Error) throw connection;
  const result = await connection.exec('true');
  if (result.code !== 0) throw new Error(`true failed on ${connection.host}`);
  connection.close();
}));
