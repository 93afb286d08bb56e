// What an SSH key file holds, told from its text alone (no ssh2, no crypto): a private key
// in OpenSSH's, PEM's or PKCS#8's form, whether a passphrase encrypts it, or the public half
// (an `ssh-ed25519 AAAA... comment` line). Only whether a passphrase opens it asks ssh2.
import { createRequire } from 'node:module';
import type * as Ssh2 from 'ssh2';

export type KeyFileKind = 'private' | 'encrypted' | 'public' | 'other';

/** The cipher an OpenSSH private key names (`none` when unencrypted), from its base64 body. */
function opensshCipher(text: string): string | undefined {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)?.[1];
  if (body === undefined) return undefined;
  const bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (bytes.subarray(0, magic.length).toString('latin1') !== magic || bytes.length < magic.length + 4) return undefined;
  const length = bytes.readUInt32BE(magic.length);
  return bytes.subarray(magic.length + 4, magic.length + 4 + length).toString('latin1');
}

export function keyFileKind(text: string): KeyFileKind {
  if (/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+)\s+[A-Za-z0-9+/=]+/.test(text.trimStart())) return 'public';
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    const cipher = opensshCipher(text);
    return cipher === undefined ? 'other' : cipher === 'none' ? 'private' : 'encrypted';
  }
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) return 'encrypted';
  if (/-----BEGIN (RSA |EC |DSA )?PRIVATE KEY-----/.test(text))
    return /^Proc-Type:\s*4,ENCRYPTED/m.test(text) ? 'encrypted' : 'private';
  return 'other';
}

const require = createRequire(import.meta.url);

/**
 * Whether `passphrase` opens the encrypted key, asked of ssh2's own parser (the one that will
 * use it to connect), loaded only here: validate otherwise loads no transport.
 */
export function passphraseOpens(key: string | Buffer, passphrase: string): boolean {
  const { utils } = require('ssh2') as typeof Ssh2;
  const parsed = utils.parseKey(key, passphrase);
  return !(parsed instanceof Error);
}
