// A cron schedule is validated by cron-parser (ranges, names, steps) and must be five
// fields of cron syntax only, since it is written into a crontab line.
import { CronExpressionParser } from 'cron-parser';

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** null when the schedule is good, else what is wrong with it. */
export function cronProblem(schedule: string): string | null {
  const trimmed = schedule.trim();
  if (MACROS.has(trimmed)) return null;
  if (!/^[0-9A-Za-z*/,\- ]+$/.test(trimmed)) return 'has characters that are not cron syntax';
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5)
    return `has ${fields.length} fields; cron takes 5 (minute hour day-of-month month day-of-week)`;
  try {
    CronExpressionParser.parse(trimmed);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
