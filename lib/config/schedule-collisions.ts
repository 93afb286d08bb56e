// Backups of one stanza that cron would start at the same minute: a full and a diff of a
// repository on days that overlap, or two repositories on one schedule. Their crontab lines
// wait for each other (a lock per stanza, lib/desired/backups.ts), so they no longer fail on
// pgBackRest's backup lock, but the second one starts late, and a diff right behind the full
// it follows copies nothing: `validate` and `plan` warn, naming both keys and the minute.
// Plain schedules are read here, others by cron-parser (lib/config/cron.ts).
import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import { warning, type Diagnostic } from '../diagnostics.js';
import { plainlyValid } from './cron.js';
import type { Schedule } from './inventory.js';
import type { RawSchedule } from './raw.js';

const require = createRequire(import.meta.url);

/** The role's schedules: a full backup on Sundays, a diff on the other days. */
export const DEFAULT_SCHEDULE: Schedule = { full: '10 0 * * 0', diff: '10 0 * * 1-6' };

/** One backup job cron runs: its repository, type, schedule and the key that set the schedule. */
export interface ScheduledJob {
  repo: number;
  type: 'full' | 'diff' | 'incr';
  schedule: string;
  /** `schedule.full`, `repo[2].schedule.diff`, or `schedule.full (default)`. */
  key: string;
}

interface Fields {
  /** minute, hour, day of month, month, day of week (0 Sunday), each the values it fires on. */
  values: Array<Set<number>>;
  /** Whether the day-of-month and day-of-week fields start with `*` (cron: a day must match both then, else either). */
  domStar: boolean;
  dowStar: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let value = from; value <= to; value += step) out.push(value);
  return out;
}

/** A plain field's values (`*`, `*\/n`, numbers and ranges listed with commas). */
function plainValues(field: string, index: number): number[] {
  const [min, max] = RANGES[index];
  if (field === '*') return range(min, max);
  if (field.startsWith('*/')) return range(min, max, Number(field.slice(2)));
  return field.split(',').flatMap((item) => {
    const [from, to] = item.split('-').map(Number);
    return range(from, to ?? from);
  });
}

function parseFields(schedule: string): Fields {
  const fields = (MACROS[schedule] ?? schedule).split(' ');
  let values: number[][];
  if (plainlyValid(fields)) values = fields.map(plainValues);
  else {
    const parsed = (require('cron-parser') as typeof CronParser).CronExpressionParser.parse(fields.join(' ')).fields;
    values = [parsed.minute, parsed.hour, parsed.dayOfMonth, parsed.month, parsed.dayOfWeek].map((field) =>
      (field.values as Array<number | string>).filter((value) => typeof value === 'number'),
    );
    values[4] = values[4].map((day) => day % 7);
  }
  return {
    values: values.map((list) => new Set(list)),
    domStar: fields[2].startsWith('*'),
    dowStar: fields[4].startsWith('*'),
  };
}

function firesOn(fields: Fields, day: Date): boolean {
  const [, , dom, month, dow] = fields.values;
  if (!month.has(day.getUTCMonth() + 1)) return false;
  const byDate = dom.has(day.getUTCDate());
  const byWeekday = dow.has(day.getUTCDay());
  return fields.domStar || fields.dowStar ? byDate && byWeekday : byDate || byWeekday;
}

const common = (a: Set<number>, b: Set<number>) => [...a].filter((value) => b.has(value));
const pad = (value: number) => String(value).padStart(2, '0');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** Four years and a day: every weekday of every date, 29 February included. */
const DAYS = 4 * 365 + 2;

/** The first minute (as `HH:MM on Sun 2027-01-03`) at which both schedules fire, from `from`'s day on; null if none. */
export function sharedMinute(a: string, b: string, from: Date): string | null {
  const [fa, fb] = [parseFields(a), parseFields(b)];
  const hours = common(fa.values[1], fb.values[1]).sort((x, y) => x - y);
  const minutes = common(fa.values[0], fb.values[0]).sort((x, y) => x - y);
  if (hours.length === 0 || minutes.length === 0) return null;
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let offset = 0; offset < DAYS; offset += 1) {
    const day = new Date(start + offset * 86_400_000);
    if (firesOn(fa, day) && firesOn(fb, day))
      return `${pad(hours[0])}:${pad(minutes[0])} on ${WEEKDAYS[day.getUTCDay()]} ${day.toISOString().slice(0, 10)}`;
  }
  return null;
}

/** A warning per pair of a stanza's backup jobs that start at the same minute. */
export function scheduleCollisions(jobs: ScheduledJob[], from = new Date()): Diagnostic[] {
  const several = new Set(jobs.map((job) => job.repo)).size > 1;
  const name = (job: ScheduledJob) => `${several ? `repo${job.repo}'s ` : 'the '}${job.type} backup`;
  const warnings: Diagnostic[] = [];
  jobs.forEach((a, index) => {
    for (const b of jobs.slice(index + 1)) {
      const minute = sharedMinute(a.schedule, b.schedule, from);
      if (minute === null) continue;
      const keys =
        a.key === b.key ? `both ${a.key} = "${a.schedule}"` : `${a.key} = "${a.schedule}", ${b.key} = "${b.schedule}"`;
      warnings.push(
        warning(
          `${name(a)} and ${name(b)} start at the same minute (${keys}), first at ${minute}: the second waits for the first (one backup of a stanza at a time); give them different minutes or days`,
        ),
      );
    }
  });
  return warnings;
}

/** Each repository's backup jobs, with the key that sets each schedule (its own, [schedule]'s, or the default). */
export function scheduledJobs(
  shared: RawSchedule | undefined,
  repos: Array<{ schedule?: RawSchedule }>,
  repoPath: (index: number) => string,
  defaults: Schedule,
): ScheduledJob[] {
  return repos.flatMap((repo, index) =>
    (['full', 'diff', 'incr'] as const).flatMap((type) => {
      const own = repo.schedule?.[type];
      const schedule = own ?? shared?.[type] ?? defaults[type];
      if (schedule === undefined) return [];
      const key =
        own !== undefined
          ? `${repoPath(index)}.schedule.${type}`
          : `schedule.${type}${shared?.[type] === undefined ? ' (default)' : ''}`;
      return [{ repo: index + 1, type, schedule, key }];
    }),
  );
}
