// Secrets on real hosts: passphrases and passwords made of the characters that config
// formats treat specially reach pgBackRest and libpq exactly, and a passphrase bsync
// generates is kept on this machine before any host uses it, so the backups outlive the
// hosts. Changing the cipher of a repository that holds backups is refused.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { loginFrom, onHost, resetScenario } from '../support/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-secrets-'));
const ZONES = [
  { stanza: 'pgedge-lab-1', postgres: 'ssh-pg1', backup: 'ssh-backup1', address: '127.0.1.13' },
  { stanza: 'pgedge-lab-2', postgres: 'ssh-pg2', backup: 'ssh-backup2', address: '127.0.1.14' },
];

function variantConfig(name: string, edit: (text: string) => string): string {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, edit(readFileSync(CONFIG, 'utf8')));
  return path;
}

function secretFile(name: string, value: string): string {
  const path = join(work, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

const cipherLine = /^cipher_pass = .*$/m;

async function passphraseOn(host: string): Promise<string> {
  const conf = await onHost(host, 'cat /etc/pgbackrest/pgbackrest.conf');
  const line = conf.stdout.split('\n').find((entry) => entry.startsWith('repo1-cipher-pass='));
  return line!.slice('repo1-cipher-pass='.length);
}

async function repositoryReadable(stanza: string, backup: string): Promise<void> {
  const info = await onHost(backup, `cd / && runuser -u backrest -- pgbackrest --stanza=${stanza} --output=json info`);
  expect(info.code, info.stderr).toBe(0);
  const [entry] = JSON.parse(info.stdout);
  expect(entry.status.code, JSON.stringify(entry.status)).toBe(0);
  expect(entry.cipher).toBe('aes-256-cbc');
  expect(entry.backup.some((backupSet: { type: string }) => backupSet.type === 'full')).toBe(true);
}

describe('secrets made of #;= $\'"\\` and spaces', () => {
  const passphrase = `p#ss; w=rd $HOME '"\\\` x #end`;
  const password = `pw:#;= $'"\\\` \\:x ;y`;
  let config: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    await resetScenario('ssh');
    config = variantConfig('hostile', (text) =>
      text
        .replace(cipherLine, `cipher_pass = { file = "${secretFile('cipher', passphrase)}" }`)
        .replace(/^password = .*$/m, `password = { file = "${secretFile('password', password)}" }`),
    );
  }, 300_000);

  it('apply converges and the next plan has no changes: what bsync reads back is what it wrote', async () => {
    const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
    outputs.push(apply.stdout, apply.stderr);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    outputs.push(plan.stdout, plan.stderr);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');
  }, 300_000);

  it('pgBackRest reads the passphrase whole: the encrypted repository and its backup are readable', async () => {
    for (const { stanza, postgres, backup } of ZONES) {
      expect(await passphraseOn(backup)).toBe(passphrase);
      expect(await passphraseOn(postgres)).toBe(passphrase);
      await repositoryReadable(stanza, backup);
      const check = await onHost(backup, `cd / && runuser -u backrest -- pgbackrest --stanza=${stanza} check`);
      expect(check.code, check.stderr).toBe(0);
    }
  }, 300_000);

  it("libpq reads the password whole from .pgpass: the backup user logs in with it, from the backup host's own address", async () => {
    for (const { postgres, backup, address } of ZONES) {
      const login = await loginFrom(backup, address, postgres, { user: 'backrest' });
      expect(login.stderr).toBe('');
      expect(login.stdout.trim()).toBe(`backrest ${address}`);
    }
  });

  it('neither secret was printed', () => {
    for (const text of outputs) {
      expect(text).not.toContain(passphrase);
      expect(text).not.toContain(password);
      expect(text).not.toMatch(STACK_TRACE);
    }
  });
});

