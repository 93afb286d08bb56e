// A cron schedule is validated by cron-parser (ranges, names, steps) and must be five
// fields of cron syntax only, since it is written into a crontab line. cron-parser, with the
// luxon it loads and the time zone data luxon asks Intl for, costs a no-op plan about as
// much CPU as the rest of the config's checks (docs/architecture.md, What startup costs):
// a schedule of the plain forms below is one cron-parser accepts, so only the others load it.
// test/unit/cron.test.ts checks that, and that every answer is cron-parser's.
import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';

const require = createRequire(import.meta.url);

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** minute, hour, day of month, month, day of week: the values the plain forms may name (7 for Sunday is not one). */
const PLAIN_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

/**
 * True when every field is `*`; or numbers and ranges (`a-b`, a < b) in rising order that
 * never meet (so no value twice), listed with commas; or, for minute and hour, `*\/n`. A day
 * of the month past the 28th only with every month (cron-parser refuses a day no month named has).
 */
export function plainlyValid(fields: string[]): boolean {
  const month = fields[3];
  return fields.every((field, index) => {
    if (field === '*') return true;
    const [min, max] = PLAIN_RANGES[index];
    const step = /^\*\/(0|[1-9][0-9]?)$/.exec(field);
    if (step) return index <= 1 && Number(step[1]) >= 1 && Number(step[1]) <= max;
    const top = index === 2 && month !== '*' ? 28 : max;
    let last = min - 1;
    return field.split(',').every((item) => {
      const range = /^(0|[1-9][0-9]?)(?:-(0|[1-9][0-9]?))?$/.exec(item);
      if (!range) return false;
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      if (from <= last || (range[2] !== undefined && to <= from) || to > top) return false;
      last = to;
      return true;
    });
  });
}

/** A schedule as the Inventory holds it and crontab lines write it: no white space at its ends, one space between fields. */
export function cronSpelling(schedule: string): string {
  return schedule.trim().replace(/ {2,}/g, ' ');
}

/** null when the schedule is good, else what is wrong with it (of its spelling: white space at its ends does not count). */
export function cronProblem(schedule: string): string | null {
  const trimmed = cronSpelling(schedule);
  if (trimmed === '') return 'is empty';
  if (MACROS.has(trimmed)) return null;
  if (!/^[0-9A-Za-z*/,\- ]+$/.test(trimmed)) return 'has characters that are not cron syntax';
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5)
    return `has ${fields.length} fields; cron takes 5 (minute hour day-of-month month day-of-week)`;
  if (plainlyValid(fields)) return null;
  try {
    (require('cron-parser') as typeof CronParser).CronExpressionParser.parse(trimmed);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
