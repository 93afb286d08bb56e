// Issue 19, items 3 and 6, on facts recorded from the lab's ssh scenario: retention by time
// and archive retention, incr schedules, pgBackRest command sections, and the combinations
// pgBackRest rejects or silently ignores. What pgbackrest.conf and the crontabs get, what a
// host's release refuses, and that a config without the new keys plans nothing. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError, type ConfigError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, SSH_CONFIG, withSecondRepo, problemsOf } from '../support/configs.js';
import { scheduledBackup } from '../../lib/desired/backups.js';

const STANZA = 'pgedge-lab-1';
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];

const load = (text: string): Inventory => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);

/** ssh.toml with its [repo] retention line replaced, and `extra` at the end. */
function config(retention = 'retention = { full = 1, diff = 6 }', extra = ''): string {
  return `${SSH_CONFIG.replace('retention = { full = 1, diff = 6 }', retention)}${extra}`;
}

function facts(version?: string): Map<string, HostFacts> {
  const recorded = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  if (version) for (const hostFacts of recorded.values()) hostFacts.pgbackrestVersion = version;
  return recorded;
}

function plan(text: string, hostFacts = facts()) {
  const inventory = load(text);
  return buildPlan(
    inventory,
    inventory.hosts.map((host) => host.name),
    desiredResources(inventory, hostFacts),
  ).plan;
}

/** The lines an action's diff adds (`+…`), without the file header. */
function added(planned: ReturnType<typeof plan>, address: string): string[] {
  const diff = planned.actions.find((action) => action.address === address)?.diff ?? '';
  return diff
    .split('\n')
    .filter((line) => line.startsWith('+') && !line.startsWith('+++'))
    .map((line) => line.slice(1));
}

/** Every problem the config loader reports, one message each, in the file's order. */
const problems = (text: string) => problemsOf(() => load(text), false);

/** The message planning stops with, or null when it plans. */
function refusal(text: string, hostFacts: Map<string, HostFacts>): string | null {
  try {
    plan(text, hostFacts);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(BsyncError);
    return (error as BsyncError).message;
  }
}

describe('a config without the new keys', () => {
  it('plans nothing on the converged scenario: no retention-type line, no incr job, no command section', () => {
    const planned = plan(config());
    expect(planned.actions).toEqual([]);
    expect(renderPlanText(planned, { color: false })).toBe('No changes. 4 hosts match ssh.toml.\n');
    expect(load(config()).repos[0].retention).toEqual({ full: 1, diff: 6 });
    expect(load(config()).repos[0].schedule).toEqual({ full: '10 0 * * 0', diff: '10 0 * * 1-6' });
  });
});

