// A restore's recovery target (its grammar: lib/recovery-target.ts) turned into what
// pgBackRest's restore takes (--type, --target). A pure module.
import { shq } from '../formats/shell.js';
import { utcText } from '../target-time.js';
import type { RecoveryTarget } from '../recovery-target.js';

export { parseTarget, type RecoveryTarget, TARGET_FORMS, targetText } from '../recovery-target.js';

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
