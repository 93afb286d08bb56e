// The generated passphrase's one step, run for real on this machine through the local
// connection the executor uses for steps `on: 'controller'`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planGeneratedPassphrase, storedPassPath } from '../../lib/resources/cipher-pass.js';
import { localConnection } from '../../lib/transport/local.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-cipher-pass-'));
const generate = (store: string, stanza = 'pgedge-demo-1', repoKey = 1) => {
  const change = planGeneratedPassphrase(stanza, repoKey, store, 'no store');
  expect(change.steps).toHaveLength(1);
  const [step] = change.steps;
  expect(step).toMatchObject({ on: 'controller', capture: { output: 'value' }, secret: true });
  return localConnection().exec(step.command);
};

describe('cipher_pass: the generated passphrase', () => {
  it('is 64 base64url characters, kept 0600 in a 0700 folder, with no temporary file left', async () => {
    const store = join(work, 'new', 'store');
    const result = await generate(store);
    expect(result.code, result.stderr).toBe(0);
    const value = result.stdout.trim();
    expect(value).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const kept = storedPassPath(store, 'pgedge-demo-1', 1);
    expect(readFileSync(kept, 'utf8')).toBe(`${value}\n`);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    expect(statSync(store).mode & 0o777).toBe(0o700);
    expect(statSync(join(work, 'new')).mode & 0o777).toBe(0o700);
    expect(readdirSync(store)).toEqual(['pgedge-demo-1.cipher_pass']);
  });

  it('is different every time, and repoN gets a file of its own', async () => {
    const store = join(work, 'many');
    const values = new Set<string>();
    for (const key of [1, 2, 3]) values.add((await generate(store, 'pgedge-demo-1', key)).stdout.trim());
    expect(values.size).toBe(3);
    expect(readdirSync(store).sort()).toEqual([
      'pgedge-demo-1.cipher_pass',
      'pgedge-demo-1.repo2.cipher_pass',
      'pgedge-demo-1.repo3.cipher_pass',
    ]);
  });

  it('never replaces a kept one: a second run fails, says so, and the first value stays', async () => {
    const store = join(work, 'twice');
    const first = await generate(store);
    const second = await generate(store);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('exists already: plan again, bsync then uses the passphrase kept there');
    expect(second.stdout).toBe('');
    expect(readFileSync(storedPassPath(store, 'pgedge-demo-1', 1), 'utf8').trim()).toBe(first.stdout.trim());
  });

  it('two applies at once keep exactly one, and only the winner is told it', async () => {
    const store = join(work, 'race');
    const results = await Promise.all(Array.from({ length: 6 }, () => generate(store)));
    const winners = results.filter((result) => result.code === 0);
    expect(winners).toHaveLength(1);
    expect(readFileSync(storedPassPath(store, 'pgedge-demo-1', 1), 'utf8').trim()).toBe(winners[0].stdout.trim());
    expect(readdirSync(store)).toEqual(['pgedge-demo-1.cipher_pass']);
  });

  it('a store that cannot be made fails before anything is generated, naming the folder', async () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const result = await generate(join(blocker, 'store'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot keep the generated passphrase in ${join(blocker, 'store')}`);
    expect(result.stderr).toContain('nothing was generated for the hosts');
    expect(result.stdout).toBe('');
  });

  it('a store path with spaces, quotes and $ stays one path', async () => {
    const store = join(work, `it's a "store" $HOME`);
    const result = await generate(store);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(store, 'pgedge-demo-1.cipher_pass'))).toBe(true);
  });

  it('without a store is a conflict with no step', () => {
    const change = planGeneratedPassphrase('pgedge-demo-1', 1, undefined, 'set cipher_pass_store');
    expect(change).toMatchObject({ conflict: 'set cipher_pass_store', steps: [] });
  });
});
