// The recorded facts the planner's unit tests run on (fixtures/facts/ssh-*.json) still look
// like what the probes return today: same fields, same types, in the same states (fresh,
// then converged). When a probe changes, this fails until the fixtures are recorded again:
// npx tsx test/support/record-facts.ts
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { converge } from '../support/recovery.js';
import { resetScenario } from '../support/lab.js';
import { factsFixture, labFactsJson, shapeOf, SSH_CONFIG_PATH } from '../support/lab-facts.js';

const recorded = (state: 'fresh' | 'converged') => shapeOf(JSON.parse(readFileSync(factsFixture(state), 'utf8')));

describe('recorded facts against the probes of today', () => {
  it('fresh, then converged: the same shape as the fixtures', async () => {
    await resetScenario('ssh');
    expect(shapeOf(JSON.parse(await labFactsJson())), 'fixtures/facts/ssh-fresh.json').toEqual(recorded('fresh'));
    await converge(SSH_CONFIG_PATH);
    expect(shapeOf(JSON.parse(await labFactsJson())), 'fixtures/facts/ssh-converged.json').toEqual(
      recorded('converged'),
    );
  }, 600_000);
});
