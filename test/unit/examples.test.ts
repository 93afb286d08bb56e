// examples/ ships in the package: each config must pass `bsync validate` as a user lays it
// out (docs/first-cluster.md), and say what it shows in a comment before its first table.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, STACK_TRACE } from '../support/bsync.js';
import { EXAMPLES, exampleConfigs, layOutExamples } from '../support/examples.js';

const ALL = exampleConfigs();

describe('examples/', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bsync-examples-'));
    layOutExamples(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the layouts docs/first-cluster.md names', () => {
    expect(ALL).toEqual(['patroni.toml', 'primary-replica-backup.toml', 's3.toml', 'several-repositories.toml']);
  });

  it.each(ALL)('%s passes bsync validate, with no warning', async (name) => {
    const result = await bsync(['validate', '-c', join(dir, name)]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/: valid, \d+ hosts\.\n$/);
    expect(result.code).toBe(0);
  });

  it.each(ALL)('%s reads every secret from a file, none from the config or the environment', (name) => {
    const text = readFileSync(join(EXAMPLES, name), 'utf8');
    expect(text).not.toMatch(/\{ env = /);
    expect(text).not.toMatch(/^(cipher_pass|password|key|key_secret) = "/m);
    expect(text.split('\n').slice(0, 3).join('\n')).toMatch(/^#:schema \.\.\/schemas\/bsync\.schema\.json\n# \S/);
  });

  it('without the secret files, validate names each one', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'bsync-examples-bare-'));
    try {
      layOutExamples(bare);
      rmSync(join(bare, 'secrets'), { recursive: true });
      const result = await bsync(['validate', '-c', join(bare, 'primary-replica-backup.toml')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `cannot read the secret file ${join(bare, 'secrets', 'cipher_pass')}: no such file`,
      );
      expect(result.stderr).not.toMatch(STACK_TRACE);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
