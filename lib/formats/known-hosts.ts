// OpenSSH known_hosts, as ssh reads it: host lists with wildcards and negation, hashed
// names (|1|salt|hmac), [host]:port for other ports, @revoked keys. @cert-authority
// lines are skipped: bsync does not verify host certificates.
import { createHmac } from 'node:crypto';

interface KnownKey {
  type: string;
  /** Base64 of the key blob, as in the file. */
  key: string;
}

export interface KnownHostEntry {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  type: string;
  key: string;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith('@') ? (fields.shift() as KnownHostEntry['marker']) : '';
    if (fields.length < 3) continue;
    entries.push({ marker, patterns: fields[0], type: fields[1], key: fields[2] });
  }
  return entries;
}

/** How ssh names a host in known_hosts: plain on port 22, else `[host]:port`. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(text);
}

function hashedMatch(pattern: string, token: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
}

/** Whether a host-pattern field matches one of the tokens (ssh's rules: a negated match excludes). */
export function patternsMatch(patterns: string, tokens: string[]): boolean {
  if (patterns.startsWith('|')) return tokens.some((token) => hashedMatch(patterns, token));
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (tokens.some((token) => wildcardMatch(body, token))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export interface HostKeys {
  trusted: KnownKey[];
  revoked: KnownKey[];
}

/** The keys known_hosts holds for a host reached as `name` and `address` on `port`. */
export function keysForHost(entries: KnownHostEntry[], names: string[], port: number): HostKeys {
  const tokens = [...new Set(names)].map((name) => hostToken(name, port));
  const result: HostKeys = { trusted: [], revoked: [] };
  for (const entry of entries) {
    if (entry.marker === '@cert-authority') continue;
    if (entry.marker !== '@revoked' && !patternsMatch(entry.patterns, tokens)) continue;
    // @revoked applies whatever host it names.
    (entry.marker === '@revoked' ? result.revoked : result.trusted).push({ type: entry.type, key: entry.key });
  }
  return result;
}

/**
 * The known_hosts line that trusts `key` (a host key in SSH's wire form, as the server
 * offers it) for these names on `port`: `pg1,10.0.0.11 ssh-ed25519 AAAA...`.
 */
export function knownHostsLine(names: string[], port: number, key: Buffer): string {
  const type = key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1');
  const tokens = [...new Set(names)].map((name) => hostToken(name, port));
  return `${tokens.join(',')} ${type} ${key.toString('base64')}`;
}
