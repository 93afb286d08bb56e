// The operation registry (lib/operations/registry.ts): every kind a plan can record has its
// operation, and the command the registry names is the one the plan's text names.
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../lib/operations/registry.js';
import { OPERATION_KINDS, operationCommand } from '../../lib/plan/types.js';

describe('the operation registry', () => {
  it('has an operation for every kind a saved plan can carry, and no other', () => {
    expect(Object.keys(OPERATIONS).sort()).toStrictEqual([...OPERATION_KINDS].sort());
  });

  it.each(OPERATION_KINDS)('%s is made and run by the command its plan text names', (kind) => {
    expect(OPERATIONS[kind].command).toBe(operationCommand(kind));
  });
});
