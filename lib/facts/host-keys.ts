// The host's own SSH host keys, read over bsync's verified connection: peers' known_hosts
// entries come from here, never from scanning the network.
import type { Probe } from './probe.js';

export const hostKeysProbe: Probe = {
  name: 'hostKeys',
  applies: () => true,
  command: () => `cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true`,
  parse(output) {
    const hostKeys = output
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length >= 2 && /^(ssh-|ecdsa-)/.test(fields[0]))
      .map(([type, key]) => `${type} ${key}`)
      .sort();
    return { hostKeys };
  },
};

export const pgbackrestVersionProbe: Probe = {
  name: 'pgbackrestVersion',
  applies: () => true,
  command: () => `pgbackrest version 2>/dev/null || true`,
  parse(output) {
    const match = /pgBackRest (\S+)/.exec(output);
    return { pgbackrestVersion: match ? match[1] : null };
  },
};
