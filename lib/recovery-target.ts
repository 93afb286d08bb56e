// A recovery target as the operator writes it (`--target time=...`, [[zone]] from_backup's
// target): its grammar and how it reads back. A pure module below the config, which checks a
// declared target with it; lib/recovery/target.ts turns it into pgBackRest's options.
import { BsyncError } from './errors.js';
import { quotedValue } from './printable.js';
import { parseTime, utcText } from './target-time.js';

export type RecoveryTarget =
  | { type: 'latest' }
  | { type: 'immediate' }
  /**
   * Unix milliseconds, and the microseconds past them (PostgreSQL keeps microseconds; 0 when
   * absent); pgBackRest gets it in UTC, so the host's time zone cannot shift it.
   */
  | { type: 'time'; ms: number; micros?: number }
  | { type: 'lsn'; lsn: string }
  | { type: 'xid'; xid: string }
  | { type: 'name'; name: string };

export const TARGET_FORMS =
  'latest, immediate, time=2026-12-04 03:00:00+00 (or T, Z, UTC, +01, +05:30), lsn=0/3000060, xid=1234 or name=before-upgrade';

function refuse(text: string, why: string): never {
  throw new BsyncError(`--target ${quotedValue(text)}: ${why}`, { hint: `A target is one of: ${TARGET_FORMS}.` });
}

/** C0 controls, DEL and C1 controls. */
const isControl = (char: string) =>
  char.charCodeAt(0) < 0x20 || (char.charCodeAt(0) >= 0x7f && char.charCodeAt(0) <= 0x9f);

export function parseTarget(text: string): RecoveryTarget {
  if (text === 'latest' || text === 'immediate') return { type: text };
  const equals = text.indexOf('=');
  if (equals < 0) refuse(text, 'not a target');
  const kind = text.slice(0, equals);
  const value = text.slice(equals + 1);
  switch (kind) {
    case 'time':
      return { type: 'time', ...parseTime(value, (why) => refuse(text, why)) };
    case 'lsn':
      if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(value))
        refuse(text, 'an LSN is two hex numbers, as in 0/3000060');
      return { type: 'lsn', lsn: value.toUpperCase() };
    case 'xid':
      if (!/^[1-9]\d{0,19}$/.test(value)) refuse(text, 'a transaction id is a whole number, as in 1234');
      return { type: 'xid', xid: value };
    case 'name':
      // pg_create_restore_point takes up to 63 bytes; the name travels as one shell word.
      if (value === '' || Buffer.byteLength(value) > 63 || [...value].some(isControl))
        refuse(text, 'a restore point name is 1 to 63 bytes without control characters');
      return { type: 'name', name: value };
    default:
      return refuse(text, `no target kind ${quotedValue(kind)}`);
  }
}

/** The target as the operator reads it again (what the plan and saved plans show). */
export function targetText(target: RecoveryTarget): string {
  switch (target.type) {
    case 'latest':
    case 'immediate':
      return target.type;
    case 'time':
      return `time=${utcText(target)}`;
    case 'lsn':
      return `lsn=${target.lsn}`;
    case 'xid':
      return `xid=${target.xid}`;
    case 'name':
      return `name=${target.name}`;
  }
}
