// Backups of one stanza that cron starts at the same minute are named by validate and plan
// (lib/config/schedule-collisions.ts): both keys and the minute.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { scheduleCollisions, sharedMinute } from '../../lib/config/schedule-collisions.js';
import { bsync, FIXTURES } from '../support/bsync.js';

// Thursday, 7 January 2027.
const FROM = new Date('2027-01-07T12:00:00Z');
const HOSTS =
  '[backup_user]\nenabled = false\n[[host]]\nname = "pg1"\nrole = "postgres"\n[[host]]\nname = "backup1"\nrole = "backup"\n';
const SECRETS = 'cipher_type = "none"\n';
const config = (text: string, hosts = HOSTS) =>
  parseConfig(`[cluster]\nname = "demo"\n${text}${hosts}`, '/tmp/bsync.toml', {});
/** Two folders on the PostgreSQL host (no backup host). */
const POSIX = (own = '') =>
  config(
    `[[repo]]\ntype = "posix"\npath = "/srv/repo1"\n${SECRETS}[[repo]]\ntype = "posix"\npath = "/srv/repo2"\n${SECRETS}${own}`,
    '[backup_user]\nenabled = false\n[[host]]\nname = "pg1"\nrole = "postgres"\n',
  ).warnings.map((warning) => warning.message);

describe('schedules that start at the same minute', () => {
  it('finds the first minute two schedules share, days of the week and of the month as cron reads them', () => {
    expect(sharedMinute('10 0 * * 0', '10 0 * * 1-6', FROM)).toBeNull();
    expect(sharedMinute('10 0 * * 0', '10 0 * * *', FROM)).toBe('00:10 on Sun 2027-01-10');
    expect(sharedMinute('10 0 * * 0', '20 0 * * *', FROM)).toBeNull();
    expect(sharedMinute('0 */6 * * *', '0 12 * * 5', FROM)).toBe('12:00 on Fri 2027-01-08');
    // Day of month and day of week both restricted: cron runs on either.
    expect(sharedMinute('30 2 1 * 1', '30 2 * * 3', FROM)).toBe('02:30 on Wed 2027-09-01');
    expect(sharedMinute('30 2 1 * 3', '30 2 * * 3', FROM)).toBe('02:30 on Wed 2027-01-13');
    expect(sharedMinute('30 2 1 * *', '30 2 * * 3', FROM)).toBe('02:30 on Wed 2027-09-01');
    expect(sharedMinute('@daily', '0 0 * * sun', FROM)).toBe('00:00 on Sun 2027-01-10');
    expect(sharedMinute('0 0 29 2 *', '0 0 * * *', FROM)).toBe('00:00 on Tue 2028-02-29');
  });

  it('the defaults never collide; a diff every day collides with the Sunday full, naming both keys and the minute', () => {
    expect(config(`[repo]\n${SECRETS}`).warnings).toEqual([]);
    const warnings = scheduleCollisions(
      [
        { repo: 1, type: 'full', schedule: '10 0 * * 0', key: 'schedule.full (default)' },
        { repo: 1, type: 'diff', schedule: '10 0 * * *', key: 'schedule.diff' },
      ],
      FROM,
    );
    expect(warnings).toEqual([
      {
        severity: 'warning',
        message:
          'the full backup and the diff backup start at the same minute (schedule.full (default) = "10 0 * * 0", schedule.diff = "10 0 * * *"), first at 00:10 on Sun 2027-01-10: the second waits for the first (one backup of a stanza at a time); give them different minutes or days',
      },
    ]);
    const loaded = config(`[schedule]\ndiff = "10 0 * * *"\n[repo]\n${SECRETS}`).warnings.map(
      (warning) => warning.message,
    );
    expect(loaded).toHaveLength(1);
    expect(loaded[0]).toMatch(
      /^the full backup and the diff backup start at the same minute \(schedule\.full \(default\) = "10 0 \* \* 0", schedule\.diff = "10 0 \* \* \*"\), first at 00:10 on Sun /,
    );
  });

  it('two repositories on one schedule collide, each type; their own schedules apart do not', () => {
    const shared = POSIX();
    expect(shared.map((warning) => warning.replace(/ first at .*/, ''))).toEqual([
      `repo1's full backup and repo2's full backup start at the same minute (both schedule.full (default) = "10 0 * * 0"),`,
      `repo1's diff backup and repo2's diff backup start at the same minute (both schedule.diff (default) = "10 0 * * 1-6"),`,
    ]);
    const apart = POSIX('schedule = { full = "40 1 * * 0", diff = "40 1 * * 1-6" }\n');
    expect(apart).toEqual([]);
    const one = POSIX('schedule = { full = "40 1 * * 0", diff = "10 0 * * 1-6" }\n');
    expect(one.map((warning) => warning.replace(/ first at .*/, ''))).toEqual([
      `repo1's diff backup and repo2's diff backup start at the same minute (schedule.diff (default) = "10 0 * * 1-6", repo[2].schedule.diff = "10 0 * * 1-6"),`,
    ]);
  });

  it('validate prints them as warnings and still passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-collide-'));
    const file = join(dir, 'bsync.toml');
    // validate checks the [ssh] files too: the fixtures' throwaway key and known_hosts.
    const ssh = `[ssh]\nidentity = "${FIXTURES}good/keys/id_ed25519"\nknown_hosts = "${FIXTURES}good/keys/known_hosts"\n`;
    writeFileSync(file, `[cluster]\nname = "demo"\n${ssh}[schedule]\ndiff = "10 0 * * *"\n[repo]\n${SECRETS}${HOSTS}`);
    const result = await bsync(['validate', '-c', file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: the full backup and the diff backup start at the same minute/);
  });

  it('plan prints them before it reaches the hosts (here: none answers)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-collide-'));
    const file = join(dir, 'bsync.toml');
    let n = 0;
    const unreachable = HOSTS.replaceAll('role = ', () => `address = "127.0.0.${++n}"\nssh_port = 9\nrole = `);
    writeFileSync(
      file,
      `[cluster]\nname = "demo"\n[ssh]\nconnect_timeout = 2\n[schedule]\ndiff = "10 0 * * *"\n[repo]\n${SECRETS}${unreachable}`,
    );
    const result = await bsync(['plan', '-c', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^warning: the full backup and the diff backup start at the same minute \(schedule\.full \(default\) = "10 0 \* \* 0", schedule\.diff = "10 0 \* \* \*"\), first at 00:10 on Sun /m,
    );
  });
});
