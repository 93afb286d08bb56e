// What the scheduled backup jobs last did, from the outcome file each writes where it runs
// (lib/desired/backups.ts, outcomeRecorded): when the run started and ended, its exit
// status and pgBackRest's last error line, and the last successful and failed runs. Read
// with the shell's own `read` (no process), each line marked so a file's content cannot
// pass for the probe's own lines, and parsed here against the file's grammar.
import type { Inventory } from '../config/inventory.js';
import { shq } from '../formats/shell.js';
import { printable } from '../printable.js';
import { PGBACKREST_LOG_DIR } from './paths.js';
import type { Probe } from './probe.js';
import type { BackupOutcome } from './types.js';

export const OUTCOME_HEADER = 'bsync-backup-outcome 1';
/** Lines and bytes read of one file at most: a good one has six lines, under 1 KiB. */
const MAX_LINES = 16;
const MAX_BYTES = 4096;
/** pgBackRest's error line as kept: long enough for its message, short enough to show. */
export const OUTCOME_ERROR_LIMIT = 500;

/** The outcome file of a stanza's scheduled backups of one type into one repository, beside pgBackRest's logs. */
export const backupOutcomePath = (stanza: string, type: string, repoKey: number) =>
  `${PGBACKREST_LOG_DIR}/${stanza}.bsync-${type}-repo${repoKey}.outcome`;

/** The jobs the config schedules for the stanza, each with its outcome file. */
export function scheduledOutcomes(inventory: Inventory, stanza: string) {
  return inventory.repos.flatMap((repo) =>
    (['full', 'diff', 'incr'] as const).flatMap((type) =>
      repo.schedule[type] === undefined
        ? []
        : [{ type, repo: repo.key, path: backupOutcomePath(stanza, type, repo.key) }],
    ),
  );
}

export const outcomesProbe: Probe = {
  name: 'outcomes',
  applies: (ctx) => ctx.needs.outcomes === true,
  command: (ctx) => {
    const paths = scheduledOutcomes(ctx.inventory, ctx.stanza).map((job) => shq(job.path));
    if (paths.length === 0) return '';
    // A link is never read (the file is its job user's, the probe runs as root).
    return [
      `for f in ${paths.join(' ')}; do`,
      '  [ -f "$f" ] && [ ! -L "$f" ] || continue',
      `  printf 'O|%s\\n' "$f"`,
      // At most MAX_BYTES of it: a good file holds well under 1 KiB, and a line is read whole.
      `  head -c ${MAX_BYTES} -- "$f" | { n=0; while [ $n -lt ${MAX_LINES} ] && IFS= read -r l; do printf 'L|%s\\n' "$l"; n=$((n + 1)); done; }`,
      'done',
    ].join('\n');
  },
  parse(output, ctx) {
    const jobs = scheduledOutcomes(ctx.inventory, ctx.stanza);
    const files = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of output.split('\n')) {
      if (line.startsWith('O|')) {
        current = [];
        files.set(line.slice(2), current);
      } else if (line.startsWith('L|')) current?.push(line.slice(2));
    }
    const backupOutcomes = jobs.flatMap((job) => {
      const lines = files.get(job.path);
      return lines ? [{ stanza: ctx.stanza, type: job.type, repo: job.repo, ...parseOutcome(lines) }] : [];
    });
    return { backupOutcomes };
  },
};

type OutcomeFields = Omit<BackupOutcome, 'stanza' | 'type' | 'repo'>;

const TIME = '(0|[1-9][0-9]{0,11})';
const CODE = '([0-9]{1,3})';
const LINE_GRAMMAR: Record<string, RegExp> = {
  start: new RegExp(`^start ${TIME}$`),
  end: new RegExp(`^end ${TIME} ${CODE}$`),
  // One line, no control character, as pgBackRest prints its error (shown escaped, never obeyed).
  error: new RegExp(`^error ([^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]{1,${OUTCOME_ERROR_LIMIT}})$`),
  success: new RegExp(`^success ${TIME} ${TIME}$`),
  failure: new RegExp(`^failure ${TIME} ${TIME} ${CODE}$`),
};

/**
 * An outcome file's lines as bsync's job writes them: the header, then at most one of each
 * kind. Anything else makes the whole file a `problem` (named, escaped), never a value.
 */
export function parseOutcome(lines: string[]): OutcomeFields {
  const empty: OutcomeFields = {
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    lastSuccess: null,
    lastFailure: null,
  };
  const wrong = (what: string): OutcomeFields => ({ ...empty, problem: printable(what).slice(0, 300) });
  if (lines[0] !== OUTCOME_HEADER)
    return wrong(`not an outcome file bsync wrote: it starts ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const seen = new Map<string, RegExpExecArray>();
  for (const [index, line] of lines.slice(1).entries()) {
    const kind = line.slice(0, line.indexOf(' '));
    const match = LINE_GRAMMAR[kind]?.exec(line);
    if (!match || seen.has(kind))
      return wrong(`line ${index + 2} is not what bsync's job writes: ${JSON.stringify(line.slice(0, 60))}`);
    seen.set(kind, match);
  }
  const at = (kind: string, group: number) => {
    const match = seen.get(kind);
    return match ? Number(match[group]) : null;
  };
  const success = seen.get('success');
  const failure = seen.get('failure');
  return {
    startedAt: at('start', 1),
    endedAt: at('end', 1),
    exitCode: at('end', 2),
    error: seen.get('error')?.[1] ?? null,
    lastSuccess: success ? { startedAt: Number(success[1]), endedAt: Number(success[2]) } : null,
    lastFailure: failure
      ? { startedAt: Number(failure[1]), endedAt: Number(failure[2]), exitCode: Number(failure[3]) }
      : null,
  };
}