describe('retention', () => {
  it('by time: repo1-retention-full counts days, and -full-type says so, on every host', () => {
    const planned = plan(config('retention = { full = 14, full_type = "time" }'));
    for (const host of HOSTS) {
      expect(added(planned, `${host}.pgbackrest_conf`), host).toEqual([
        'repo1-retention-full=14',
        'repo1-retention-full-type=time',
      ]);
      expect(planned.actions.find((action) => action.address === `${host}.pgbackrest_conf`)?.diff).toContain(
        '-repo1-retention-full=1\n',
      );
    }
  });

  it('archive retention: repo1-retention-archive and -archive-type after full and diff', () => {
    const planned = plan(config('retention = { full = 2, diff = 6, archive = 4, archive_type = "diff" }'));
    const diff = planned.actions.find((action) => action.address === 'ssh-backup1.pgbackrest_conf')?.diff ?? '';
    expect(diff).toMatch(
      /\+repo1-retention-full=2\n repo1-retention-diff=6\n\+repo1-retention-archive=4\n\+repo1-retention-archive-type=diff\n/,
    );
  });

  it('full_type = "count" written out reads the same as pgBackRest\'s default: nothing to change', () => {
    expect(plan(config('retention = { full = 1, full_type = "count", diff = 6 }')).actions).toEqual([]);
  });

  it('each repository its own: repo2 gets its retention lines, repo1 keeps its own', () => {
    const two = withSecondRepo(s3Repo('retention = { full = 30, full_type = "time", archive = 2 }'));
    const inventory = load(two);
    expect(inventory.repos.map((repo) => repo.retention)).toEqual([
      { full: 1, diff: 6 },
      { full: 30, fullType: 'time', diff: 6, archive: 2 },
    ]);
    const lines = added(plan(two), 'ssh-backup1.pgbackrest_conf');
    expect(lines).toEqual(
      expect.arrayContaining([
        'repo2-retention-full=30',
        'repo2-retention-full-type=time',
        'repo2-retention-diff=6',
        'repo2-retention-archive=2',
      ]),
    );
    expect(lines.some((line) => line.startsWith('repo1-retention'))).toBe(false);
  });

  it('refuses what makes no sense, with the reason', () => {
    expect(problems(config('retention = { full = 2, archive_type = "incr" }'))).toEqual([
      'repo.retention.archive_type: needs repo.retention.archive: archive_type says which backups archive counts, and without archive pgBackRest expires no WAL at all: it warns and keeps every segment, and the repository grows without bound',
    ]);
    expect(problems(config('retention = { full = 0, full_type = "time" }'))).toEqual([
      'repo.retention.full: must be at least 1, got 0: pgBackRest keeps at least one full backup, or with full_type = "time" the full backups of at least one day',
    ]);
    expect(problems(config('retention = { full = 2, full_type = "days" }'))).toEqual([
      'repo.retention.full_type: must be one of "count", "time", got "days"',
    ]);
    expect(problems(config('retention = { full = 2, archive = 0 }'))[0]).toMatch(
      /^repo\.retention\.archive: must be at least 1, got 0/,
    );
  });

  it("is checked against each host's release like [pgbackrest.*] options", () => {
    const older = facts();
    older.get('ssh-backup2')!.pgbackrestVersion = '2.40';
    expect(refusal(config('retention = { full = 14, full_type = "time" }'), older)).toBe(
      'repo.retention.full_type: host ssh-backup2 runs pgBackRest 2.40: that is older than 2.45, the oldest release whose option list bsync has, so bsync cannot tell whether 2.40 has repo-retention-full-type',
    );
    // Both lists have every retention option: 2.45 and 2.55 hosts plan it.
    for (const version of ['2.45', '2.55.1'])
      expect(refusal(config('retention = { full = 14, full_type = "time", archive = 3 }'), facts(version))).toBeNull();
    // Without the new keys, bsync's own full and diff lines are not version-checked (as before).
    expect(refusal(config(), older)).toBeNull();
  });
});

