// Issue 27, finding 8: a config value reaches the hosts as it was checked. Each part first
// shows what the planner would write from such a value (an Inventory edited past the
// config's checks), then what the config does with it: stores it in the spelling it checked,
// writes it escaped for the format that reads it (cron, PostgreSQL's archive_command), or
// refuses it naming the key. Recorded facts of the lab's ssh scenario; no network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { backupJobs } from '../../lib/resources/cron-job.js';
import { knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { cronRuns, postgresRuns } from '../support/readers.js';
import { ENV, noBackupHost, problemsOf, refusalOf, s3Repo, SSH_CONFIG, withSecondRepo } from '../support/configs.js';
import { scheduledBackup } from '../../lib/desired/backups.js';

const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);
const problems = (text: string) => problemsOf(() => load(text));

function facts(): Map<string, HostFacts> {
  const all = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
  return new Map(Object.entries(all));
}

function planned(inventory: Inventory, hostFacts = facts()) {
  return buildPlan(
    inventory,
    inventory.hosts.map((host) => host.name),
    desiredResources(inventory, hostFacts),
  );
}

/** What the plan writes at an address (a file's or a crontab's whole text after apply). */
const written = (plan: ReturnType<typeof planned>, address: string) =>
  knownText(plan.changes.get(address)!.diff!.after)!;

describe('a schedule is stored as its check reads it', () => {
  const spaced = SSH_CONFIG.replace('full = "10 0 * * 0"', 'full = "10 0 * * 0\\n"').replace(
    'diff = "10 0 * * 1-6"',
    'diff = "  10  0 * * 1-6 "',
  );

  it('the planner, given a schedule with a newline, would split the crontab line: its writer refuses it', () => {
    const inventory = load(SSH_CONFIG);
    inventory.repos[0].schedule.full = '10 0 * * 0\n* * * * * curl evil';
    expect(() => planned(inventory)).toThrow(
      /not a cron schedule for a crontab line: "10 0 \* \* 0\\n\* \* \* \* \* curl evil"/,
    );
  });

  it('a trailing newline and extra spaces: accepted, stored without them, and a converged host plans nothing', () => {
    const inventory = load(spaced);
    expect(inventory.schedule).toEqual({ full: '10 0 * * 0', diff: '10 0 * * 1-6' });
    expect(inventory.repos[0].schedule).toEqual({ full: '10 0 * * 0', diff: '10 0 * * 1-6' });
    expect(planned(inventory).plan.actions).toEqual([]);
  });

  it("a repository's own schedule the same: one line per job", () => {
    const own = SSH_CONFIG.replace('user = "backrest"\n', 'user = "backrest"\nschedule = { full = "5 1 * * 0\\n" }\n');
    const inventory = load(own);
    expect(inventory.repos[0].schedule.full).toBe('5 1 * * 0');
    const crontab = written(planned(inventory), 'ssh-backup1.crontab[backrest]');
    expect(crontab.split('\n').sort()).toEqual([
      '',
      `10 0 * * 1-6 ${scheduledBackup('pgedge-lab-1', 'diff', 'pgbackrest --stanza=pgedge-lab-1 --type=diff backup')} # bsync:diff:pgedge-lab-1`,
      `5 1 * * 0 ${scheduledBackup('pgedge-lab-1', 'full', 'pgbackrest --stanza=pgedge-lab-1 --type=full backup')} # bsync:full:pgedge-lab-1`,
    ]);
  });

  it('a path with a slash at its end or doubled: stored as pgBackRest spells it, and a converged host plans nothing', () => {
    const slashes = SSH_CONFIG.replace('path = "/home/backrest"', 'path = "/home//backrest/"').replaceAll(
      'pg_data = "/var/lib/postgresql/15/main"',
      'pg_data = "/var/lib/postgresql/15/main/"',
    );
    const inventory = load(slashes);
    expect(inventory.repos[0].path).toBe('/home/backrest');
    expect(inventory.hosts[0].pgData).toBe('/var/lib/postgresql/15/main');
    expect(planned(inventory).plan.actions).toEqual([]);
    // A type's own table too: its schema names the same kind of value.
    const webId = withSecondRepo(
      s3Repo().replace(
        'key = { env = "S3K" }\nkey_secret = { env = "S3S" }',
        'key_type = "web-id"\nrole_arn = "arn:aws:iam::123456789012:role/r"\ntoken_file = "/run//token/"',
      ),
    );
    expect(load(webId).repos[1].table).toMatchObject({ tokenFile: '/run/token' });
  });

  it('a path with . or .. parts is refused: the hosts would follow links where the text does not', () => {
    expect(problems(SSH_CONFIG.replace('path = "/home/backrest"', 'path = "/home/backrest/../.."'))).toEqual([
      'repo.path: must be an absolute path of letters, digits and _.@%+=:,/- (no spaces or quotes, no . or .. parts), got "/home/backrest/../.."',
    ]);
  });
});

