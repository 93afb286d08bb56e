// The two formats that give `%` a meaning, each with its one writer in lib/formats/: a
// crontab line (cron.ts) and PostgreSQL's archive_command and restore_command
// (pg-command.ts). What they write is read by the programs' own rules (test/support/readers.ts)
// as the command bsync meant, on made-up text full of %, backslashes and quotes; and bsync's
// crontab reader reads every line as cron does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRON_COMMAND_MAX, cronCommandText, cronJob, cronLine } from '../../lib/formats/cron.js';
import { pgCommand, pgCommandRun } from '../../lib/formats/pg-command.js';
import { verifyScript, type VerifyJob } from '../../lib/verify/script.js';
import { cronRuns, postgresRuns } from '../support/readers.js';
import { seededRandom } from '../support/random.js';

const random = seededRandom();
/** Text of `length` characters from `alphabet`. */
const text = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
const SCHEDULES = ['10 0 * * 0', '*/5 1-3 * jan mon-fri', '@daily'];

describe('a crontab line', () => {
  it('cron runs the command bsync wrote, and cronJob reads it back: schedule and command', () => {
    for (let run = 0; run < 3000; run += 1) {
      const command = text('ab %\\\'"#;&|$=/-', 1 + random(30));
      const schedule = SCHEDULES[random(SCHEDULES.length)];
      if (command.includes('\\%') || command.startsWith(' ')) {
        expect(() => cronLine(schedule, command), command).toThrow(/cannot carry/);
        continue;
      }
      const line = cronLine(schedule, command);
      expect(cronRuns(line), line).toBe(command);
      expect(cronJob(line), line).toEqual({ schedule, command });
    }
  });

  it('cronJob reads any job line as cron does', () => {
    for (let run = 0; run < 3000; run += 1) {
      const line = `${SCHEDULES[random(SCHEDULES.length)].replaceAll(' ', '  ')} ${text('ab %\\\'"#', random(20))}`;
      const job = cronJob(line);
      if (job) expect(job.command, line).toBe(cronRuns(line));
    }
    expect(cronJob('# 10 0 * * 0 pgbackrest')).toBeNull();
    expect(cronJob('MAILTO=root')).toBeNull();
    expect(cronJob('  10   0 * * 0   run %stdin')).toEqual({ schedule: '10 0 * * 0', command: 'run ' });
  });

  it('refuses what a line cannot carry, rather than write something else', () => {
    for (const schedule of ['10 0 * * 0\n* * * * *', ' 10 0 * * 0', '10 0 * * %', '10 0 * *'])
      expect(() => cronLine(schedule, 'true'), schedule).toThrow(/not a cron schedule for a crontab line/);
    for (const command of ['true\n* * * * * evil', 'true\r', 'a\0b', 'printf \\%', ' true'])
      expect(() => cronLine('10 0 * * 0', command), command).toThrow(/cannot carry/);
  });
});

describe("PostgreSQL's archive_command and restore_command", () => {
  const VALUES = { p: 'pg_wal/000000010000000000000001', f: '000000010000000000000001', r: '000000010000000000000000' };

  it('runs a literal as written and its own placeholders as placeholders', () => {
    for (let run = 0; run < 3000; run += 1) {
      const literal = text('ab%pfr%% "/', random(20));
      const command = pgCommand`env TOKEN=${literal} pgbackrest archive-get %f "%p" %r`;
      const meant = `env TOKEN=${literal} pgbackrest archive-get ${VALUES.f} "${VALUES.p}" ${VALUES.r}`;
      expect(postgresRuns(command, VALUES), command).toBe(meant);
      expect(pgCommandRun(command, VALUES), command).toBe(meant);
    }
  });

  it('pgCommandRun refuses what PostgreSQL 16 refuses: a placeholder it was not given, a % at the end', () => {
    for (const command of ['cp %x /a', 'cp %p %r', 'cp %'])
      expect(() => pgCommandRun(command, { p: 'a', f: 'b' }), command).toThrow(/placeholder/);
    expect(() => postgresRuns('cp %', {})).toThrow(/placeholder/);
  });

  it("verify's restore_command, written where its folder is known only then: a % in the folder is doubled too", () => {
    const job = {
      stanza: 'pgedge-lab-1',
      pgbackrest: 'env AWS_WEB_IDENTITY_TOKEN_FILE=/run/%p/token pgbackrest',
      path: '/var/tmp/bsync-verify',
      runAs: 'postgres',
      pgHostCount: 1,
    } as VerifyJob;
    // The step's own script, as RUNAS's shell reads it, in a scratch folder with a % in its name.
    const script = verifyScript(job);
    const start = script.indexOf("<<'BSYNC_CONFIGURE'\n") + "<<'BSYNC_CONFIGURE'\n".length;
    const dir = mkdtempSync(join(tmpdir(), 'bsync-100%p-'));
    mkdirSync(join(dir, 'data'));
    execFileSync('/bin/sh', ['-c', script.slice(start, script.indexOf('\nBSYNC_CONFIGURE', start))], {
      env: { PATH: process.env.PATH, DIR: dir, PORT: '5999' },
    });
    const conf = readFileSync(join(dir, 'data', 'postgresql.auto.conf'), 'utf8');
    rmSync(dir, { recursive: true });
    const command = /^restore_command = '(.*)'$/m.exec(conf)![1];
    expect(postgresRuns(command, VALUES)).toBe(
      `env AWS_WEB_IDENTITY_TOKEN_FILE=/run/%p/token pgbackrest --stanza=pgedge-lab-1 --reset-pg1-host --pg1-path=${dir}/data archive-get ${VALUES.f} "${VALUES.p}"`,
    );
  });
});

describe("cron's line length", () => {
  it('refuses a command longer than cron installs, rather than a crontab cron refuses whole', () => {
    expect(cronCommandText('x'.repeat(CRON_COMMAND_MAX))).toHaveLength(CRON_COMMAND_MAX);
    expect(() => cronCommandText('x'.repeat(CRON_COMMAND_MAX + 1))).toThrow(/999 characters, more than the 998/);
    // An escaped % counts as the two characters cron reads.
    expect(() => cronCommandText(`${'x'.repeat(CRON_COMMAND_MAX - 1)}%`)).toThrow(/more than the 998/);
  });
});
