// A `time=` target as PostgreSQL's recovery_target_time takes a timestamp with a zone
// (what psql prints for now(): `2026-12-07 11:26:24.816907+00`): a date, T or a space, a
// time with up to six fractional digits, and a zone that names one instant everywhere (Z,
// UTC, +HH, +HH:MM, +HHMM). Forms whose instant depends on where they are read are refused:
// no zone (PostgreSQL reads it in the server's TimeZone), a zone abbreviation or name.
// A pure module; docs/recovery.md lists the forms.

/** The instant: whole unix milliseconds and the microseconds past them. */
export interface Instant {
  ms: number;
  micros: number;
}

/** PostgreSQL's limit for a numeric offset (MAX_TZDISP_HOUR). */
const MAX_OFFSET_HOURS = 15;

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?( ?)(.*)$/;
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/;
const FORM =
  'the time needs a date, a time and a zone, as in 2026-12-07 11:26:24.816907+00 or 2026-12-07T12:26:24+01:00';

/** The zone's offset east of UTC in minutes, or why it is not taken. */
function offsetMinutes(zone: string, refuse: (why: string) => never): number {
  if (zone === '')
    refuse(
      "the time has no zone: PostgreSQL would read it in the server's time zone (its TimeZone setting), which may not be yours. Add the zone psql shows, as in +00, or Z",
    );
  if (zone === 'Z' || zone === 'UTC') return 0;
  const offset = OFFSET.exec(zone);
  if (offset) {
    const [hours, minutes] = [Number(offset[2]), Number(offset[3] ?? '0')];
    if (hours > MAX_OFFSET_HOURS || minutes > 59)
      refuse(`the offset ${zone} is not one: hours go to ${MAX_OFFSET_HOURS}, minutes to 59`);
    return (offset[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  if (/^[A-Za-z][A-Za-z0-9_/+-]*$/.test(zone))
    refuse(
      `the zone ${zone} is a name: abbreviations mean different offsets in different places (recovery_target_time refuses them too) and a region's offset depends on the date. Write the offset (+01, +05:30) or UTC`,
    );
  return refuse(`${FORM}; ${JSON.stringify(zone)} is not a zone (Z, UTC, +HH, +HH:MM or +HHMM)`);
}

/** The wall-clock fields as milliseconds since the epoch in UTC, or why they are not a date and time. */
function wallClockMs(fields: number[], refuse: (why: string) => never): number {
  const [year, month, day, hour, minute, second] = fields;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  // Date rolls 2026-02-30 over to March: a field it moved was out of range.
  const back = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  if (back.some((value, index) => value !== fields[index]))
    refuse(
      'the date or time does not exist (months 01-12, days of that month, hours 00-23, minutes and seconds 00-59)',
    );
  return date.getTime();
}

/** `time=`'s value as an instant, or a refusal through `refuse` (which names the target). */
export function parseTime(value: string, refuse: (why: string) => never): Instant {
  const match = TIME.exec(value);
  if (!match) return refuse(FORM);
  const [, year, month, day, hour, minute, second = '0', fraction = '', , zone] = match;
  if (fraction.length > 6)
    refuse(`PostgreSQL keeps microseconds: at most six digits after the seconds, not ${fraction.length}`);
  const offset = offsetMinutes(zone, refuse);
  const wall = wallClockMs([year, month, day, hour, minute, second].map(Number), refuse);
  const micros = Number(fraction.padEnd(6, '0'));
  return { ms: wall - offset * 60_000 + Math.floor(micros / 1000), micros: micros % 1000 };
}

/**
 * The instant in UTC, ISO 8601 with Z: three fractional digits when the microseconds past
 * the millisecond are 0 and `digits` allows, else six (nothing PostgreSQL keeps is dropped).
 */
export function utcText(instant: { ms: number; micros?: number }, digits: 3 | 6 = 3): string {
  const iso = new Date(instant.ms).toISOString();
  const micros = instant.micros ?? 0;
  return digits === 6 || micros !== 0 ? iso.replace(/Z$/, `${String(micros).padStart(3, '0')}Z`) : iso;
}
