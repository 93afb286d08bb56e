// What a saved plan shows of its config's secrets (docs: secrets never in plans): the whole file
// `bsync plan --out` writes, read as text, searched for each secret and for a SHA-256 or HMAC of a
// text holding one (the fingerprints plan version 1 computed over secrets; any 32+ hex digit string
// in the file may be a key, the nonce among them).
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePlanFile } from '../../lib/plan/saved.js';
import type { Plan } from '../../lib/plan/types.js';

/** `plan` as `bsync plan --out` writes it: the whole file's text. */
export function savedPlanText(plan: Plan): string {
  const dir = mkdtempSync(join(tmpdir(), 'bsync-saved-secrets-'));
  try {
    writePlanFile(join(dir, 'plan.json'), plan);
    return readFileSync(join(dir, 'plan.json'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The 32+ hex digit strings a saved plan's text holds: each may be a key. */
export const keysIn = (text: string) => [...new Set(text.match(/[0-9a-f]{32,}/g))];

/**
 * What a saved plan's `text` shows of `secrets`: each secret found in it, and (its first 60 characters)
 * each of `withSecret`, the texts that hold one, whose SHA-256 or HMAC under a key it holds is in it.
 */
export function secretsShownIn(text: string, secrets: string[], withSecret: string[] = secrets): string[] {
  const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
  const hmac = (key: string, value: string) => createHmac('sha256', key).update(value).digest('hex');
  const keys = keysIn(text);
  const digested = withSecret.filter((candidate) =>
    [sha256(candidate), ...keys.map((key) => hmac(key, candidate))].some((digest) => text.includes(digest)),
  );
  return [...secrets.filter((secret) => text.includes(secret)), ...digested.map((candidate) => candidate.slice(0, 60))];
}
