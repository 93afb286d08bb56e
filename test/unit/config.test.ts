import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../lib/config/index.js';
import { Secret } from '../../lib/config/inventory.js';
import { FIXTURES } from '../support/bsync.js';

const ENV = { BSYNC_CIPHER: 'cipher-value-1234567890', BSYNC_BACKUP_PASSWORD: 'password-value-123456' };

describe('loading a good config', () => {
  const inventory = loadConfig(`${FIXTURES}good/minimal.toml`, { env: ENV });

  it('applies the role\'s defaults', () => {
    expect(inventory.cluster).toEqual({ name: 'demo', pgVersion: 15 });
    expect(inventory.repo).toMatchObject({ type: 'ssh', path: '/home/backrest', user: 'backrest', cipherType: 'aes-256-cbc', retention: { full: 1, diff: 6 } });
    expect(inventory.schedule).toEqual({ full: '10 0 * * 0', diff: '10 0 * * 1-6' });
    expect(inventory.backupUser.name).toBe('backrest');
    expect(inventory.ssh).toMatchObject({ user: 'root', port: 22, connectTimeout: 10 });
    expect(inventory.hosts.map((host) => [host.name, host.zone, host.pgPort, host.pgData])).toEqual([['pg1', 1, 5432, undefined], ['backup1', 1, 5432, undefined]]);
  });

  it('resolves relative paths against the config folder', () => {
    expect(inventory.ssh.identity).toBe(`${FIXTURES}good/keys/id_ed25519`);
    expect(inventory.ssh.knownHosts).toBe(`${FIXTURES}good/keys/known_hosts`);
  });

  it('reads secrets and never prints them', () => {
    expect(inventory.repo.cipherPass).toBeInstanceOf(Secret);
    expect((inventory.repo.cipherPass as Secret).reveal()).toBe(ENV.BSYNC_CIPHER);
    const printed = `${JSON.stringify(inventory)} ${String(inventory.backupUser.password)}`;
    expect(printed).not.toContain(ENV.BSYNC_CIPHER);
    expect(printed).not.toContain(ENV.BSYNC_BACKUP_PASSWORD);
    expect(printed).toContain('(sensitive)');
    expect(inventory.warnings).toEqual([]);
  });

  it('warns about inline secrets and readable secret files, and takes "auto"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-config-'));
    writeFileSync(join(dir, 'pw'), 'from-a-file\n', { mode: 0o644 });
    const text = `[cluster]\nname = "x"\n[repo]\ncipher_pass = "auto"\n[backup_user]\npassword = { file = "pw" }\n[[host]]\nname = "a"\nrole = "postgres"\n[[host]]\nname = "b"\nrole = "backup"\n`;
    const auto = parseConfig(text, join(dir, 'bsync.toml'), {});
    expect(auto.repo.cipherPass).toBe('auto');
    expect((auto.backupUser.password as Secret).reveal()).toBe('from-a-file');
    expect(auto.warnings.join('\n')).toMatch(/pw can be read by other users/);
    const inline = parseConfig(text.replace('{ file = "pw" }', '"inline-pw"'), join(dir, 'bsync.toml'), {});
    expect(inline.warnings.join('\n')).toMatch(/backup_user.password is written in the config itself/);
  });
});

describe('every lab scenario config', () => {
  it.each(['ssh', 's3', 'ha'])('%s.toml passes the schema and cross-checks', (name) => {
    // Secrets live in the lab's state folder; only the structure is checked here.
    const config = loadConfigWithoutSecretFiles(`${FIXTURES}lab/${name}.toml`);
    expect(config.hosts.length).toBeGreaterThan(1);
  });
});

function loadConfigWithoutSecretFiles(path: string) {
  const text = readFileSync(path, 'utf8').replace(/\{ file = "[^"]+" \}/g, '{ env = "LAB_SECRET" }').replace(/^ca_file = .*$/m, '');
  return parseConfig(text, path, { LAB_SECRET: 'lab-secret-value' });
}