describe('cipher_pass = "auto" on a new stanza', () => {
  const store = join(work, 'store');
  const withoutStore = () => variantConfig('auto', (text) => text.replace(cipherLine, 'cipher_pass = "auto"'));
  const withStore = () =>
    variantConfig('auto-store', (text) =>
      text.replace(cipherLine, `cipher_pass = "auto"\ncipher_pass_store = "${store}"`),
    );

  beforeAll(async () => {
    await resetScenario('ssh');
  }, 300_000);

  it('without repo.cipher_pass_store is a conflict: nothing generated, no passphrase on any host', async () => {
    const plan = await bsync(['plan', '-c', withoutStore()]);
    expect(plan.stdout).toContain('repo.cipher_pass_store is not set');
    const apply = await bsync(['apply', '-c', withoutStore(), '--yes', '--allow-restart']);
    expect(apply.code).toBe(1);
    expect(apply.stdout + apply.stderr).toMatch(/cipher_pass\[pgedge-lab-1\].*repo\.cipher_pass_store is not set/s);
    for (const { postgres, backup } of ZONES) {
      for (const host of [postgres, backup]) {
        const conf = await onHost(host, 'grep -c cipher-pass /etc/pgbackrest/pgbackrest.conf 2>/dev/null || true');
        expect(conf.stdout.trim() === '' || conf.stdout.trim() === '0', `${host}: ${conf.stdout}`).toBe(true);
      }
    }
    expect(existsSync(store)).toBe(false);
  }, 300_000);

  it('with a store: the generated passphrase is kept there (0600) and is the one every host of the stanza uses', async () => {
    const apply = await bsync(['apply', '-c', withStore(), '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const kept = new Set<string>();
    for (const { stanza, postgres, backup } of ZONES) {
      const path = join(store, `${stanza}.cipher_pass`);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const value = readFileSync(path, 'utf8').trimEnd();
      expect(value.length).toBeGreaterThanOrEqual(32);
      expect(apply.stdout + apply.stderr).not.toContain(value);
      expect(await passphraseOn(backup)).toBe(value);
      expect(await passphraseOn(postgres)).toBe(value);
      await repositoryReadable(stanza, backup);
      kept.add(value);
    }
    expect(kept.size).toBe(2); // one passphrase per stanza, never derived from names
    const plan = await bsync(['plan', '-c', withStore(), '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);

  it('hosts rebuilt without their conf: the kept passphrase is used again, not a new one', async () => {
    const before = readFileSync(join(store, 'pgedge-lab-1.cipher_pass'), 'utf8');
    for (const host of ['ssh-pg1', 'ssh-backup1']) await onHost(host, 'rm /etc/pgbackrest/pgbackrest.conf');
    const apply = await bsync(['apply', '-c', withStore(), '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(readFileSync(join(store, 'pgedge-lab-1.cipher_pass'), 'utf8')).toBe(before);
    expect(await passphraseOn('ssh-backup1')).toBe(before.trimEnd());
    await repositoryReadable('pgedge-lab-1', 'ssh-backup1');
  }, 300_000);

  it('another passphrase or cipher_type = "none" for a repository that holds backups is refused, and nothing changes', async () => {
    const other = variantConfig('other-pass', (text) =>
      text.replace(
        cipherLine,
        `cipher_pass = { file = "${secretFile('other', 'a-different-passphrase-0123456789')}" }`,
      ),
    );
    const changed = await bsync(['apply', '-c', other, '--yes']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(
      'the configured cipher_pass differs from the passphrase of a repository that already holds the stanza',
    );
    expect(changed.stderr).not.toMatch(STACK_TRACE);
    const none = variantConfig('none', (text) =>
      text.replace(cipherLine, '').replace('cipher_type = "aes-256-cbc"', 'cipher_type = "none"'),
    );
    const unencrypted = await bsync(['plan', '-c', none]);
    expect(unencrypted.code).toBe(1);
    expect(unencrypted.stderr).toContain(
      'the repository holds backups with cipher aes-256-cbc; cipher_type = "none" would make them unreadable',
    );
    const plan = await bsync(['plan', '-c', withStore(), '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);
});
