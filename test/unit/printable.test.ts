import { describe, expect, it } from 'vitest';
import { printable, printableJson, printableValue } from '../../lib/printable.js';

describe('text from hosts, made safe to print', () => {
  it('shows what a terminal would act on as escapes and keeps line breaks and tabs', () => {
    expect(printable('a\u001b[31mb\u0007\r\n\tc\u007f\u009b\u202ed')).toBe(
      'a\\x1b[31mb\\x07\\r\n\tc\\x7f\\x9b\\u202ed',
    );
    expect(printable('plain: ünïcødé, € and \\x1b as typed')).toBe('plain: ünïcødé, € and \\x1b as typed');
  });

  it('JSON with nothing raw a terminal acts on, and the same value when parsed', () => {
    const value = { text: 'a\u001b[2Jb\u009bc\u202ed\u2028e' };
    const json = printableJson(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('a value with every string in it escaped, keys too, for a renderer that adds colours', () => {
    const value = { 'k\u001b': ['a\u0007', { n: 1, t: true, z: null, s: '\u202e' }] };
    expect(printableValue(value)).toEqual({ 'k\\x1b': ['a\\x07', { n: 1, t: true, z: null, s: '\\u202e' }] });
    expect(value['k\u001b'][0]).toBe('a\u0007');
  });
});