describe('a % in a path reaches cron and archive_command escaped, and is read back as written', () => {
  const ROLE_ARN = 'arn:aws:iam::123456789012:role/pgbackrest';
  const TOKEN = '/run/secrets/%p/token';
  const WORD = `env AWS_ROLE_ARN=${ROLE_ARN} AWS_WEB_IDENTITY_TOKEN_FILE=${TOKEN} pgbackrest`;
  const config = withSecondRepo(
    s3Repo().replace(
      'key = { env = "S3K" }\nkey_secret = { env = "S3S" }',
      `key_type = "web-id"\nrole_arn = "${ROLE_ARN}"\ntoken_file = "${TOKEN}"`,
    ),
  );
  const WAL = { p: 'pg_wal/000000010000000000000001', f: '000000010000000000000001' };

  it('cron runs the job with the token file as the config names it', () => {
    const crontab = written(planned(load(config)), 'ssh-backup1.crontab[backrest]');
    const line = crontab.split('\n')[0];
    expect(cronRuns(line)).toBe(
      `${scheduledBackup('pgedge-lab-1', 'full', `${WORD} --stanza=pgedge-lab-1 --repo=1 --type=full backup`)} # bsync:full:pgedge-lab-1`,
    );
    expect(line).toContain('AWS_WEB_IDENTITY_TOKEN_FILE=/run/secrets/\\%p/token');
    // bsync's own reader finds the job it wrote (drift detection, adoption).
    expect(backupJobs(line)).toEqual([{ stanza: 'pgedge-lab-1', type: 'full', repo: 1 }]);
  });

  it('PostgreSQL runs archive_command and restore_command with the token file as the config names it', () => {
    const conf = written(planned(load(config)), 'ssh-pg1.postgresql_conf');
    const setting = (name: string) => new RegExp(`^${name} = '(.*)'\t# bsync$`, 'm').exec(conf)![1];
    expect(postgresRuns(setting('archive_command'), WAL)).toBe(
      `${WORD} --stanza=pgedge-lab-1 archive-push pg_wal/000000010000000000000001`,
    );
    expect(postgresRuns(setting('restore_command'), WAL)).toBe(
      `${WORD} --stanza=pgedge-lab-1 archive-get 000000010000000000000001 "pg_wal/000000010000000000000001"`,
    );
    expect(setting('archive_command')).toBe(
      `env AWS_ROLE_ARN=${ROLE_ARN} AWS_WEB_IDENTITY_TOKEN_FILE=/run/secrets/%%p/token pgbackrest --stanza=pgedge-lab-1 archive-push %p`,
    );
  });

  it('once applied, the hosts read back what was written: the next plan changes none of it', () => {
    const inventory = load(config);
    const hostFacts = facts();
    const first = planned(inventory, hostFacts);
    for (const [name, one] of hostFacts) {
      const at = (kind: string) => first.changes.get(`${name}.${kind}`)?.diff;
      if (at('pgbackrest_conf'))
        one.files['/etc/pgbackrest/pgbackrest.conf'].content = knownText(at('pgbackrest_conf')!.after);
      if (at('crontab[backrest]')) one.crontabs.backrest = knownText(at('crontab[backrest]')!.after);
      const conf = at('postgresql_conf');
      if (!conf || !one.postgres) continue;
      // PostgreSQL reads the file: a quoted value, '' for a quote.
      one.postgres.configContent = knownText(conf.after)!;
      for (const [, key, value] of one.postgres.configContent.matchAll(/^(\w+) = '(.*)'\t# bsync$/gm)) {
        one.postgres.settings[key].setting = value.replaceAll("''", "'");
        for (const entry of one.postgres.fileSettings.filter((file) => file.name === key)) entry.setting = value;
      }
    }
    expect(first.plan.actions.length).toBeGreaterThan(0);
    // What is left is repo2's stanza and first backup: the bucket's, which no file on a host says.
    const left = planned(inventory, hostFacts).plan.actions.map((action) => action.address);
    expect(left).toEqual([
      'ssh-backup1.stanza[pgedge-lab-1]',
      'ssh-backup1.first_backup[pgedge-lab-1:repo2]',
      'ssh-backup2.stanza[pgedge-lab-2]',
      'ssh-backup2.first_backup[pgedge-lab-2:repo2]',
    ]);
  });
});

describe('an address is a host name or an IP address, no port', () => {
  it('the planner, given a backup_address with a port, would write it into pg_hba.conf as an IPv6 network', () => {
    const inventory = load(SSH_CONFIG);
    inventory.hosts[0].backupAddress = '10.0.0.9:5432';
    expect(written(planned(inventory), 'ssh-pg1.pg_hba')).toContain('10.0.0.9:5432/128');
  });

  it('refuses address and backup_address with a port, naming the key and where a port goes', () => {
    const text = SSH_CONFIG.replace(
      'address = "127.0.1.11"',
      'address = "10.0.0.5:22"\nbackup_address = "10.0.0.9:5432"',
    );
    expect(problems(text)).toEqual([
      'host[1].address: "10.0.0.5:22" has a port; an address is a host name or an IP address alone | Write address = "10.0.0.5" and the port as ssh_port = 22 on this [[host]] (or [ssh].port = 22 for every host).',
      'host[1].backup_address: "10.0.0.9:5432" has a port; an address is a host name or an IP address alone | Write backup_address = "10.0.0.9" with no port: pg_hba.conf matches only the address the backup host connects from (this host\'s PostgreSQL port is pg_port).',
    ]);
  });

  it('refuses an IPv6 address in brackets, and what is neither a host name nor an IP address', () => {
    const address = (value: string) => problems(SSH_CONFIG.replace('address = "127.0.1.11"', `address = "${value}"`));
    expect(address('[fd00::11]:22')).toEqual([
      'host[1].address: "[fd00::11]:22" has a port; an address is a host name or an IP address alone | Write address = "fd00::11" and the port as ssh_port = 22 on this [[host]] (or [ssh].port = 22 for every host).',
    ]);
    expect(address('[fd00::11]')[0]).toMatch(
      /^host\[1\]\.address: "\[fd00::11\]" is an IPv6 address in brackets; .* \| Write address = "fd00::11"\.$/,
    );
    for (const value of ['10.0.0.300', '10.0.0', ':::', '-pg1', 'pg1.-x', '1.2.3.4:99999x'])
      expect(address(value), value).toEqual([
        `host[1].address: ${JSON.stringify(value)} is neither a host name nor an IP address; an address is a host name or an IP address alone | A host name is dot-separated labels of letters, digits and hyphens whose last label is not all digits; an IP address is IPv4 (10.0.0.5) or IPv6 (fd00::5, without brackets).`,
      ]);
    // Without an address, the name is where bsync connects: it is held to the same rule.
    expect(problems(SSH_CONFIG.replace('name = "ssh-pg1"\naddress = "127.0.1.11"\n', 'name = "10.0.0.300"\n'))).toEqual(
      [
        'host[1].name: "10.0.0.300" is neither a host name nor an IP address (it is the address too: this [[host]] sets none); an address is a host name or an IP address alone | A host name is dot-separated labels of letters, digits and hyphens whose last label is not all digits; an IP address is IPv4 (10.0.0.5) or IPv6 (fd00::5, without brackets).',
      ],
    );
    // What stays accepted: names, IPv4, IPv6.
    for (const value of [
      'pg1',
      'pg1.example.com',
      'db-1.eu-west-1.internal',
      '10.0.0.5',
      'fd00::11',
      '::1',
      '2001:db8::5',
    ])
      expect(load(SSH_CONFIG.replace('address = "127.0.1.11"', `address = "${value}"`)).hosts[0].address).toBe(value);
  });

  it('an object store endpoint with a port is refused, naming the key that takes the port', () => {
    expect(problems(withSecondRepo(s3Repo().replace('"s3.example.com"', '"s3.example.com:9000"')))).toEqual([
      'repo[2].s3.endpoint: must be a host name (letters, digits, hyphens, dot-separated) without a port: a port goes in the table\'s port key, got "s3.example.com:9000"',
    ]);
  });
});

describe('a folder bsync owns is never /, a system folder, or in a data directory', () => {
  it('the planner, given repo.path = "/", would make / the repository user\'s', () => {
    const inventory = load(SSH_CONFIG);
    inventory.repos[0].path = '/';
    const step = planned(inventory).changes.get('ssh-backup1.directory[/]')!.steps![0].command;
    expect(step).toContain('chown backrest:backrest / && chmod 0750 /');
  });

  it('refuses / and system folders as a folder repository, and takes them as a bucket prefix', () => {
    const path = (value: string) => SSH_CONFIG.replace('path = "/home/backrest"', `path = "${value}"`);
    expect(problems(path('/'))).toEqual([
      'repo.path: / is a system folder: bsync makes the folder it is given its own (owner and mode) | Give the repository a folder of its own, such as /home/backrest (ssh) or /var/lib/pgbackrest (posix).',
    ]);
    for (const [value, said] of [
      ['/etc', '/etc is a system folder'],
      ['/var/lib', '/var/lib is a system folder'],
      ['/usr/lib/x', '/usr/lib/x is inside the system folder /usr/lib'],
      ['/proc/1', '/proc/1 is inside the system folder /proc'],
      ['/home/', '/home is a system folder'],
    ])
      expect(problems(path(value))[0], value).toMatch(new RegExp(`^repo\\.path: ${said.replaceAll('/', '\\/')}: `));
    for (const value of ['/home/backrest', '/var/lib/pgbackrest', '/srv/backups', '/backup'])
      expect(load(path(value)).repos[0].path).toBe(value);
    expect(load(withSecondRepo(s3Repo().replace('path = "/off-site"', 'path = "/"'))).repos[1].path).toBe('/');
  });

  it('refuses a posix repository in a declared data directory, and the same at plan time in the one the server reports', () => {
    const posix = (path: string) => noBackupHost('posix').replace('path = "/var/lib/pgbackrest"', `path = "${path}"`);
    expect(problems(posix('/var/lib/postgresql/15/main/backups'))).toEqual([
      'repo.path: /var/lib/postgresql/15/main/backups is inside the data directory of host[1] ssh-pg1 (/var/lib/postgresql/15/main) | A repository lies outside every data directory: a restore replaces what a data directory holds, and a backup would copy the repository into itself.',
    ]);
    // No pg_data in the config: the server's own data_directory (recorded facts) is the one.
    const undeclared = load(
      posix('/var/lib/postgresql/15/main/backups').replaceAll('pg_data = "/var/lib/postgresql/15/main"\n', ''),
    );
    expect(refusalOf(() => planned(undeclared))).toBe(
      "repo1's folder /var/lib/postgresql/15/main/backups is inside the data directory of the server on port 5432 (/var/lib/postgresql/15/main) | Give repo1's folder a path outside every data directory: a restore replaces what /var/lib/postgresql/15/main holds, and a backup would copy the folder into itself.",
    );
    expect(() => planned(load(posix('/var/lib/pgbackrest')))).not.toThrow();
  });

  it('spool-path and verify.path: the same rules', () => {
    const spool = (path: string) =>
      `${SSH_CONFIG}\n[pgbackrest.global]\narchive-async = true\nspool-path = "${path}"\n`;
    expect(problems(spool('/var/spool/'))).toEqual([
      'pgbackrest.global.spool-path: /var/spool is a system folder: bsync makes the folder it is given its own (owner and mode) | Give spool-path a folder of its own, such as /var/spool/pgbackrest (the default).',
    ]);
    expect(problems(spool('/var/lib/postgresql/15/main/spool'))[0]).toMatch(
      /^pgbackrest\.global\.spool-path: \/var\/lib\/postgresql\/15\/main\/spool is inside the data directory of host\[1\] ssh-pg1 /,
    );
    const undeclared = spool('/var/lib/postgresql/15/main/spool').replaceAll(
      'pg_data = "/var/lib/postgresql/15/main"\n',
      '',
    );
    expect(refusalOf(() => planned(load(undeclared)))).toMatch(
      /^the spool folder \/var\/lib\/postgresql\/15\/main\/spool is inside the data directory of the server on port 5432 \(\/var\/lib\/postgresql\/15\/main\) \| /,
    );
    expect(load(spool('/var/spool/pgbackrest/')).pgbackrest.global).toContainEqual({
      key: 'spool-path',
      name: 'spool-path',
      values: ['/var/spool/pgbackrest'],
    });
    const verify = (path: string) => `${SSH_CONFIG}\n[verify]\npath = "${path}"\n`;
    expect(problems(verify('/usr'))[0]).toMatch(/^verify\.path: \/usr is a system folder: /);
    expect(problems(verify('/var/lib/postgresql'))).toEqual([
      'verify.path: /var/lib/postgresql overlaps the data directory of host[1] ssh-pg1 (/var/lib/postgresql/15/main) | verify restores into a scratch folder that must be apart from every data directory.',
    ]);
  });
});
