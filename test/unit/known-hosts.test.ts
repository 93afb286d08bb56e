import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysForHost, knownHostsLine, parseKnownHosts, patternsMatch } from '../../lib/formats/known-hosts.js';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIDd3xAEPkXbS3wbhSydhGsta67HkPGE//4W7tfOgVVnF';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC7';

describe('known_hosts', () => {
  it('finds a host by name or address, plain or on another port', () => {
    const entries = parseKnownHosts(`# comment\npg1,10.0.0.11 ssh-ed25519 ${ED}\n[pg2]:2222 ssh-rsa ${RSA} note\n`);
    expect(keysForHost(entries, ['pg1', '10.9.9.9'], 22).trusted).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(entries, ['other', '10.0.0.11'], 22).trusted).toHaveLength(1);
    expect(keysForHost(entries, ['pg1'], 2222).trusted).toHaveLength(0);
    expect(keysForHost(entries, ['pg2'], 2222).trusted).toEqual([{ type: 'ssh-rsa', key: RSA }]);
    expect(keysForHost(entries, ['pg2'], 22).trusted).toHaveLength(0);
  });

  it('reads entries hashed by ssh-keygen -H', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-kh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `pg1,10.0.0.11 ssh-ed25519 ${ED}\n[pg2]:2222 ssh-rsa ${RSA}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8');
    // Every name is hashed now (a hash's base64 may spell "pg1" by chance, so look at the name field).
    const names = hashed
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(names).toHaveLength(3);
    for (const name of names) expect(name).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
    const entries = parseKnownHosts(hashed);
    expect(keysForHost(entries, ['pg1'], 22).trusted).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(entries, ['10.0.0.11'], 22).trusted).toHaveLength(1);
    expect(keysForHost(entries, ['pg2'], 2222).trusted).toHaveLength(1);
    expect(keysForHost(entries, ['pg3'], 22).trusted).toHaveLength(0);
  });

  it('follows wildcards and negations like ssh', () => {
    expect(patternsMatch('*.example.com', ['db.example.com'])).toBe(true);
    expect(patternsMatch('pg?', ['pg1'])).toBe(true);
    expect(patternsMatch('pg?', ['pg10'])).toBe(false);
    expect(patternsMatch('*.example.com,!bad.example.com', ['bad.example.com'])).toBe(false);
    expect(patternsMatch('*.example.com,!bad.example.com', ['good.example.com'])).toBe(true);
  });

  it('keeps revoked keys apart and skips certificate authorities', () => {
    const entries = parseKnownHosts(
      `@revoked * ssh-ed25519 ${ED}\n@cert-authority *.example.com ssh-rsa ${RSA}\npg1 ssh-rsa ${RSA}\n`,
    );
    const keys = keysForHost(entries, ['pg1'], 22);
    expect(keys.revoked).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keys.trusted).toEqual([{ type: 'ssh-rsa', key: RSA }]);
  });
});

describe('the line an unknown host key is told to add', () => {
  // The public half of fixtures/good/keys stands in for a host key: its second field is the key in SSH's wire form.
  const [type, base64] = readFileSync(
    new URL('../../fixtures/good/keys/id_ed25519.pub', import.meta.url),
    'utf8',
  ).split(' ');
  const key = Buffer.from(base64, 'base64');

  it('names the host and its address, as ssh writes them, and the key as offered', () => {
    expect(knownHostsLine(['pg1', '10.0.0.11'], 22, key)).toBe(`pg1,10.0.0.11 ${type} ${base64}`);
    expect(knownHostsLine(['pg1', 'pg1'], 2222, key)).toBe(`[pg1]:2222 ${type} ${base64}`);
  });

  it('is a line that keysForHost then trusts for both names', () => {
    const entries = parseKnownHosts(`${knownHostsLine(['pg1', '10.0.0.11'], 2222, key)}\n`);
    for (const name of ['pg1', '10.0.0.11'])
      expect(keysForHost(entries, [name], 2222).trusted.map((entry) => entry.key)).toEqual([base64]);
  });
});
