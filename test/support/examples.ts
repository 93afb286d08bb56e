// The shipped examples/ laid out as docs/first-cluster.md says: each config beside an ssh/
// folder (the fixtures' throwaway key and known_hosts) and a secrets/ folder holding one
// 0600 file per `{ file = "secrets/NAME" }` the configs name, so `bsync validate` reads them.
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './bsync.js';

export const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The example configs in `folder`, by file name. */
export function exampleConfigs(folder = EXAMPLES): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.toml'))
    .sort();
}

/** Copies `from`'s examples into `into` with the ssh/ and secrets/ files they name. */
export function layOutExamples(into: string, from = EXAMPLES): string[] {
  const configs = exampleConfigs(from);
  mkdirSync(join(into, 'ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(join(into, 'secrets'), { recursive: true, mode: 0o700 });
  cpSync(`${FIXTURES}good/keys/id_ed25519`, join(into, 'ssh', 'id_ed25519'));
  chmodSync(join(into, 'ssh', 'id_ed25519'), 0o600);
  cpSync(`${FIXTURES}good/keys/known_hosts`, join(into, 'ssh', 'known_hosts'));
  for (const name of configs) {
    const text = readFileSync(join(from, name), 'utf8');
    copyFileSync(join(from, name), join(into, name));
    for (const [, secret] of text.matchAll(/\{ file = "secrets\/([^"]+)" \}/g)) {
      // Each file its own value, long and free of anything a secret's checks refuse.
      writeFileSync(join(into, 'secrets', secret), `${secret}-${'x'.repeat(32)}\n`, { mode: 0o600 });
    }
  }
  return configs;
}
