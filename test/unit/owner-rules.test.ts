// Files read the way their owners read them: what bsync writes, the owning program reads
// back byte for byte, and what bsync reads back from a host is what that program would see.
import { describe, expect, it } from 'vitest';
import { Secret } from '../../lib/config/inventory.js';
import { desiredCrontab } from '../../lib/resources/crontab.js';
import { confLiteral, editPostgresqlConf } from '../../lib/resources/pg-settings.js';
import { confValue, renderConf } from '../../lib/resources/pgbackrest-conf.js';
import { parsePgbackrestIni, pgbackrestValueProblem } from '../../lib/formats/pgbackrest-ini.js';
import { PGBACKREST_CONF } from '../../lib/facts/paths.js';
import { redactFile } from '../../lib/facts/redact.js';
import { pgpassFields, pgpassPasswordProblem } from '../../lib/formats/pgpass.js';
import { desiredPgpass } from '../../lib/resources/pgpass.js';
import { knownText } from '../../lib/resources/types.js';

const HOSTILE = [
  `#;= $'"\\\``,
  'a #b ;c = d',
  '  # not a comment  '.trim(),
  'x=y=z',
  '[global]',
  'tab\there',
  'ünïcødé €',
  '%p %f',
];

describe('pgbackrest.conf, read as pgBackRest reads it', () => {
  it('keeps `#`, `;` and further `=` in a value; only a whole line is a comment', () => {
    const ini = parsePgbackrestIni(
      '# comment\n[global]\n  # indented comment\nrepo1-cipher-pass=a #b;c=d\nrepo1-path = /r \n\n[s1]\npg1-path=/p\n',
    );
    expect(ini?.get('global')?.get('repo1-cipher-pass')).toEqual(['a #b;c=d']);
    expect(ini?.get('global')?.get('repo1-path')).toEqual(['/r']);
    expect(ini?.get('s1')?.get('pg1-path')).toEqual(['/p']);
    expect(ini?.get('global')?.has('# indented comment')).toBe(false);
  });

  it('reads CRLF files, and refuses what pgBackRest refuses', () => {
    expect(confValue('[global]\r\nrepo1-path=/r\r\n', 'global', 'repo1-path')).toBe('/r');
    expect(parsePgbackrestIni('repo1-path=/r\n')).toBeNull(); // a key before any section
    expect(parsePgbackrestIni('[global\nrepo1-path=/r\n')).toBeNull();
    expect(parsePgbackrestIni('[global]\njust words\n')).toBeNull();
    expect(confValue('[global]\njust words\n', 'global', 'repo1-path')).toBeNull();
  });

  it('a key given twice is not one value', () => {
    expect(confValue('[global]\nrepo1-cipher-pass=a\nrepo1-cipher-pass=b\n', 'global', 'repo1-cipher-pass')).toBeNull();
  });

  it.each(HOSTILE)('round-trips %j through renderConf and confValue', (value) => {
    expect(pgbackrestValueProblem(value)).toBeNull();
    const text = knownText(
      renderConf([
        {
          name: 'global',
          options: [
            ['repo1-cipher-pass', { secret: new Secret(value, 'test') }],
            ['repo1-path', '/r'],
          ],
        },
      ]),
    )!;
    expect(confValue(text, 'global', 'repo1-cipher-pass')).toBe(value);
    expect(
      redactFile(PGBACKREST_CONF, text)
        .split('\n')
        .filter((line) => line.startsWith('repo1-cipher-pass')),
    ).toEqual(['repo1-cipher-pass=(sensitive)']);
  });

  it('names what it cannot hold', () => {
    expect(pgbackrestValueProblem('a\nb')).toMatch(/line break/);
    expect(pgbackrestValueProblem('a\rb')).toMatch(/line break/);
    expect(pgbackrestValueProblem('a\0b')).toMatch(/NUL/);
    expect(pgbackrestValueProblem(' a')).toMatch(/white space/);
    expect(pgbackrestValueProblem('')).toMatch(/empty/);
  });

  it('hides secrets in commented-out lines and after odd spacing too', () => {
    expect(redactFile(PGBACKREST_CONF, '#repo1-cipher-pass=old\n  repo1-s3-key =\tk #x\n')).toBe(
      '#repo1-cipher-pass=(sensitive)\n  repo1-s3-key =\t(sensitive)\n',
    );
  });
});

describe('.pgpass, read as libpq reads it', () => {
  it.each([...HOSTILE, 'back\\slash', 'co:lon', '\\:', 'ends with \\'])(
    'escapes %j so libpq reads the same password back',
    (password) => {
      expect(pgpassPasswordProblem(password)).toBeNull();
      const text = knownText(
        desiredPgpass(undefined, [{ host: 'backup:1', port: 5432 }], 'backrest', new Secret(password, 'test')).template,
      )!;
      expect(text.split('\n').filter(Boolean)).toHaveLength(1);
      const fields = pgpassFields(text.trimEnd());
      expect(fields).toEqual(['backup:1', '5432', '*', 'backrest', password]);
    },
  );

  // The role's line for another host (old:5432) is no longer replaced: it serves a
  // connection bsync does not make (lib/resources/pgpass.ts).
  it('finds its own line by host, port and role even when other lines escape colons', () => {
    const current = 'db\\:1:5432:*:app\\:x:pw\nb1:5432:*:backrest:old\nold:5432:*:backrest:old\n';
    const text = knownText(
      desiredPgpass(current, [{ host: 'b1', port: 5432 }], 'backrest', new Secret('new', 'test')).template,
    )!;
    expect(text).toBe('db\\:1:5432:*:app\\:x:pw\nold:5432:*:backrest:old\nb1:5432:*:backrest:new\n');
  });

  it('refuses passwords that a line or SCRAM cannot carry', () => {
    expect(pgpassPasswordProblem('a\nb')).toMatch(/line break/);
    expect(pgpassPasswordProblem('a\0b')).toMatch(/NUL/);
    expect(pgpassPasswordProblem('a\u200bb')).toMatch(/SASLprep/);
  });
});

describe('postgresql.conf, read as the server reads it', () => {
  it('doubles backslashes and quotes inside a quoted value', () => {
    expect(confLiteral(`a\\b'c`)).toBe(`'a\\\\b''c'`);
  });

  it('treats setting names without regard to case', () => {
    expect(editPostgresqlConf('Archive_Mode=off\n', { archive_mode: 'on' })).toBe("archive_mode = 'on'\t# bsync\n");
  });
});

describe('crontab markers', () => {
  it('name their stanza exactly: stanza -1 does not take the lines of stanza -10', () => {
    const current = '10 0 * * 0 pgbackrest --stanza=s-10 --type=full backup # bsync:full:s-10\n';
    const desired = desiredCrontab(
      current,
      [{ schedule: '10 0 * * 0', command: 'pgbackrest --stanza=s-1 --type=full backup', id: 'full:s-1' }],
      's-1',
    );
    expect(knownText(desired.template)).toBe(
      `${current}10 0 * * 0 pgbackrest --stanza=s-1 --type=full backup # bsync:full:s-1\n`,
    );
  });
});
