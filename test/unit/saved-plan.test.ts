// A saved plan that is empty, cut short, edited, foreign, unsigned or a folder is refused
// by `bsync apply FILE` with a sentence naming the file, exit 1, before any host is touched.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSignature, signingKey } from '../../lib/plan/plan-key.js';
import { readPlanFile, writePlanFile } from '../../lib/plan/saved.js';
import type { Plan } from '../../lib/plan/types.js';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { ADOPTING_PLAN, EMPTY_PLAN } from '../support/plans.js';

const dir = mkdtempSync(join(tmpdir(), 'bsync-saved-'));
const plan: Plan = EMPTY_PLAN;
/** The file `bsync plan --out` writes of a value: signed with the test's plan key (test/support/plan-key-env.ts). */
const signed = (value: object) =>
  `${JSON.stringify({ ...value, signature: planSignature(signingKey(), value) }, null, 2)}\n`;
const complete = signed(plan);

const cases: Array<[string, string | null, RegExp]> = [
  ['empty', '', /the saved plan is empty/],
  ['truncated', complete.slice(0, complete.length / 2), /the saved plan is cut short: it is not complete JSON/],
  ['edited', complete.replace('"hosts"', 'hosts'), /the saved plan is not valid JSON/],
  ['foreign', '{"name": "bsync", "version": "0.1.0"}\n', /this is not a bsync plan file/],
  [
    'future',
    complete.replace('"version": 3', '"version": 7'),
    /this plan file has version 7; this bsync reads version 3/,
  ],
  [
    'version 1',
    complete.replace('"version": 3', '"version": 1'),
    /this plan file has version 1, whose fingerprints were computed over secrets; this bsync reads version 3/,
  ],
  [
    'version 2',
    JSON.stringify({ ...plan, version: 2 }),
    /this plan file has version 2, which bsync did not sign; this bsync reads version 3/,
  ],
  ['unsigned', JSON.stringify(plan), /the saved plan is not signed: bsync applies only plans it saved itself/],
  [
    'edited after signing',
    complete.replace('"/etc/bsync/bsync.toml"', '"/etc/bsync/other.toml"'),
    /the saved plan's signature does not hold under this machine's plan key \(.*plan\.key\): the file was changed after bsync saved it/,
  ],
  ['damaged', signed({ ...plan, actions: [{ address: 1 }] }), /the saved plan is damaged: \/actions\/0/],
  ['folder', null, /cannot read the saved plan: it is a folder/],
];

describe('saved plan files', () => {
  it('round-trip through writePlanFile and readPlanFile', () => {
    writePlanFile(join(dir, 'good.json'), plan);
    expect(readPlanFile(join(dir, 'good.json'))).toEqual(plan);
  });

  it('keep an adopt action and its count; a plan saved before adopt existed still reads', () => {
    const adopting: Plan = ADOPTING_PLAN;
    writePlanFile(join(dir, 'adopt.json'), adopting);
    expect(readPlanFile(join(dir, 'adopt.json'))).toEqual(adopting);
    writeFileSync(
      join(dir, 'bad-action.json'),
      signed({ ...adopting, actions: [{ ...adopting.actions[0], action: 'take' }] }),
    );
    expect(() => readPlanFile(join(dir, 'bad-action.json'))).toThrow(/damaged: \/actions\/0\/action/);
  });

  it.each(cases)('%s: apply refuses it with a clear sentence, exit 1', async (name, content, message) => {
    const path = join(dir, `${name}.json`);
    if (content === null) mkdirSync(path);
    else writeFileSync(path, content);
    const run = await bsync(['apply', path, '-c', `${FIXTURES}lab/ssh.toml`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain(path);
    expect(run.stderr).not.toMatch(/Unexpected (token|end)|JSON at position|SyntaxError/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
