// The scale scenario: 16 zones of one PostgreSQL host and one backup host (32 hosts),
// brought up for this suite only. One apply converges all of them, the next plan is
// clean, and every zone holds a real full backup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downScale, upScale } from '../lab/lab.js';
import { bsync, FIXTURES } from '../support/bsync.js';

const CONFIG = `${FIXTURES}lab/scale.toml`;

describe('16 zones in one apply', () => {
  beforeAll(async () => {
    await upScale();
  }, 900_000);

  afterAll(async () => {
    await downScale();
  }, 300_000);

  it('converges all 16 zones, plans no changes after, and every stanza holds a full backup', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout.slice(-3000) + apply.stderr.slice(-3000)).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stdout.slice(-3000)).toBe(0);
    expect(plan.stdout).toContain('No changes. 32 hosts match scale.toml.');
    const status = await bsync(['status', '-c', CONFIG, '--json']);
    const stanzas = JSON.parse(status.stdout).stanzas;
    expect(stanzas).toHaveLength(16);
    for (const stanza of stanzas) {
      expect(stanza.statusCode, stanza.stanza).toBe(0);
      expect(stanza.newest.full, stanza.stanza).not.toBeNull();
    }
  }, 1_200_000);
});
