// lib/config/cron.ts answers plain schedules without loading cron-parser: its answers must be
// cron-parser's, word for word, for plain schedules and for every other.
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { cronProblem, plainlyValid } from '../../lib/config/cron.js';
import { seededRandom } from '../support/random.js';

/** cronProblem as it was before the plain forms: cron-parser decides every five-field schedule. */
function reference(schedule: string): string | null {
  const trimmed = schedule.trim();
  if (['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(trimmed)) return null;
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

describe('cron schedules', () => {
  it('the defaults and the usual schedules are plain: no cron-parser for them', () => {
    for (const schedule of ['10 0 * * 0', '10 0 * * 1-6', '30 2 * * *', '0 */6 * * *', '0 1 1 * *', '15 3 * * 1,3,5'])
      expect(plainlyValid(schedule.split(' ')), schedule).toBe(true);
  });

  it('a plain schedule is one cron-parser accepts, and every answer is the one cron-parser gives', () => {
    const items = [
      '*',
      '*/1',
      '*/5',
      '*/0',
      '*/7',
      '*/24',
      '*/60',
      '*/61',
      '0',
      '1',
      '00',
      '5',
      '6',
      '7',
      '8',
      '12',
      '13',
      '23',
      '24',
      '28',
      '29',
      '30',
      '31',
      '32',
      '59',
      '60',
      '1-5',
      '0-6',
      '0-7',
      '5-1',
      '3-3',
      '1-31',
      '2-30',
      '1-12',
      '0-59',
      '10-20/2',
      'mon',
      'jan',
      'L',
      '?',
    ];
    const random = seededRandom();
    const RANGES = [
      [0, 59],
      [0, 23],
      [1, 31],
      [1, 12],
      [0, 7],
    ];
    // Near the edges of the plain forms: values just in and just out of range, ranges either way round, steps.
    const near = (index: number) => {
      const [min, max] = RANGES[index];
      const value = () => String(min - 1 + random(max - min + 3));
      const item = () => {
        const kind = random(6);
        if (kind === 0) return `*/${random(max + 2)}`;
        if (kind === 1) return `${value()}-${value()}`;
        if (kind === 2) return `${value()}-${value()}/${random(4)}`;
        return value();
      };
      return random(3) === 0 ? '*' : Array.from({ length: 1 + random(3) }, item).join(',');
    };
    const anyField = () =>
      Array.from({ length: 1 + (random(4) === 0 ? random(3) + 1 : 0) }, () => items[random(items.length)]).join(',');
    // The edges that cron-parser refuses: the same value twice (Sunday as 0 and 7 too), a day no month named has.
    const edges = ['0 0 * * 0,7', '0 0 * * 0-3,7', '0,0 * * * *', '1-3,3 * * * *', '0 0 30 2 *', '0 0 31 4,6 *'];
    let plain = 0;
    for (let line = 0; line < 20000 + edges.length; line += 1) {
      const fields =
        line < edges.length
          ? edges[line].split(' ')
          : Array.from({ length: 5 }, (_, index) => (random(5) === 0 ? anyField() : near(index)));
      const schedule = fields.join(' ');
      const expected = reference(schedule);
      if (plainlyValid(fields)) {
        plain += 1;
        expect(expected, schedule).toBeNull();
      }
      expect(cronProblem(schedule), schedule).toBe(expected);
    }
    expect(plain).toBeGreaterThan(200);
  });
});
