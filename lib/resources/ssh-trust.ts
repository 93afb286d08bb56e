// authorized_keys and known_hosts lines that let pgBackRest hosts reach each other.
// bsync's lines carry `bsync:` in their comment; lines added by hand are kept, and a key
// already present without the marker counts as present.
import { mergeLines } from './managed-lines.js';
import type { Part, Template } from './types.js';

export interface TrustedKey {
  /** `type base64` or the keypair action's output. */
  key: Part;
  /** Who the key belongs to: `postgres@pg1`. */
  owner: string;
}

const sameKey = (existing: string, key: Part) =>
  typeof key === 'string' && existing.split(/\s+/).some((_, index, fields) => `${fields[index]} ${fields[index + 1]}` === key);

// pgBackRest needs commands only: no forwarding of any kind for these keys.
const KEY_OPTIONS = 'no-agent-forwarding,no-X11-forwarding,no-port-forwarding';

export function desiredAuthorizedKeys(current: string | undefined, keys: TrustedKey[]): Template {
  return mergeLines(current, {
    isOurs: (line) => / bsync:\S+$/.test(line),
    wanted: keys.map(({ key, owner }) => ({
      line: [`${KEY_OPTIONS} `, key, ` bsync:${owner}`],
      satisfiedBy: (existing) => sameKey(existing, key),
    })),
  });
}

export interface KnownHost {
  /** Names the peer is reached by: its name and address. */
  names: string[];
  /** `type base64` host keys. */
  keys: string[];
}

export function desiredKnownHosts(current: string | undefined, hosts: KnownHost[]): Template {
  return mergeLines(current, {
    isOurs: (line) => / bsync$/.test(line),
    wanted: hosts.flatMap(({ names, keys }) =>
      keys.map((key) => ({ line: [`${names.join(',')} ${key} bsync`] })),
    ),
  });
}