describe('incr schedules', () => {
  /** The incr job's command as bsync writes it, run by the job script (`repo`: ' --repo=2' for repo2's). */
  const incrJob = (stanza: string, repo = '') =>
    scheduledBackup(stanza, 'incr', `pgbackrest --stanza=${stanza}${repo} --type=incr backup`, repo ? 2 : 1);
  const withIncr = (schedule = 'full = "10 0 * * 0"\ndiff = "10 0 * * 1-6"\nincr = "10 6-23/6 * * *"') =>
    SSH_CONFIG.replace(/\[schedule\]\n[^[]*/, `[schedule]\n${schedule}\n\n`);

  it('adds an incr job with its own mark to the crontab that holds the full and diff jobs', () => {
    const planned = plan(withIncr());
    expect(added(planned, 'ssh-backup1.crontab[backrest]')).toEqual([
      `10 6-23/6 * * * ${incrJob(STANZA)} # bsync:incr:${STANZA}`,
    ]);
    expect(added(planned, 'ssh-backup2.crontab[backrest]')).toEqual([
      `10 6-23/6 * * * ${incrJob('pgedge-lab-2')} # bsync:incr:pgedge-lab-2`,
    ]);
    expect(planned.actions.map((action) => action.address)).toEqual([
      'ssh-backup1.crontab[backrest]',
      'ssh-backup2.crontab[backrest]',
    ]);
  });

  it('a converged crontab holding the incr job plans nothing; removing incr from the config removes the job', () => {
    const converged = facts();
    for (const [host, stanza] of [
      ['ssh-backup1', STANZA],
      ['ssh-backup2', 'pgedge-lab-2'],
    ])
      converged.get(host)!.crontabs.backrest += `10 6-23/6 * * * ${incrJob(stanza)} # bsync:incr:${stanza}\n`;
    expect(plan(withIncr(), converged).actions).toEqual([]);
    const removed = plan(config(), converged);
    expect(removed.actions.find((action) => action.address === 'ssh-backup1.crontab[backrest]')?.diff).toContain(
      `-10 6-23/6 * * * ${incrJob(STANZA)} # bsync:incr:${STANZA}`,
    );
  });

  it("per repository: repo2 has its own incr job with --repo=2, repo1 takes [schedule]'s", () => {
    const two = withSecondRepo(s3Repo('schedule = { incr = "40 */4 * * *" }'));
    const lines = added(plan(two), 'ssh-backup1.crontab[backrest]');
    expect(lines).toContain(`40 */4 * * * ${incrJob(STANZA, ' --repo=2')} # bsync:incr-repo2:${STANZA}`);
    expect(lines.some((line) => line.includes('bsync:incr:'))).toBe(false);
  });

  it('without a backup host each PostgreSQL host runs it behind the standby guard', () => {
    const posix = SSH_CONFIG.replace('type = "ssh"', 'type = "posix"')
      .replace('path = "/home/backrest"\nuser = "backrest"\n', '')
      .replace(/\[\[host\]\]\nname = "ssh-backup1"[\s\S]*$/, '')
      .replace(/\[schedule\]\n/, '[schedule]\nincr = "10 */6 * * *"\n');
    const hostFacts = facts();
    hostFacts.delete('ssh-backup1');
    hostFacts.delete('ssh-backup2');
    const inventory = load(posix);
    const resources = desiredResources(inventory, hostFacts);
    const crontab = resources.find((resource) => resource.address === 'ssh-pg1.crontab[postgres]');
    const lines = (crontab?.change?.diff?.after ?? [])
      .map((part) => (typeof part === 'string' ? part : ''))
      .join('')
      .split('\n');
    const incr = lines.find((line) => line.endsWith(`# bsync:incr:${STANZA}`));
    expect(incr).toMatch(
      /^10 \*\/6 \* \* \* \[ "\$\(.*pg_is_in_recovery\(\)'.*" = t \] \|\| \/etc\/pgbackrest\/bsync-backup-job \S+\.bsync-incr-repo1\.outcome \S+\.lock pgbackrest --stanza=pgedge-lab-1 --type=incr backup # bsync:incr:pgedge-lab-1$/,
    );
  });

  it('refuses an incr schedule that never fires or is not cron, like full and diff', () => {
    expect(problems(withIncr('incr = "0 0 30 2 *"'))[0]).toMatch(
      /^schedule\.incr: "0 0 30 2 \*" is not a cron schedule: /,
    );
    expect(problems(withIncr('incr = "every hour"'))[0]).toMatch(
      /^schedule\.incr: "every hour" is not a cron schedule/,
    );
    const two = withSecondRepo(s3Repo('schedule = { incr = "61 * * * *" }'));
    expect(problems(two)[0]).toMatch(/^repo\[2\]\.schedule\.incr: "61 \* \* \* \*" is not a cron schedule/);
  });
});

describe('command sections', () => {
  const SECTIONS =
    '\n[pgbackrest."global:archive-push"]\nprocess-max = 4\n\n[pgbackrest."global:archive-get"]\nprocess-max = 2\n\n[pgbackrest."stanza:backup"]\nprocess-max = 8\n';

  it('become [global:COMMAND] after [global] and [<stanza>:COMMAND] after the stanza, sorted by command', () => {
    const inventory = load(config(undefined, SECTIONS));
    expect(inventory.pgbackrest.commands.map((section) => `${section.scope}:${section.command}`)).toEqual([
      'global:archive-get',
      'global:archive-push',
      'stanza:backup',
    ]);
    const resources = desiredResources(inventory, facts());
    for (const [host, stanza] of [
      ['ssh-pg1', STANZA],
      ['ssh-backup2', 'pgedge-lab-2'],
    ]) {
      const after = resources.find((resource) => resource.address === `${host}.pgbackrest_conf`)?.change?.diff?.after;
      const text = (after ?? []).map((part) => (typeof part === 'string' ? part : '(sensitive)')).join('');
      expect(text, host).toContain(
        `\n[global:archive-get]\nprocess-max=2\n\n[global:archive-push]\nprocess-max=4\n\n[${stanza}]\n`,
      );
      expect(text.endsWith(`\n[${stanza}:backup]\nprocess-max=8\n`), host).toBe(true);
    }
  });

  it('a pgbackrest.conf holding them, in any order, is in sync (compared as pgBackRest reads it)', () => {
    const converged = facts();
    for (const [host, hostFacts] of converged) {
      const stanza = host.endsWith('2') ? 'pgedge-lab-2' : STANZA;
      const conf = hostFacts.files['/etc/pgbackrest/pgbackrest.conf']!;
      conf.content = `${conf.content}\n[${stanza}:backup]\nprocess-max=8\n[global:archive-push]\nprocess-max=4\n\n[global:archive-get]\nprocess-max=2\n`;
    }
    expect(plan(config(undefined, SECTIONS), converged).actions).toEqual([]);
  });

  it('archive-async in [global:archive-push] gives the PostgreSQL hosts the spool folder', () => {
    const planned = plan(config(undefined, '\n[pgbackrest."global:archive-push"]\narchive-async = true\n'));
    expect(planned.actions.map((action) => action.address)).toEqual(
      expect.arrayContaining(['ssh-pg1.directory[/var/spool/pgbackrest]', 'ssh-pg2.directory[/var/spool/pgbackrest]']),
    );
  });

  it('refuses an unknown command, an option the command does not read, a stanza option in a global section, and one option in both', () => {
    expect(
      problems(
        config(
          undefined,
          [
            '',
            '[pgbackrest."global:archive-pull"]',
            'process-max = 4',
            '[pgbackrest."global:archive-push"]',
            'start-fast = true',
            'pg-version-force = "15"',
            '[pgbackrest."global:backup"]',
            'process-max = 4',
            '[pgbackrest."stanza:backup"]',
            'process-max = 4',
            '',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'pgbackrest."global:archive-pull": unknown pgBackRest command "archive-pull" (did you mean "archive-push"?): pgBackRest reads a [global:COMMAND] section only for a command it has',
      'pgbackrest."global:archive-push".start-fast: is not an option of pgBackRest\'s archive-push command: pgBackRest warns that it is invalid for the section and ignores it',
      'pgbackrest."global:archive-push".pg-version-force: goes in a stanza section only: put it in [pgbackrest."stanza:archive-push"]',

      'pgbackrest."stanza:backup".process-max: is also set in [pgbackrest."global:backup"]',
    ]);
  });

  it('names the line of a problem in a command section', () => {
    try {
      load(config(undefined, '\n[pgbackrest."global:archive-push"]\nstart-fast = true\n'));
      throw new Error('accepted');
    } catch (error) {
      expect((error as ConfigError).where).toBe(`${FIXTURES}lab/ssh.toml:${SSH_CONFIG.split('\n').length + 2}`);
    }
  });

  it("are refused per host where its release's command does not read the option", () => {
    // protocol-timeout is an option of expire from 2.55 on (2.45's help does not list it there).
    const text = config(undefined, '\n[pgbackrest."global:expire"]\nprotocol-timeout = 120\n');
    expect(refusal(text, facts('2.45'))).toBe(
      'pgbackrest."global:expire".protocol-timeout: host ssh-pg1 runs pgBackRest 2.45: by the option list of 2.45, its expire command does not read protocol-timeout (pgBackRest 2.55 to 2.60 reads it there)',
    );
    expect(refusal(text, facts('2.55.1'))).toBeNull();
    const page = config(undefined, '\n[pgbackrest."global:backup"]\npage-header-check = false\n');
    expect(refusal(page, facts('2.45'))).toBe(
      'pgbackrest."global:backup".page-header-check: host ssh-pg1 runs pgBackRest 2.45: 2.45 does not have page-header-check (pgBackRest 2.55 has it)',
    );
  });
});

describe('combinations pgBackRest rejects or silently ignores', () => {
  it("block incremental without bundling: refused from pgBackRest's own depend rule, accepted with repo1-bundle", () => {
    // bsync writes repo1-bundle=y itself (its measured default): block alone is accepted.
    expect(
      load(config(undefined, '\n[pgbackrest.global]\nrepo1-block = true\n')).pgbackrest.global.map(
        (option) => option.key,
      ),
    ).toEqual(['repo1-block']);
    expect(problems(config(undefined, '\n[pgbackrest.global]\nrepo1-block = true\nrepo1-bundle = false\n'))).toEqual([
      'pgbackrest.global.repo1-block: pgBackRest ignores it unless repo1-bundle is true (its option table: repo-block depends on repo-bundle), and repo1-bundle is false here (pgbackrest.global.repo1-bundle)',
    ]);
    const both = load(config(undefined, '\n[pgbackrest.global]\nrepo1-block = true\nrepo1-bundle = true\n'));
    expect(both.pgbackrest.global.map((option) => option.key)).toEqual(['repo1-block', 'repo1-bundle']);
    // repo1-bundle off for the backup command alone is as good as off.
    expect(
      problems(
        config(
          undefined,
          '\n[pgbackrest.global]\nrepo1-block = true\nrepo1-bundle = true\n\n[pgbackrest."global:backup"]\nrepo1-bundle = false\n',
        ),
      ),
    ).toEqual([
      'pgbackrest.global.repo1-block: pgBackRest ignores it unless repo1-bundle is true (its option table: repo-block depends on repo-bundle), and repo1-bundle is false here (pgbackrest."global:backup".repo1-bundle)',
    ]);
  });

  it('an object-store option on a repository that is not one, from what bsync writes for repoN-type', () => {
    expect(problems(config(undefined, '\n[pgbackrest.global]\nrepo1-storage-upload-chunk-size = "16MiB"\n'))).toEqual([
      'pgbackrest.global.repo1-storage-upload-chunk-size: pgBackRest ignores it unless repo1-type is azure or gcs or s3 (its option table: repo-storage-upload-chunk-size depends on repo-type), and repo1-type is posix here (what bsync writes)',
    ]);
    const two = withSecondRepo(s3Repo()).concat('\n[pgbackrest.global]\nrepo2-storage-upload-chunk-size = "16MiB"\n');
    expect(load(two).pgbackrest.global.map((option) => option.key)).toEqual(['repo2-storage-upload-chunk-size']);
  });

  it('expire-auto off is refused (bsync schedules no expire job); on is accepted', () => {
    expect(problems(config(undefined, '\n[pgbackrest.global]\nexpire-auto = false\n'))).toEqual([
      'pgbackrest.global.expire-auto: turns off the expire that each backup runs, and bsync schedules no expire job: backups and WAL would never expire, and the repository would grow until it is full',
    ]);
    expect(problems(config(undefined, '\n[pgbackrest."global:backup"]\nexpire-auto = false\n'))[0]).toMatch(
      /^pgbackrest\."global:backup"\.expire-auto: turns off the expire/,
    );
    expect(load(config(undefined, '\n[pgbackrest.global]\nexpire-auto = true\n')).pgbackrest.global).toHaveLength(1);
  });

  it('TLS server and client options are refused, naming the option: bsync writes them with transport = "tls"', () => {
    expect(
      problems(
        config(
          undefined,
          '\n[pgbackrest.global]\ntls-server-address = "0.0.0.0"\nrepo1-host-cert-file = "/etc/pgbackrest/client.crt"\n',
        ),
      ),
    ).toEqual([
      'pgbackrest.global.tls-server-address: is set by bsync on every host of the zone with the ssh repository\'s transport = "tls" (its port is [tls].port)',
      'pgbackrest.global.repo1-host-cert-file: is set by bsync with the ssh repository\'s transport = "tls": each host\'s own certificate and key, and [tls].ca_cert',
    ]);
  });
});
