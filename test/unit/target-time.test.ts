// `--target time=...` as PostgreSQL's recovery_target_time takes a timestamp with a zone:
// every form names the same instant, shown in UTC and given to pgBackRest in UTC with
// microseconds; forms whose instant depends on where they are read are refused, with why.
import { describe, expect, it } from 'vitest';
import { decodeRestoreRequest, restoreOperation } from '../../lib/recovery/requests.js';
import { parseTarget, restoreTargetOptions, targetText } from '../../lib/recovery/target.js';

// 2026-12-07 11:26:24.816907 UTC, as psql prints now() in a UTC session.
const INSTANT = { type: 'time', ms: Date.UTC(2026, 11, 7, 11, 26, 24, 816), micros: 907 };

describe('time= targets as PostgreSQL writes them', () => {
  it.each([
    '2026-12-07 11:26:24.816907+00',
    '2026-12-07T11:26:24.816907Z',
    '2026-12-07 11:26:24.816907 UTC',
    '2026-12-07 11:26:24.816907UTC',
    '2026-12-07T11:26:24.816907+00:00',
    '2026-12-07 12:26:24.816907+01',
    '2026-12-07 08:26:24.816907-03',
    '2026-12-07 16:56:24.816907+05:30',
    '2026-12-07 16:56:24.816907+0530',
    '2026-12-06 23:26:24.816907-12',
    '2026-12-07 11:26:24.816907 +00',
  ])('%s is the same instant', (value) => {
    const target = parseTarget(`time=${value}`);
    expect(target).toEqual(INSTANT);
    expect(targetText(target)).toBe('time=2026-12-07T11:26:24.816907Z');
    expect(restoreTargetOptions(target)).toEqual(['--type=time', '--target=2026-12-07 11:26:24.816907+00']);
  });

  it('takes fewer fractional digits, or none, and a time without seconds', () => {
    expect(parseTarget('time=2026-12-07 11:26:24.8+00')).toEqual({ ...INSTANT, ms: INSTANT.ms - 16, micros: 0 });
    expect(targetText(parseTarget('time=2026-12-07 11:26:24.8+00'))).toBe('time=2026-12-07T11:26:24.800Z');
    expect(restoreTargetOptions(parseTarget('time=2026-12-07 11:26Z'))).toEqual([
      '--type=time',
      '--target=2026-12-07 11:26:00.000000+00',
    ]);
    // The microseconds carry into the milliseconds: .000999 is 0 ms and 999 µs.
    expect(parseTarget('time=2026-12-07 11:26:24.000999Z')).toMatchObject({ micros: 999 });
  });

  it.each([
    ['2026-12-07 11:26:24.816907', /has no zone: PostgreSQL would read it in the server's time zone/],
    ['2026-12-07T11:26:24', /has no zone/],
    ['2026-12-07 11:26:24 CET', /the zone CET is a name: abbreviations mean different offsets/],
    ['2026-12-07 11:26:24 Europe/Paris', /the zone Europe\/Paris is a name/],
    ['2026-12-07 11:26:24+5', /needs a date, a time and a zone.*"\+5" is not a zone/],
    ['2026-12-07 11:26:24+530', /"\+530" is not a zone/],
    ['2026-12-07 11:26:24+05:30:00', /is not a zone/],
    ['2026-12-07 11:26:24+16', /the offset \+16 is not one/],
    ['2026-12-07 11:26:24+05:60', /the offset \+05:60 is not one/],
    ['2026-12-07 11:26:24.8169071+00', /at most six digits after the seconds, not 7/],
    ['2026-02-30 11:26:24+00', /the date or time does not exist/],
    ['2026-12-07 24:00:00+00', /the date or time does not exist/],
    ['2026-12-07 11:26:60+00', /the date or time does not exist/],
    ['2026-12-07 11:60:00+00', /the date or time does not exist/],
    ['12/07/2026 11:26:24+00', /needs a date, a time and a zone/],
    ['2026-12-07', /needs a date, a time and a zone/],
    ['now', /needs a date, a time and a zone/],
    ['2026-12-07 11:26:24+00\nx', /needs a date, a time and a zone/],
  ])('refuses %j', (value, message) => {
    expect(() => parseTarget(`time=${value}`)).toThrow(message);
  });

  it('keeps the instant through a saved plan: the request records it in UTC and decodes to the same target', () => {
    const request = {
      target: parseTarget('time=2026-12-07 16:56:24.816907+05:30'),
      delta: true,
      targetAction: 'promote' as const,
      allowOverwrite: true,
    };
    const operation = restoreOperation(request, { zone: 1, host: 'pg1', set: '20261207-000000F', repo: 1 }, []);
    expect(operation.request.target).toBe('time=2026-12-07T11:26:24.816907Z');
    const decoded = decodeRestoreRequest(JSON.parse(JSON.stringify(operation.request)));
    expect(decoded.target).toEqual(INSTANT);
    // A millisecond-exact time keeps the form saved plans made before microseconds.
    expect(targetText(parseTarget('time=2026-12-04T03:00:00Z'))).toBe('time=2026-12-04T03:00:00.000Z');
  });
});
