// Every bad config in fixtures/bad/ gets its message from `bsync validate` and `bsync plan`,
// exit code 1, and no stack trace. Each fixture names its expected message in a first
// line `# expect: …` and the environment it needs in `# env: NAME=value` lines.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';

const BAD = `${FIXTURES}bad/`;
const fixtures = readdirSync(BAD)
  .filter((name) => name.endsWith('.toml'))
  .sort();

function expectations(path: string): { expect: string; env: Record<string, string> } {
  const text = readFileSync(path, 'utf8');
  const expected = /^# expect: (.+)$/m.exec(text)?.[1];
  if (!expected) throw new Error(`${path} has no '# expect:' line`);
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^# env: ([A-Z_][A-Z0-9_]*)=(.*)$/gm)) env[match[1]] = match[2];
  return { expect: expected.trim(), env };
}

describe('bad configs', () => {
  it('each names the line or key path it is about', () => {
    // A message that names no place would pass a check that only looks for words.
    for (const name of fixtures) {
      const { expect: message } = expectations(`${BAD}${name}`);
      expect(message, name).toMatch(
        /^[a-z_]+(\[\d+\])?(\.([\w-]+|"[\w:-]+")(\[\d+\])?)*: \S|^TOML syntax error$|^unknown key "/,
      );
    }
  });

  it.each(fixtures)('%s: validate says what is wrong, exit 1, no stack trace', async (name) => {
    const { expect: message, env } = expectations(`${BAD}${name}`);
    const run = await bsync(['validate', '-c', `${BAD}${name}`], env);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(name);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(1);
  });

  it('plan stops at the same message before touching the network', async () => {
    const name = fixtures[0];
    const { expect: message, env } = expectations(`${BAD}${name}`);
    const run = await bsync(['plan', '-c', `${BAD}${name}`], env);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(1);
  });
});

describe('a config with several problems', () => {
  // Three mistakes in three places, found in another order than the file's (schema, cross-check, secret).
  const dir = mkdtempSync(join(tmpdir(), 'bsync-cli-'));
  const file = join(dir, 'bsync.toml');
  writeFileSync(
    file,
    [
      '[cluster]',
      'name = "demo"',
      '[repo]',
      'cipher_pass = { env = "BSYNC_NOT_SET" }', // 4: a secret that cannot be read
      '[backup_user]',
      'name = "pg_backup"', // 6: a reserved role name
      'password = "inline-password"',
      '[[host]]',
      'name = "pg1"',
      'role = "postgres"',
      '[[host]]',
      'name = "backup1"',
      'role = "backup"',
      'zone = 0', // 14: out of the schema's range
      '',
    ].join('\n'),
  );
  const expected = [
    `bsync: error: ${file}:4: repo.cipher_pass: the environment variable BSYNC_NOT_SET is not set`,
    '  Export BSYNC_NOT_SET before running bsync, or use { file = "path" }.',
    `bsync: error: ${file}:6: backup_user.name: "pg_backup" begins with "pg_", which PostgreSQL reserves for its own roles (pg_monitor, pg_checkpoint, ...); CREATE ROLE refuses it`,
    '  Name a role of its own for bsync to manage, such as "backrest" (the default).',
    `bsync: error: ${file}:14: host[2].zone: must be at least 1, got 0`,
    '',
  ].join('\n');

  it.each(['validate', 'plan'])(
    '%s reports all three, by line, each with its key path; exit 1, no stack trace',
    async (command) => {
      const run = await bsync([command, '-c', file]);
      expect(run.stderr).toBe(expected);
      expect(run.stderr).not.toMatch(STACK_TRACE);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(1);
    },
  );

  it('--json: one error object holding each problem, and the same lines on stderr', async () => {
    const run = await bsync(['validate', '--json', '-c', file]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        message: '3 problems in the config',
        where: file,
        errors: [
          {
            message: 'repo.cipher_pass: the environment variable BSYNC_NOT_SET is not set',
            where: `${file}:4`,
            hint: 'Export BSYNC_NOT_SET before running bsync, or use { file = "path" }.',
          },
          {
            message:
              'backup_user.name: "pg_backup" begins with "pg_", which PostgreSQL reserves for its own roles (pg_monitor, pg_checkpoint, ...); CREATE ROLE refuses it',
            where: `${file}:6`,
            hint: 'Name a role of its own for bsync to manage, such as "backrest" (the default).',
          },
          { message: 'host[2].zone: must be at least 1, got 0', where: `${file}:14` },
        ],
      },
    });
    expect(run.stderr).toBe(expected);
  });
});

describe('command line mistakes', () => {
  it('an unknown command or option is a usage error with exit 1', async () => {
    const run = await bsync(['plna']);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('usage errors and help are English whatever LANG says, like every message of bsync', async () => {
    const env = { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de' };
    const unknown = await bsync(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"; Name a command: /);
    const help = await bsync(['plan', '--help'], env);
    expect(help.stdout).toContain('Options:');
    expect(help.stdout).not.toContain('Optionen');
  });

  it('an option given without its value is a usage error, not a silent default', async () => {
    for (const args of [
      ['validate', '-c'],
      ['plan', '--host'],
      ['plan', '-c', `${FIXTURES}lab/ssh.toml`, '--out'],
    ]) {
      const run = await bsync(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/bsync: error: --(config|host|out) needs a value/);
      expect(run.stderr).not.toContain('cannot read the config');
    }
  });

  it('a config with a UTF-8 byte-order mark or CRLF line ends is read like any other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-cli-'));
    const text = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8');
    writeFileSync(join(dir, 'bom.toml'), `\uFEFF${text}`);
    writeFileSync(join(dir, 'crlf.toml'), `\uFEFF${text.replace(/\n/g, '\r\n')}`);
    for (const name of ['bom.toml', 'crlf.toml']) {
      const run = await bsync(['validate', '-c', join(dir, name)]);
      expect(run.stderr, name).toBe('');
      expect(run.stdout).toContain('valid, 4 hosts');
    }
  });

  it('a missing config file is named', async () => {
    const run = await bsync(['validate', '-c', '/nonexistent/bsync.toml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('/nonexistent/bsync.toml');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
