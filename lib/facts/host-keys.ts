// The host's own SSH host keys, read over bsync's verified connection: peers' known_hosts
// entries come from here, never from scanning the network.
import { shq } from '../formats/shell.js';
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
 * `pgbackrest version` as nobody (65534 on Debian and Rocky alike), from `/`: no pgBackRest
 * command of bsync's runs as root (pgBackRest 2.59 and later refuse most of them there; docs/reliability.md),
 * and this one needs no user of its own, so it runs before the repository's user exists.
 */
const VERSION_AS_NOBODY =
  '(cd / && if command -v setpriv >/dev/null; then setpriv --reuid=65534 --regid=65534 --clear-groups pgbackrest version; else runuser -u nobody -- pgbackrest version; fi)';

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
      : // The shell's "not found", or setpriv's "failed to execute pgbackrest: No such file or directory".
        result.code === 127 && /not found|No such file or directory/.test(result.stderr)
        ? 'pgbackrest is not installed (command not found)'
        : `pgbackrest version exited ${result.code}: ${firstLine(result.stderr || result.stdout)}`;
    return { pgbackrestVersion: null, pgbackrestProblem: why };
  },
};
