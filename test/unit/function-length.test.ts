// Issue 20: no function in lib/ grows past 100 lines again, where what it does hides in its
// length; a long one is split into named parts (test/support/long-functions.ts lists them).
import { describe, expect, it } from 'vitest';
import { functionLengths, functionLengthsOf } from '../support/long-functions.js';

const LIMIT = 100;

describe('function length', () => {
  it(`no function in lib/ is over ${LIMIT} lines`, () => {
    const long = functionLengths()
      .filter((entry) => entry.lines > LIMIT)
      .map((entry) => `${entry.name} (${entry.where}): ${entry.lines} lines`);
    expect(long).toStrictEqual([]);
  });

  it('counts declarations, methods and functions held by consts or properties, nested ones too', () => {
    const text = [
      'export function outer() {',
      '  const inner = () => {',
      '    return [1].map((n) => n);',
      '  };',
      '  return inner;',
      '}',
      'class Lease {',
      '  renew(): void {}',
      '}',
      'const table = { run: async () => 1 };',
    ].join('\n');
    expect(functionLengthsOf('x.ts', text)).toStrictEqual([
      { where: 'x.ts:1', name: 'outer', lines: 6 },
      { where: 'x.ts:2', name: 'outer.inner', lines: 3 },
      { where: 'x.ts:8', name: 'Lease.renew', lines: 1 },
      { where: 'x.ts:10', name: 'table.run', lines: 1 },
    ]);
  });
});
