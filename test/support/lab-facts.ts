// The ssh scenario's facts as the planner's unit tests hold them (fixtures/facts/ssh-*.json):
// gathered from the lab, with the lab's secrets replaced by the fixed values the unit tests
// configure, so no lab secret is committed. record-facts.ts writes them; the fixtures suite
// (test/integration/fixtures.test.ts) compares their shape with what the probes return today.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatherFacts, openSession } from '../../lib/operations/session.js';
import { scramVerifier } from '../../lib/resources/scram.js';
import { STATE_DIR } from '../lab/lab.js';

export const RECORDED_CIPHER_PASS = 'recorded-cipher-passphrase-0123456789';
export const RECORDED_PASSWORD = 'recorded-backup-password-0123456789';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const SSH_CONFIG_PATH = `${root}fixtures/lab/ssh.toml`;
export const factsFixture = (state: 'fresh' | 'converged') => `${root}fixtures/facts/ssh-${state}.json`;

/** The ssh scenario's facts now, as fixture JSON. */
export async function labFactsJson(): Promise<string> {
  const session = await openSession(SSH_CONFIG_PATH, {});
  const facts = await gatherFacts(session);
  session.close();
  let json = JSON.stringify(Object.fromEntries(facts), null, 2);
  json = json.split(readFileSync(`${STATE_DIR}/secrets/cipher_pass`, 'utf8').trim()).join(RECORDED_CIPHER_PASS);
  json = json.split(readFileSync(`${STATE_DIR}/secrets/backup_password`, 'utf8').trim()).join(RECORDED_PASSWORD);
  json = json.replace(/SCRAM-SHA-256\$[^"]+/g, scramVerifier(RECORDED_PASSWORD).replace(/\$/g, '$$$$'));
  return `${json}\n`;
}

/**
 * A value's shape: its keys (recursively) and the types of its values, not the values. Two
 * gatherings of the same scenario in the same state have the same shape; a probe that
 * gained, lost or retyped a field does not.
 */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return [...new Set(value.map((item) => JSON.stringify(shapeOf(item))))].sort();
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, shapeOf(item)]),
    );
  return value === null ? 'null' : typeof value;
}
