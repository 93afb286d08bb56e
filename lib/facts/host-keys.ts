// The host's own SSH host keys, read over bsync's verified connection: peers' known_hosts
// entries come from here, never from scanning the network.
import type { Probe } from './probe.js';
import { firstLine, framed, readFramed } from './framed.js';

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

/** pgBackRest's version, or why it does not run (the drift check reports that as a problem). */
export const pgbackrestVersionProbe: Probe = {
  name: 'pgbackrestVersion',
  applies: () => true,
  command: () => framed('pgbackrest version'),
  parse(output) {
    const result = readFramed(output);
    const match = result && result.code === 0 ? /^pgBackRest (\S+)$/m.exec(result.stdout) : null;
    if (match) return { pgbackrestVersion: match[1] };
    const why = !result ? 'no answer' : result.code === 127 && /not found/.test(result.stderr) ? 'pgbackrest is not installed (command not found)' : `pgbackrest version exited ${result.code}: ${firstLine(result.stderr || result.stdout)}`;
    return { pgbackrestVersion: null, pgbackrestProblem: why };
  },
};
