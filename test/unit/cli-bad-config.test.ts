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
  it('there are at least 40 of them', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
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
    expect(unknown.stderr).toMatch(/Unknown argument: frobnicate|Unknown command: frobnicate/);
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
