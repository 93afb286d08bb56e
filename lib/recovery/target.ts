// A restore's recovery target as the operator writes it (`--target time=...`), checked and
// turned into what pgBackRest's restore takes (--type, --target). A pure module.
import { BsyncError } from '../errors.js';
import { shq } from '../formats/shell.js';
import { quotedValue } from '../printable.js';
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

/** pgBackRest's restore options for the target: --type, and --target where it takes one. */
export function restoreTargetOptions(target: RecoveryTarget): string[] {
  switch (target.type) {
    case 'latest':
      return ['--type=default'];
    case 'immediate':
      return ['--type=immediate'];
    case 'time':
      return ['--type=time', `--target=${pgTimestamp(target)}`];
    case 'lsn':
      return ['--type=lsn', `--target=${target.lsn}`];
    case 'xid':
      return ['--type=xid', `--target=${target.xid}`];
    case 'name':
      return ['--type=name', `--target=${target.name}`];
  }
}

/**
 * `2026-12-04 03:00:00.123456+00`: the instant in UTC with all six digits PostgreSQL keeps,
 * in the one form both readers take as written: PostgreSQL's recovery_target_time (a numeric
 * offset, its preferred style, whatever the server's TimeZone) and pgBackRest's own time
 * parser (space, up to six digits, +HH), which reads the target when no --set is given.
 */
export function pgTimestamp(target: { ms: number; micros?: number }): string {
  return `${utcText(target, 6).replace('T', ' ').slice(0, -1)}+00`;
}

/** An LSN as a number, to compare two of them. */
export function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * pgBackRest writes restore_command itself (`pgbackrest … archive-get %f "%p"`), without the
 * environment an s3 web-id repository needs, so recovery would fetch no WAL: when the zone's
 * pgbackrest word carries one, the restore is given bsync's own line. None otherwise.
 */
export function restoreCommandOption(word: string, restoreCommand: string): string[] {
  return word === 'pgbackrest' ? [] : [`--recovery-option=${shq(`restore_command=${restoreCommand}`)}`];
}
