// Bad configs whose messages used to say too little (issue 32, item 7): a secret table of the
// wrong form, a misspelt [[hosts]] named without its line, an integer beyond TOML's range
// shown wrapped round, a UTF-16 or non-UTF-8 file shown as an "Unknown character".
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';

const ENV = { BSYNC_CIPHER: 'x'.repeat(20), BSYNC_BACKUP_PASSWORD: 'y'.repeat(20) };
const dir = mkdtempSync(join(tmpdir(), 'bsync-messages-'));
const MINIMAL = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8').replaceAll('./keys/', `${FIXTURES}good/keys/`);

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const CIPHER = 'cipher_pass = { env = "BSYNC_CIPHER" }';

describe('messages that say what is wrong', () => {
  it.each([
    [
      'a $ in an env name',
      MINIMAL.replace(CIPHER, 'cipher_pass = { env = "$BSYNC_CIPHER" }'),
      ':10: repo.cipher_pass: env names the variable, without the $: { env = "BSYNC_CIPHER" }, got { env = "$BSYNC_CIPHER" }',
    ],
    [
      'env and file both',
      MINIMAL.replace(CIPHER, 'cipher_pass = { env = "BSYNC_CIPHER", file = "/etc/x" }'),
      ':10: repo.cipher_pass: give env or file, not both, got { env = "BSYNC_CIPHER", file = "/etc/x" }',
    ],
    [
      'another key in a secret table',
      MINIMAL.replace(CIPHER, 'cipher_pass = { var = "BSYNC_CIPHER" }'),
      ':10: repo.cipher_pass: a secret table holds env or file, not "var"',
    ],
    [
      'a misspelt [[hosts]]',
      MINIMAL.replace('[[host]]', '[[hosts]]'),
      ':15: hosts: unknown key "hosts" (did you mean "host"?)',
    ],
    [
      'an integer beyond 64 bits',
      `${MINIMAL}pg_port = 99999999999999999999\n`,
      ":24: TOML syntax error: pg_port = 99999999999999999999 is beyond TOML's 64-bit integers",
    ],
    [
      'a file that is not UTF-8',
      Buffer.concat([Buffer.from(MINIMAL), Buffer.from('# caf\xe9\n', 'latin1')]),
      ':24: TOML syntax error: the file is not UTF-8',
    ],
    [
      'a UTF-16 file',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MINIMAL, 'utf16le')]),
      ': TOML syntax error: the file is UTF-16 (it holds NUL bytes); TOML files are UTF-8\n  Save it as UTF-8: iconv -f UTF-16 -t UTF-8',
    ],
  ])('%s', async (name, content, message) => {
    const path = file(`${name.replace(/\W+/g, '-')}.toml`, content);
    const run = await bsync(['validate', '-c', path], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bsync: error: ${path}${message}`);
    expect(run.stderr).not.toContain('65533');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('a file holding U+FFFD itself is UTF-8 and reads', async () => {
    const path = file('replacement.toml', `# \uFFFD\n${MINIMAL}`);
    expect(await bsync(['validate', '-c', path], ENV)).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('an S3 bucket name with dots', () => {
  const s3 = readFileSync(`${FIXTURES}good/s3.toml`, 'utf8')
    .replaceAll('./keys/', `${FIXTURES}good/keys/`)
    .replace('bucket = "pg-backups"', 'bucket = "pg.backups"');
  const env = { ...ENV, K: 'AKIAEXAMPLEKEY000000', S: 'example-secret-key-0123456789' };

  it('is refused with host-style URIs under TLS verification, as pgBackRest refuses it', async () => {
    const path = file('dots.toml', s3);
    const run = await bsync(['validate', '-c', path], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path}:15: repo.s3.bucket: "pg.backups" holds dots`);
    expect(run.stderr).toContain('Set repo.s3.uri_style = "path", or use a bucket name without dots.');
  });

  it('is taken with uri_style = "path", or with verify_tls off', async () => {
    for (const extra of ['uri_style = "path"', 'verify_tls = false']) {
      const path = file('dots-ok.toml', s3.replace('bucket = "pg.backups"', `bucket = "pg.backups"\n${extra}`));
      expect(await bsync(['validate', '-c', path], env), extra).toMatchObject({ code: 0 });
    }
  });
});
