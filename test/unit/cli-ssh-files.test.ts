// The files [ssh] names, checked by validate (and before plan connects) as a bad config's
// problems: file, line, key path, what is wrong and what would be right (issue 32, item 4).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { keyFileKind, passphraseOpens } from '../../lib/formats/ssh-key.js';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';

const KEYS = `${FIXTURES}good/keys`;
const ENCRYPTED = `${FIXTURES}bad/keys/encrypted_ed25519`;
const ENV = { BSYNC_CIPHER: 'x'.repeat(20), BSYNC_BACKUP_PASSWORD: 'y'.repeat(20), SSH_AUTH_SOCK: '' };
const dir = mkdtempSync(join(tmpdir(), 'bsync-ssh-files-'));

/** minimal.toml with its [ssh] identity and known_hosts lines (6 and 7) set to these. */
function config(identity: string, knownHosts = `${KEYS}/known_hosts`): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.toml`);
  const text = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8')
    .replace('identity = "./keys/id_ed25519"', `identity = ${JSON.stringify(identity)}`)
    .replace('known_hosts = "./keys/known_hosts"', `known_hosts = ${JSON.stringify(knownHosts)}`);
  writeFileSync(file, text);
  return file;
}

describe('what a key file holds', () => {
  it('tells a private key, an encrypted one, its public half and anything else apart', () => {
    expect(keyFileKind(readFileSync(`${KEYS}/id_ed25519`, 'utf8'))).toBe('private');
    expect(keyFileKind(readFileSync(`${KEYS}/id_ed25519.pub`, 'utf8'))).toBe('public');
    expect(keyFileKind(readFileSync(ENCRYPTED, 'utf8'))).toBe('encrypted');
    expect(
      keyFileKind('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n'),
    ).toBe('encrypted');
    expect(keyFileKind('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n')).toBe('private');
    expect(keyFileKind('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n')).toBe('encrypted');
    expect(keyFileKind('[cluster]\nname = "x"\n')).toBe('other');
  });
});

describe('validate checks the files [ssh] names', () => {
  it('a good key and known_hosts pass', async () => {
    const file = config(`${KEYS}/id_ed25519`);
    expect(await bsync(['validate', '-c', file], ENV)).toMatchObject({ code: 0, stderr: '' });
  });

  it.each([
    ['a missing identity', () => config(join(dir, 'nope')), `:6: ssh.identity: cannot read ${dir}/nope: no such file`],
    [
      'the public half',
      () => config(`${KEYS}/id_ed25519.pub`),
      `:6: ssh.identity: ${KEYS}/id_ed25519.pub is the public half of a key pair; identity names the private key\n  Use ${KEYS}/id_ed25519;`,
    ],
    ['a folder', () => config(KEYS), `:6: ssh.identity: ${KEYS} is a folder, not a file`],
    [
      'no key at all',
      () => config(`${FIXTURES}good/minimal.toml`),
      `:6: ssh.identity: ${FIXTURES}good/minimal.toml holds no SSH private key`,
    ],
    [
      'an encrypted key without an agent',
      () => config(ENCRYPTED),
      `:6: ssh.identity: ${ENCRYPTED} is encrypted with a passphrase, and bsync has neither an ssh-agent (SSH_AUTH_SOCK is not set) nor ssh.passphrase to open it\n  Load the key into an agent (eval "$(ssh-agent)"; ssh-add ${ENCRYPTED}) and run bsync in that shell, or set [ssh] passphrase = { file = "PATH" }`,
    ],
    [
      'a missing known_hosts',
      () => config(`${KEYS}/id_ed25519`, join(dir, 'known')),
      `:7: ssh.known_hosts: cannot read ${dir}/known: no such file\n  Make it with the hosts' keys (ssh-keyscan HOST >> FILE)`,
    ],
  ])('%s: exit 1, file, line and key path', async (_, make, message) => {
    const file = make();
    const run = await bsync(['validate', '-c', file], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bsync: error: ${file}${message}`);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('an unreadable identity is named as such', async () => {
    if (process.getuid?.() === 0) return; // root reads any file
    const key = join(dir, 'unreadable');
    copyFileSync(`${KEYS}/id_ed25519`, key);
    chmodSync(key, 0);
    const run = await bsync(['validate', '-c', config(key)], ENV);
    expect(run.stderr).toContain(`ssh.identity: cannot read ${key}: permission denied`);
  });

  it('an encrypted key is used through the ssh-agent in SSH_AUTH_SOCK, and validate says so', async () => {
    const file = config(ENCRYPTED);
    const run = await bsync(['validate', '-c', file], { ...ENV, SSH_AUTH_SOCK: join(dir, 'agent.sock') });
    expect(run).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `${file}: valid, 2 hosts.\n  ssh.identity: ${ENCRYPTED} is encrypted; bsync uses it through the ssh-agent in SSH_AUTH_SOCK (ssh-add it there).\n`,
    });
  });

  it('plan says it once, before connecting, not once per host', async () => {
    const file = config(join(dir, 'nope'));
    const run = await bsync(['plan', '-c', file], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `bsync: error: ${file}:6: ssh.identity: cannot read ${dir}/nope: no such file\n  Name the private key bsync logs in with, or leave identity out to use the ssh-agent.\n`,
    );
  });
});

describe('[ssh] passphrase opens an encrypted identity', () => {
  const PASSPHRASE = 'correct horse #1';
  const key = join(dir, 'encrypted_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'bsync test', '-f', key]);
  const secret = join(dir, 'passphrase');
  writeFileSync(secret, `${PASSPHRASE}\n`, { mode: 0o600 });
  const wrong = join(dir, 'wrong-passphrase');
  writeFileSync(wrong, 'not it\n', { mode: 0o600 });

  /** config() with a passphrase line after identity. */
  function withPassphrase(source: string): string {
    const file = config(key);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^identity = .*$/m, `$&\npassphrase = ${source}`));
    return file;
  }

  it("is ssh2's own parser that opens the key with it, and not with another", () => {
    const text = readFileSync(key, 'utf8');
    expect(keyFileKind(text)).toBe('encrypted');
    expect(passphraseOpens(text, PASSPHRASE)).toBe(true);
    expect(passphraseOpens(text, 'not it')).toBe(false);
  });

  it.each([
    ['a file', () => `{ file = ${JSON.stringify(secret)} }`, `file ${secret}`, {}],
    [
      'an environment variable',
      () => '{ env = "BSYNC_SSH_PASSPHRASE" }',
      'env BSYNC_SSH_PASSPHRASE',
      { BSYNC_SSH_PASSPHRASE: PASSPHRASE },
    ],
  ])(
    'from %s: validate passes, names the source, never the passphrase, and the agent is not needed',
    async (_, source, named, env) => {
      const file = withPassphrase(source());
      const run = await bsync(['validate', '-c', file], { ...ENV, ...env });
      expect(run).toMatchObject({
        code: 0,
        stderr: '',
        stdout: `${file}: valid, 2 hosts.\n  ssh.identity: ${key} is encrypted; bsync opens it with ssh.passphrase (${named}).\n`,
      });
      const json = await bsync(['validate', '--json', '-c', file], { ...ENV, ...env });
      expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, identity: expect.stringContaining(`(${named})`) });
      expect(run.stdout + json.stdout).not.toContain('horse');
    },
  );

  it('over several configs, --json holds how each opens its key, as fleet.schema.json allows', async () => {
    const env = { ...ENV, BSYNC_SSH_PASSPHRASE: PASSPHRASE };
    const files = [withPassphrase('{ env = "BSYNC_SSH_PASSPHRASE" }'), config(`${KEYS}/id_ed25519`)];
    // Two clusters on one host are refused: the second config's host moves elsewhere.
    writeFileSync(
      files[1],
      readFileSync(files[1], 'utf8').replace('10.0.0.11', '10.0.9.11').replace('10.0.0.21', '10.0.9.21'),
    );
    const run = await bsync(['validate', '--json', ...files.flatMap((file) => ['-c', file])], env);
    const document = JSON.parse(run.stdout);
    const ajv = new Ajv.default({ allErrors: true, strict: true });
    for (const name of ['plan', 'status', 'check', 'verify'])
      ajv.addSchema(JSON.parse(readFileSync(`${FIXTURES}../schemas/${name}.schema.json`, 'utf8')));
    const validate = ajv.compile(JSON.parse(readFileSync(`${FIXTURES}../schemas/fleet.schema.json`, 'utf8')));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.clusters.map((entry: { validate: { identity?: string } }) => entry.validate.identity)).toEqual([
      `${key} is encrypted; bsync opens it with ssh.passphrase (env BSYNC_SSH_PASSPHRASE)`,
      undefined,
    ]);
  });

  it('one that does not open the key: exit 1, naming its source and not its value', async () => {
    const file = withPassphrase(`{ file = ${JSON.stringify(wrong)} }`);
    const run = await bsync(['validate', '-c', file], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `:6: ssh.identity: the passphrase from file ${wrong} (ssh.passphrase) does not open ${key}`,
    );
    expect(run.stderr).not.toContain('not it');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('an unset variable is named at the passphrase key', async () => {
    const file = withPassphrase('{ env = "BSYNC_SSH_PASSPHRASE" }');
    const run = await bsync(['validate', '-c', file], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(':7: ssh.passphrase: the environment variable BSYNC_SSH_PASSPHRASE is not set');
  });

  it('written in the config itself: refused, saying where it may come from', async () => {
    const file = withPassphrase('"correct horse"');
    const run = await bsync(['validate', '-c', file], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      ':7: ssh.passphrase: must be a secret from { env = "NAME" } or { file = "path" } (a passphrase is never written in the config), got a string (not shown: it is a secret)',
    );
    expect(run.stderr).not.toContain('horse');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
