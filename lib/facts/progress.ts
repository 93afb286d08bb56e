// A long step's progress, read from its output while it runs: pgBackRest's restore at
// detail level (one line per file with its share of the set), and the replay lines a
// recovery wait prints. Only a number or a WAL position is taken from a line; a line that
// does not match is not data, and nothing from it is shown.
import { LSN } from './grammar.js';

/** What a step's output can say about how far it is. */
export type StepProgress =
  /** pgBackRest's restore: the share of the backup set's bytes restored so far. */
  | { kind: 'restore'; percent: number }
  /** A recovery: the position replayed so far and the time of the newest replayed commit (unix seconds). */
  | { kind: 'replay'; lsn: string; commitTime?: number };

/** Which reader a step's output goes through. */
export type ProgressReader = StepProgress['kind'];

/**
 * `P01 DETAIL: restore file /path (bundle 1/112, 8KB, 0.04%) checksum …`: pgBackRest 2.45
 * through 2.60 print this for every file a restore writes or finds matching (delta).
 */
const RESTORE_LINE = /^(?:\S+ \S+ )?P\d{2,3} +DETAIL: restore (?:zeroed )?file .*, (\d{1,3}(?:\.\d{1,2})?)%\) ?/;

/** `bsync-replay <lsn> <unix seconds or ->`: the line recoveryWaitStep prints each second. */
const REPLAY_LINE = /^bsync-replay (\S{1,17}) (\d{1,12}|-)$/;

export const REPLAY_PREFIX = 'bsync-replay';

/** The progress a line says, or undefined when it says none (or is not what the reader takes). */
export function readProgressLine(reader: ProgressReader, line: string): StepProgress | undefined {
  if (reader === 'restore') {
    const match = RESTORE_LINE.exec(line);
    const percent = match ? Number(match[1]) : Number.NaN;
    return percent >= 0 && percent <= 100 ? { kind: 'restore', percent } : undefined;
  }
  const match = REPLAY_LINE.exec(line.trim());
  if (!match || !LSN.test(match[1])) return undefined;
  return { kind: 'replay', lsn: match[1], ...(match[2] === '-' ? {} : { commitTime: Number(match[2]) }) };
}

/**
 * Feeds a step's stdout pieces through a reader, line by line (a piece may end mid-line),
 * calling `onProgress` with each new value. Lines longer than a reader can use are dropped.
 */
export function progressFeed(
  reader: ProgressReader,
  onProgress: (progress: StepProgress) => void,
): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    if (pending.length > 65_536) pending = '';
    for (const line of lines) {
      const progress = line.length <= 65_536 ? readProgressLine(reader, line) : undefined;
      if (progress) onProgress(progress);
    }
  };
}
