// authorized_keys and known_hosts lines that let pgBackRest hosts reach each other.
// bsync's lines carry `bsync:` in their comment; lines added by hand are kept, and a key
// already present without the marker counts as present.
import { hostToken, parseKnownHosts, patternsMatch } from '../formats/known-hosts.js';
import { mergeLines } from './managed-lines.js';
import { MARK, OURS, tagged } from './marker.js';
import type { Part, Template } from './types.js';

interface TrustedKey {
  /** `type base64` or the keypair action's output. */
  key: Part;
  /** Who the key belongs to: `postgres@pg1`. */
  owner: string;
}

const sameKey = (existing: string, key: Part) =>
  typeof key === 'string'
  && existing.split(/\s+/).some((_, index, fields) => `${fields[index]} ${fields[index + 1]}` === key);

// pgBackRest needs commands only: no forwarding of any kind for these keys.
const KEY_OPTIONS = 'no-agent-forwarding,no-X11-forwarding,no-port-forwarding';

export function desiredAuthorizedKeys(current: string | undefined, keys: TrustedKey[]): Template {
  return mergeLines(current, {
    isOurs: (line) => OURS.authorizedKey.test(line),
    wanted: keys.map(({ key, owner }) => ({
      line: [`${KEY_OPTIONS} `, key, ` ${tagged(owner)}`],
      satisfiedBy: (existing) => sameKey(existing, key),
    })),
  });
}

export interface KnownHost {
  /** Names the peer is reached by: its name and address. */
  names: string[];
  /** `type base64` host keys. */
  keys: string[];
  /** The peer's SSH port (22 unless said): ssh names other ports `[host]:port`. */
  port?: number;
}

/**
 * Whether a known_hosts line already trusts this key for the peer, as ssh reads it (plain
 * names, lists, wildcards, hashed `|1|salt|hmac` names, `[host]:port`): then the line is
 * kept as it is and bsync adds none of its own. It must name the peer by the name pgBackRest
 * connects to (its bsync.toml name, the first of `names`): ssh looks a host up by the name
 * it is given, and checks the address only with CheckHostIP (off by default since OpenSSH
 * 8.5), so a line naming only the address would not let pgBackRest in. @revoked and
 * @cert-authority lines never satisfy.
 */
function trustsKey(existing: string, name: string, port: number, key: string): boolean {
  const [entry] = parseKnownHosts(existing);
  return (
    entry !== undefined
    && entry.marker === ''
    && `${entry.type} ${entry.key}` === key
    && patternsMatch(entry.patterns, [hostToken(name, port)])
  );
}

export function desiredKnownHosts(current: string | undefined, hosts: KnownHost[]): Template {
  return mergeLines(current, {
    isOurs: (line) => OURS.knownHost.test(line),
    wanted: hosts.flatMap(({ names, keys, port = 22 }) =>
      keys.map((key) => ({
        line: [`${names.map((name) => hostToken(name, port)).join(',')} ${key} ${MARK}`],
        satisfiedBy: (existing: string) => trustsKey(existing, names[0], port, key),
      })),
    ),
  });
}
