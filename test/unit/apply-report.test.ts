import { describe, expect, it } from 'vitest';
import { failureDetail } from '../../lib/apply/execute.js';
import { Redactor } from '../../lib/apply/redactor.js';

describe('what a failed step reports', () => {
  it("leads with pgBackRest's ERROR line", () => {
    const output =
      'WARN: something first\nERROR: [039]: HTTP request failed with 403 (Forbidden):\n       *** Path/Query ***:\n       GET /bucket/';
    expect(failureDetail(output)).toBe('ERROR: [039]: HTTP request failed with 403 (Forbidden):');
  });

  it('otherwise gives the last lines', () => {
    expect(failureDetail('a\nb\n\nc\n')).toBe('a / b / c');
    expect(failureDetail(Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n'))).toBe(
      'line 4 / line 5 / line 6 / line 7 / line 8 / line 9',
    );
  });

  it('never carries a secret the redactor knows', () => {
    const redactor = new Redactor();
    redactor.add('hunter2-secret');
    redactor.add('abc'); // too short to redact safely: ignored
    expect(redactor.redact('failed with hunter2-secret in it, abc')).toBe('failed with (sensitive) in it, abc');
  });
});
