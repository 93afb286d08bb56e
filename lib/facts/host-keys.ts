// The host's own SSH host keys, read over bsync's verified connection: peers' known_hosts
// entries come from here, never from scanning the network.
import { asUser, shq } from '../formats/shell.js';
import type { Probe } from './probe.js';
import { firstLine, framed, readFramed } from './framed.js';

export const hostKeysProbe: Probe = {
  name: 'hostKeys',
  applies: () => true,
  // The shell's own `read` instead of cat: one process fewer.
  command: () =>
    `for f in /etc/ssh/ssh_host_*_key.pub; do [ -f "$f" ] && while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done <"$f"; done; true`,
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

/**
 * `pgbackrest version` as nobody: no pgBackRest command of bsync's runs as root (pgBackRest
 * 2.59 and later refuse most of them there; docs/reliability.md), and this one needs no user
 * of its own, so it runs before the repository's user exists. runuser's PAM cost is paid only
 * when the binary changed (facts/version-cache.ts).
 */
const VERSION_AS_NOBODY = asUser('nobody', 'pgbackrest version');

/**
 * pgBackRest's version, or why it does not run (the drift check reports that as a problem).
 * The binary's identity comes first; when it is the one the controller remembers, the host
 * answers K and does not run pgbackrest (see facts/version-cache.ts for when that holds).
 */
export const pgbackrestVersionProbe: Probe = {
  name: 'pgbackrestVersion',
  applies: () => true,
  command: (ctx) =>
    [
      // The file the shell would run, found as the shell finds it, without a process.
      'p=; o=$IFS; IFS=:; for d in $PATH; do [ -f "$d/pgbackrest" ] && [ -x "$d/pgbackrest" ] && { p=$d/pgbackrest; break; }; done; IFS=$o',
      `i=; [ -z "$p" ] || i=$(stat -L --printf '%d:%i:%s:%Y:%Z ' "$p" /etc/ld.so.cache)`,
      `printf 'I|%s\\n' "$i"`,
      `if [ -n "$i" ] && [ "$i" = ${shq(ctx.knownPgbackrest?.identity ?? '')} ]; then echo K; else`,
      framed(VERSION_AS_NOBODY),
      'fi',
    ].join('\n'),
  parse(output, ctx) {
    const [identityLine = '', answer = ''] = output.split('\n');
    const identity = identityLine.startsWith('I|') ? identityLine.slice(2) : '';
    const known = ctx.knownPgbackrest;
    if (answer.trim() === 'K' && known && identity === known.identity)
      return { pgbackrestVersion: known.version, pgbackrestIdentity: identity };
    const result = readFramed(answer);
    const match = result && result.code === 0 ? /^pgBackRest (\S+)$/m.exec(result.stdout) : null;
    if (match) return { pgbackrestVersion: match[1], ...(identity ? { pgbackrestIdentity: identity } : {}) };
    const why = !result
      ? 'no answer'
      : result.code === 127 && /not found/.test(result.stderr)
        ? 'pgbackrest is not installed (command not found)'
        : `pgbackrest version exited ${result.code}: ${firstLine(result.stderr || result.stdout)}`;
    return { pgbackrestVersion: null, pgbackrestProblem: why };
  },
};
