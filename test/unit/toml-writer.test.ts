// The TOML writer (lib/formats/toml.ts): whatever a value holds, the file reads it back
// exactly and gains no key, table or line; a comment stays a comment. Checked with the
// TOML reader bsync loads its config with.
import { describe, expect, it } from 'vitest';
import { parseToml } from '../../lib/config/toml.js';
import { tomlComment, tomlKey, tomlLine, tomlString, tomlValue, type TomlValue } from '../../lib/formats/toml.js';
import { seededRandom } from '../support/random.js';

const HOSTILE = [
  '',
  'plain',
  'a"b',
  'a\\b',
  '\\u0041',
  'x"\n[cluster]\nname = "evil"',
  '\'\'\'\n"""',
  'tab\there',
  'cr\rlf\r\n',
  'nul\u0000del\u007f',
  'esc\u001b[31mred\u001b[0m',
  'c1\u0085\u009b',
  'sep\u2028par\u2029',
  'bidi\u202ereversed\u2066',
  'emoji 🐘 and ümlaut',
  '# not a comment',
  'key = "value"',
  ']]',
];

const parsed = (text: string) => parseToml(text, 'test.toml');

describe('tomlString', () => {
  it.each(HOSTILE)('%j reads back as it was, on one line', (value) => {
    const line = tomlLine('k', value);
    expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(parsed(line)).toStrictEqual({ k: value });
  });

  it('reads back random text exactly, control characters and all', () => {
    const random = seededRandom();
    for (let round = 0; round < 500; round += 1) {
      const value = Array.from({ length: random(20) }, () => {
        const pick = random(4);
        const code =
          pick === 0
            ? random(0x20)
            : pick === 1
              ? 0x20 + random(0x60)
              : pick === 2
                ? 0x7f + random(0x80)
                : 0x2000 + random(0x70);
        return String.fromCharCode(code);
      }).join('');
      expect(parsed(tomlLine('k', value))).toStrictEqual({ k: value });
    }
  });

  it('refuses a lone surrogate, which has no UTF-8 form', () => {
    expect(() => tomlString('a\ud800b')).toThrow('lone UTF-16 surrogate');
    expect(tomlString('🐘')).toBe('"🐘"');
  });
});

describe('tomlKey and tomlValue', () => {
  it.each(HOSTILE.filter((key) => key !== ''))('a key %j is quoted where it must be and reads back', (key) => {
    expect(parsed(`${tomlKey(key)} = 1`)).toStrictEqual({ [key]: 1 });
  });

  it('writes inline tables, lists, numbers and booleans that read back', () => {
    const value: TomlValue = { file: '/etc/bsync/x"y', list: ['a', 'b\n'], n: 9007199254740991, on: false, empty: {} };
    expect(parsed(`v = ${tomlValue(value)}`)).toStrictEqual({ v: value });
    expect(tomlKey('pg_data')).toBe('pg_data');
    expect(tomlKey('a.b')).toBe('"a.b"');
  });

  it('refuses a number TOML would not hold exactly', () => {
    expect(() => tomlValue(1.5)).toThrow('not a whole number');
    expect(() => tomlValue(2 ** 60)).toThrow('not a whole number');
  });
});

describe('tomlComment', () => {
  it.each(HOSTILE)('%j stays comment lines: the file holds nothing else', (text) => {
    const comment = tomlComment(text);
    for (const line of comment.split('\n')) expect(line).toMatch(/^#/);
    expect(parsed(`${comment}\nk = 1\n`)).toStrictEqual({ k: 1 });
    expect(parsed(`${tomlLine('k', 1, text)}\n`)).toStrictEqual({ k: 1 });
  });
});
