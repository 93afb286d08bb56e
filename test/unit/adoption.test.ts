// Adoption: what the Ansible role setup_backrest (or an operator working the same way)
// made on a host is taken over, never doubled. Pure functions on text and recorded facts.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../lib/config/inventory.js';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { planMetrics } from '../../lib/plan/metrics.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { applyReport } from '../../lib/cli/apply.js';
import { backupJobs, runsBackup } from '../../lib/resources/cron-job.js';
import { desiredCrontab, planCrontab } from '../../lib/resources/crontab.js';
import { planFile } from '../../lib/resources/file.js';
import { mergeManagedLines } from '../../lib/resources/managed-lines.js';
import { planPatroniConfig } from '../../lib/resources/patroni-config.js';
import { desiredHba } from '../../lib/resources/pg-hba.js';
import { editPostgresqlConf, parseConfLine } from '../../lib/resources/pg-settings.js';
import { sameConf } from '../../lib/resources/pgbackrest-conf.js';
import { desiredPgpass, planPgpass } from '../../lib/resources/pgpass.js';
import { planKeypair, userKeypair } from '../../lib/resources/ssh-keypair.js';
import { desiredAuthorizedKeys, desiredKnownHosts } from '../../lib/resources/ssh-trust.js';
import { knownText, type Change } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';

const FULL = { schedule: '10 0 * * 0', command: 'pgbackrest --stanza=s1 --type=full backup', id: 'full:s1' };
const DIFF = { schedule: '10 0 * * 1-6', command: 'pgbackrest --stanza=s1 --type=diff backup', id: 'diff:s1' };
const OURS_FULL = '10 0 * * 0 pgbackrest --stanza=s1 --type=full backup # bsync:full:s1';
const OURS_DIFF = '10 0 * * 1-6 pgbackrest --stanza=s1 --type=diff backup # bsync:diff:s1';
const text = (template: Parameters<typeof knownText>[0]) => knownText(template) ?? '(unknown)';

describe('mergeManagedLines', () => {
  it('replaces an adopted line where it stands, drops a companion directly above it and a second line doing the same job', () => {
    const merged = mergeManagedLines('a\n# about x\nold-x\nb\nold-x again\n', {
      isOurs: () => false,
      wanted: [
        { line: ['x'], adopts: (line) => line.startsWith('old-x'), companionAbove: (line) => line === '# about x' },
      ],
    });
    expect(text(merged.template)).toBe('a\nx\nb\n');
    expect(merged.adopted.map((adoption) => adoption.line)).toEqual(['old-x', 'old-x again']);
  });

  it('keeps a companion that is not directly above, and adopts nothing that is ours or identical', () => {
    const merged = mergeManagedLines('# about x\nkeep\nold-x\nx\n', {
      isOurs: (line) => line === 'x-stale',
      wanted: [
        { line: ['x'], adopts: (line) => line.startsWith('old-x'), companionAbove: (line) => line === '# about x' },
      ],
    });
    expect(text(merged.template)).toBe('# about x\nkeep\nx\n');
    expect(merged.adopted).toHaveLength(1);
    expect(
      mergeManagedLines('x\n', { isOurs: () => false, wanted: [{ line: ['x'], adopts: () => true }] }).adopted,
    ).toEqual([]);
  });
});

describe('cron jobs that run the same backup', () => {
  it.each([
    ['10 0 * * 0 pgbackrest --stanza=s1 --type=full backup'],
    ['10 0 * * 0 pgbackrest --type full --stanza s1 backup'],
    ['10 0 * * 0 /usr/bin/pgbackrest backup --stanza="s1" \'--type=full\''],
    [
      '10 0 * * 0 cd /var/lib/pgsql && pgbackrest --stanza=s1 --log-level-console=info --type=full backup >> /var/log/pgbackrest/cron.log 2>&1',
    ],
    ['@weekly PGBACKREST_LOG_PATH=/tmp pgbackrest --stanza=s1 --type=full backup # weekly'],
    [
      '10 0 * * 0 nice -n 10 ionice -c3 flock -n /tmp/pgbackrest.lock /usr/bin/pgbackrest --stanza=s1 --type=full backup',
    ],
    [
      `10 0 * * 0 [ "$(psql -XAtq -p 5432 -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] || pgbackrest --stanza='s1' --type=full backup`,
    ],
  ])('%s is the full backup job of s1', (line) => {
    expect(runsBackup(line, 's1', 'full')).toBe(true);
    expect(runsBackup(line, 's1', 'diff')).toBe(false);
  });

  it.each([
    ['another stanza that starts the same', '10 0 * * 0 pgbackrest --stanza=s1-0 --type=full backup'],
    ['another type', '10 0 * * 0 pgbackrest --stanza=s1 --type=incr backup'],
    ['no type (an incremental backup)', '10 0 * * 0 pgbackrest --stanza=s1 backup'],
    ['another command', '10 0 * * 0 pgbackrest --stanza=s1 --type=full expire'],
    ['commented out', '#10 0 * * 0 pgbackrest --stanza=s1 --type=full backup'],
    ['a variable', 'PATH=/usr/bin:/bin'],
    ['another program', '10 0 * * 0 echo pgbackrest --stanza=s1 --type=full backup'],
  ])('%s is not', (_, line) => {
    expect(runsBackup(line, 's1', 'full')).toBe(false);
  });

  it("a job without --type runs an incremental backup (pgBackRest's default type), so it is the incr job", () => {
    expect(backupJobs('0 * * * * pgbackrest --stanza=s1 backup')).toEqual([{ stanza: 's1', type: 'incr' }]);
    expect(runsBackup('0 * * * * pgbackrest --stanza=s1 backup', 's1', 'incr')).toBe(true);
    const current = '0 * * * * pgbackrest --stanza=s1 backup\n';
    const incr = { schedule: '10 */6 * * *', command: 'pgbackrest --stanza=s1 --type=incr backup', id: 'incr:s1' };
    expect(text(desiredCrontab(current, [incr], 's1').template)).toBe(
      '10 */6 * * * pgbackrest --stanza=s1 --type=incr backup # bsync:incr:s1\n',
    );
    // Without an incr schedule bsync wants no incr job, and leaves it alone.
    expect(text(desiredCrontab(current, [FULL], 's1').template)).toBe(`${current}${OURS_FULL}\n`);
  });

  it('`--stanza=x-1` is not stanza x-10, and x-10 is not x-1', () => {
    expect(backupJobs('0 1 * * * pgbackrest --stanza=x-1 --type=full backup')).toEqual([
      { stanza: 'x-1', type: 'full' },
    ]);
    expect(runsBackup('0 1 * * * pgbackrest --stanza=x-1 --type=full backup', 'x-10', 'full')).toBe(false);
    expect(runsBackup('0 1 * * * pgbackrest --stanza=x-10 --type=full backup', 'x-1', 'full')).toBe(false);
  });

  it("takes over the role's jobs in place, drops their #Ansible: names, shows the schedule change, and is stable", () => {
    const current =
      'MAILTO=ops\n#Ansible: full backup\n0 2 * * 0 pgbackrest --stanza=s1 --type=full backup\n0 3 * * * /bin/vacuum\n#Ansible: diff backup\n10 0 * * 1-6 pgbackrest --stanza=s1 --type=diff backup\n';
    const desired = desiredCrontab(current, [FULL, DIFF], 's1');
    expect(text(desired.template)).toBe(`MAILTO=ops\n${OURS_FULL}\n0 3 * * * /bin/vacuum\n${OURS_DIFF}\n`);
    const change = planCrontab('backrest', current, desired) as Change;
    expect(change.action).toBe('adopt');
    expect(change.reason).toBe(
      'takes over the full backup job of s1 and the diff backup job of s1, which bsync did not write',
    );
    expect(change.fields).toEqual([{ name: 'full schedule', before: '0 2 * * 0', after: '10 0 * * 0' }]);
    const after = text(desired.template);
    expect(planCrontab('backrest', after, desiredCrontab(after, [FULL, DIFF], 's1'))).toBeNull();
  });

  it("never leaves two jobs for one backup: bsync's line and one re-added by the role become one", () => {
    const current = `${OURS_FULL}\n#Ansible: full backup\n10 0 * * 0 pgbackrest --stanza=s1 --type=full backup\n${OURS_DIFF}\n`;
    const desired = desiredCrontab(current, [FULL, DIFF], 's1');
    expect(text(desired.template)).toBe(`${OURS_FULL}\n${OURS_DIFF}\n`);
    expect(planCrontab('backrest', current, desired)?.action).toBe('adopt');
  });

  it("leaves other stanzas' jobs, commented-out jobs and a stale line of its own as they were", () => {
    const current =
      '10 0 * * 0 pgbackrest --stanza=s1-0 --type=full backup\n#10 0 * * 0 pgbackrest --stanza=s1 --type=full backup\n1 1 * * 0 pgbackrest --stanza=s1 --type=full backup # bsync:full:s1\n';
    const desired = desiredCrontab(current, [FULL], 's1');
    expect(text(desired.template)).toBe(
      `10 0 * * 0 pgbackrest --stanza=s1-0 --type=full backup\n#10 0 * * 0 pgbackrest --stanza=s1 --type=full backup\n${OURS_FULL}\n`,
    );
    expect(planCrontab('backrest', current, desired)?.action).toBe('update');
  });
});

describe('pg_hba rules for the backup role from the backup host', () => {
  const OURS = 'host    postgres,replication    backrest    10.0.0.9/32    scram-sha-256    # bsync';
  const peer = [{ address: '10.0.0.9', name: 'backup1' }];

  it.each([
    ['host all backrest 10.0.0.9/32 md5'],
    ['hostssl postgres,replication "backrest" 10.0.0.9 255.255.255.255 scram-sha-256 # ansible'],
    ['hostnossl replication backrest 10.0.0.9/32 trust'],
    ['host all backrest backup1 md5'],
  ])('%s is taken over in place', (rule) => {
    const current = `local all all peer\n${rule}\nhost all all 0.0.0.0/0 reject\n`;
    const merged = desiredHba(current, 'backrest', peer);
    expect(text(merged.template)).toBe(`local all all peer\n${OURS}\nhost all all 0.0.0.0/0 reject\n`);
    expect(merged.adopted).toHaveLength(1);
  });

  it.each([
    ['a network', 'host all backrest 10.0.0.0/24 md5'],
    ['another host', 'host all backrest 10.0.0.19/32 md5'],
    ['a mask that is not one host', 'host all backrest 10.0.0.9 255.255.255.0 md5'],
    ['every user', 'host all all 10.0.0.9/32 md5'],
    ['a group of that name', 'host all +backrest 10.0.0.9/32 md5'],
    ['another role', 'host all backrest2 10.0.0.9/32 md5'],
    ['a commented-out rule', '#host all backrest 10.0.0.9/32 md5'],
    ['a local rule', 'local all backrest md5'],
  ])("%s is not the rule: left alone, bsync's rule goes first", (_, rule) => {
    const merged = desiredHba(`${rule}\n`, 'backrest', peer);
    expect(text(merged.template)).toBe(rule.startsWith('#') ? `${rule}\n${OURS}\n` : `${OURS}\n${rule}\n`);
    expect(merged.adopted).toEqual([]);
  });

  it('shows a weaker method as a field change, and keeps the other users of a shared rule on a rule of their own', () => {
    const current = 'host all app,backrest 10.0.0.9/32 md5 # from ansible\n';
    const merged = desiredHba(current, 'backrest', peer);
    expect(text(merged.template)).toBe(`${OURS}\nhost all app 10.0.0.9/32 md5 # from ansible\n`);
    const fields = merged.adopted[0].wanted.adoptionFields!(merged.adopted[0].line);
    expect(fields).toContainEqual({ name: 'method', before: 'md5', after: 'scram-sha-256' });
    expect(fields).toContainEqual({ name: 'database', before: 'all', after: 'postgres,replication' });
  });

  it('inserts a new rule before the first rule, counting a rule taken over as a rule', () => {
    const merged = desiredHba('# top\nlocal all all peer\nhost all backrest 10.0.0.9/32 md5\n', 'backrest', [
      ...peer,
      { address: '10.0.0.10' },
    ]);
    expect(text(merged.template)).toBe(
      `# top\n${OURS.replace('10.0.0.9', '10.0.0.10')}\nlocal all all peer\n${OURS}\n`,
    );
    const first = desiredHba('# top\nhost all backrest 10.0.0.9/32 md5\n# b\nlocal all all peer\n', 'backrest', [
      ...peer,
      { address: '10.0.0.10' },
    ]);
    expect(text(first.template)).toBe(
      `# top\n${OURS.replace('10.0.0.9', '10.0.0.10')}\n${OURS}\n# b\nlocal all all peer\n`,
    );
  });

  it('matches IPv6 host addresses', () => {
    const merged = desiredHba('host all backrest fd00::9/128 md5\nhost all backrest fd00::9/64 md5\n', 'backrest', [
      { address: 'fd00::9' },
    ]);
    expect(text(merged.template)).toBe(
      'host    postgres,replication    backrest    fd00::9/128    scram-sha-256    # bsync\nhost all backrest fd00::9/64 md5\n',
    );
  });

  it("takes over a rule in Patroni's pg_hba list, with the method change shown", () => {
    const dynamic = { postgresql: { pg_hba: ['local all all peer', 'host replication backrest 10.0.0.9/32 md5'] } };
    const change = planPatroniConfig(
      {
        configPath: '/etc/patroni/patroni.yml',
        parameters: {},
        recoveryConf: {},
        pgHba: (current) => desiredHba(`${current.join('\n')}\n`, 'backrest', peer),
      },
      dynamic,
    ) as Change;
    expect(change.action).toBe('adopt');
    expect(change.reason).toContain('the rule for backrest from 10.0.0.9');
    expect(change.fields).toContainEqual({ name: 'method', before: 'md5', after: 'scram-sha-256' });
    expect(change.fields).toContainEqual({ name: 'postgresql.pg_hba', after: `+ ${OURS}` });
    expect(JSON.parse((change.steps[0].stdin as string[])[0]).postgresql.pg_hba).toEqual(['local all all peer', OURS]);
  });
});

describe('.pgpass lines of the backup role', () => {
  const password = new Secret('s3cret:pw', 'test');
  const target = [{ host: 'localhost', port: 5432 }];

  it('takes over the line libpq would use for the same connection, where it stands', () => {
    for (const line of [
      'localhost:5432:postgres:backrest:old',
      '*:*:*:backrest:old',
      'localhost:*:postgres:backrest:old',
    ]) {
      const merged = desiredPgpass(`${line}\n*:*:*:app:apppw\n`, target, 'backrest', password);
      expect(text(merged.template), line).toBe('localhost:5432:*:backrest:s3cret\\:pw\n*:*:*:app:apppw\n');
      expect(merged.adopted, line).toHaveLength(1);
    }
  });

  it("leaves the role's lines for other hosts, ports and databases alone (no longer bsync's business)", () => {
    const current =
      'db2:5432:*:backrest:x\nlocalhost:5433:*:backrest:y\nlocalhost:5432:appdb:backrest:z\n#localhost:5432:*:backrest:w\n';
    const merged = desiredPgpass(current, target, 'backrest', password);
    expect(text(merged.template)).toBe(`${current}localhost:5432:*:backrest:s3cret\\:pw\n`);
    expect(merged.adopted).toEqual([]);
  });

  it("replaces bsync's own line with an old password as an update, and an adoption never shows the password", () => {
    const file = { path: '/var/lib/postgresql/.pgpass', owner: 'postgres', group: 'postgres' };
    const facts = (content: string) => ({
      exists: true,
      kind: 'file' as const,
      owner: 'postgres',
      group: 'postgres',
      mode: '0600',
      content,
    });
    expect(planPgpass(file, facts('localhost:5432:*:backrest:old\n'), target, 'backrest', password)?.action).toBe(
      'update',
    );
    const adopted = planPgpass(
      file,
      facts('localhost:5432:postgres:backrest:old\n'),
      target,
      'backrest',
      password,
    ) as Change;
    expect(adopted.action).toBe('adopt');
    expect(adopted.reason).toBe(
      'takes over the .pgpass line of backrest for localhost:5432, which bsync did not write',
    );
    expect(JSON.stringify({ ...adopted, diff: undefined, steps: undefined })).not.toContain('old');
  });
});

describe('SSH key pairs', () => {
  const exists = { exists: true, kind: 'file' as const, owner: 'postgres', group: 'postgres', mode: '0600' };
  const pub = (key: string) => ({ ...exists, mode: '0644', content: `${key} postgres@pg1\n` });

  it('uses an existing pair of any default type, ed25519 first, and creates ed25519 only when there is none', () => {
    expect(userKeypair({}, 'postgres')).toEqual({
      type: 'ed25519',
      privateKey: '~postgres/.ssh/id_ed25519',
      publicKey: '~postgres/.ssh/id_ed25519.pub',
    });
    const rsa = { '~postgres/.ssh/id_rsa': exists, '~postgres/.ssh/id_rsa.pub': pub('ssh-rsa AAAArsa') };
    expect(userKeypair(rsa, 'postgres').type).toBe('rsa');
    expect(userKeypair({ ...rsa, '~postgres/.ssh/id_ecdsa': exists }, 'postgres').type).toBe('ecdsa');
    expect(userKeypair({ ...rsa, '~postgres/.ssh/id_ed25519': exists }, 'postgres').type).toBe('ed25519');
    // A public key alone is not a pair.
    expect(userKeypair({ '~postgres/.ssh/id_rsa.pub': pub('ssh-rsa AAAArsa') }, 'postgres').type).toBe('ed25519');
    expect(
      planKeypair(
        { user: 'postgres', host: 'pg1', privateKey: '/h/.ssh/id_rsa', publicKey: '/h/.ssh/id_rsa.pub' },
        rsa['~postgres/.ssh/id_rsa'],
        rsa['~postgres/.ssh/id_rsa.pub'],
      ),
    ).toBeNull();
  });

  it('counts an RSA key in authorized_keys with options and a user@host comment as present', () => {
    const current =
      'from="10.0.0.11",no-pty,command="pgbackrest ${SSH_ORIGINAL_COMMAND#* }" ssh-rsa AAAAB3NzaRSA postgres@pg1\n';
    expect(text(desiredAuthorizedKeys(current, [{ key: 'ssh-rsa AAAAB3NzaRSA', owner: 'postgres@pg1' }]))).toBe(
      current,
    );
  });
});

describe('known_hosts lines that already trust the peer', () => {
  const KEY = 'ssh-ed25519 AAAAhostkey';
  const OURS = `backup1,10.0.0.9 ${KEY} bsync\n`;
  const hashed = (name: string) => {
    const salt = Buffer.from('0123456789abcdef0123');
    return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  };

  it.each([
    ['the name', `backup1 ${KEY}`],
    ['a list with the name', `10.0.0.9,backup1 ${KEY} root@backup1`],
    ['a wildcard', `backup* ${KEY}`],
    ['a hashed name', `${hashed('backup1')} ${KEY}`],
  ])('%s: kept, no second line', (_, line) => {
    expect(text(desiredKnownHosts(`${line}\n`, [{ names: ['backup1', '10.0.0.9'], keys: [KEY] }]))).toBe(`${line}\n`);
  });

  it('[host]:port on another port', () => {
    const line = `[backup1]:2222 ${KEY}\n`;
    expect(text(desiredKnownHosts(line, [{ names: ['backup1', '10.0.0.9'], keys: [KEY], port: 2222 }]))).toBe(line);
    expect(text(desiredKnownHosts(line, [{ names: ['backup1', '10.0.0.9'], keys: [KEY] }]))).toBe(`${line}${OURS}`);
  });

  it.each([
    ["only the address (ssh looks pgBackRest's host up by name)", `10.0.0.9 ${KEY}`],
    ['another key', 'backup1 ssh-ed25519 AAAAother'],
    ['a revoked key', `@revoked backup1 ${KEY}`],
    ['a negated name', `!backup1,backup* ${KEY}`],
    ['a hash of another name', `${hashed('backup2')} ${KEY}`],
  ])('%s: bsync adds its line', (_, line) => {
    expect(text(desiredKnownHosts(`${line}\n`, [{ names: ['backup1', '10.0.0.9'], keys: [KEY] }]))).toBe(
      `${line}\n${OURS}`,
    );
  });
});

describe('postgresql.conf lines that already hold the value', () => {
  const desired = {
    archive_mode: 'on',
    archive_command: 'pgbackrest --stanza=s archive-push %p',
    restore_command: `pgbackrest --stanza=s archive-get %f "%p"`,
  };

  it('are left exactly as they are, whoever wrote them, and the edit is stable', () => {
    const current = `Archive_Mode = ON  # set by ansible\narchive_command='pgbackrest --stanza=s archive-push %p'\nrestore_command 'pgbackrest --stanza=s archive-get %f "%p"'\n`;
    expect(editPostgresqlConf(current, desired)).toBe(current);
  });

  it('reads values as the server does: quotes, escapes, comments', () => {
    expect(parseConfLine("archive_command = 'a ''b'' \\\\c' # x")).toEqual({
      name: 'archive_command',
      value: "a 'b' \\c",
    });
    expect(parseConfLine('work_mem=4MB')).toEqual({ name: 'work_mem', value: '4MB' });
    expect(parseConfLine('# archive_mode = on')).toBeNull();
  });

  it('replaces a line with another value; an earlier line with the right value does not count, the last one does', () => {
    const current = 'archive_mode = on\narchive_mode = off\n';
    const edited = editPostgresqlConf(current, { archive_mode: 'on' });
    expect(edited).toBe("#archive_mode = on\t# bsync: superseded below\narchive_mode = 'on'\t# bsync\n");
    expect(editPostgresqlConf(edited, { archive_mode: 'on' })).toBe(edited);
    expect(editPostgresqlConf("archive_command = '/bin/true'\n", desired)).toContain(
      "archive_command = 'pgbackrest --stanza=s archive-push %p'\t# bsync\n",
    );
  });
});

describe('pgbackrest.conf read as pgBackRest reads it', () => {
  const ours =
    '# Managed by bsync\n[global]\nrepo1-path=/r\nrepo1-cipher-pass=hunter2-secret\n\n[s1]\npg1-path=/d\npg1-port=5432\n';

  it('the same sections and values in another order, with other comments and blanks, are the same', () => {
    expect(
      sameConf(
        '[s1]\npg1-port = 5432\n# made by ansible\npg1-path=/d\n[global]\n\nrepo1-cipher-pass=hunter2-secret\nrepo1-path=/r\n',
        ours,
      ),
    ).toBe(true);
  });

  it.each([
    ['another value', ours.replace('/r', '/other')],
    ['another passphrase', ours.replace('hunter2-secret', 'other-secret')],
    ['a key more', `${ours}pg1-user=postgres\n`],
    ['a key less', ours.replace('pg1-path=/d\n', '')],
    ['a key at its default given another value', ours.replace('pg1-port=5432', 'pg1-port=5433')],
    ['a section more', `${ours}[s2]\npg1-path=/e\n`],
    ['the key in another section', ours.replace('repo1-path=/r\n', '').replace('[s1]\n', '[s1]\nrepo1-path=/r\n')],
    ['a file pgBackRest refuses', 'repo1-path=/r\n'],
  ])('%s differs', (_, actual) => {
    expect(sameConf(actual, ours)).toBe(false);
  });

  it("an option given with pgBackRest's default is the same as none (the role writes repo1-type=posix)", () => {
    expect(sameConf(ours.replace('[global]\n', '[global]\nrepo1-type=posix\nrepo1-hardlink=n\n'), ours)).toBe(true);
    expect(sameConf(ours, ours.replace('[global]\n', '[global]\nrepo1-type=posix\n'))).toBe(true);
    expect(sameConf(ours.replace('[global]\n', '[global]\nrepo1-type=s3\n'), ours)).toBe(false);
    expect(sameConf(ours.replace('[global]\n', '[global]\nrepo1-hardlink=y\n'), ours)).toBe(false);
  });

  it('a default that overrides another section of the file is not the same as none', () => {
    const bundled = ours.replace('[global]\n', '[global]\nrepo1-bundle=y\n');
    const offInStanza = bundled.replace('[s1]\n', '[s1]\nrepo1-bundle=n\n');
    expect(sameConf(bundled, offInStanza)).toBe(false);
    expect(sameConf(offInStanza, bundled)).toBe(false);
    expect(sameConf(bundled, `${bundled}\n[global:backup]\nrepo1-bundle=n\n`)).toBe(false);
    // Without the other section's y it is pgBackRest's default again.
    expect(sameConf(ours, ours.replace('[s1]\n', '[s1]\nrepo1-bundle=n\n'))).toBe(true);
  });

  it('compares the values of a repeated key as a list, in order', () => {
    const list = '[global]\ndb-include=a\ndb-include=b\n';
    expect(sameConf('[global]\ndb-include=a\ndb-include=b\n', list)).toBe(true);
    expect(sameConf('[global]\ndb-include=b\ndb-include=a\n', list)).toBe(false);
  });

  it('a file the same by reading is no change', () => {
    const desired = {
      path: '/etc/pgbackrest/pgbackrest.conf',
      owner: 'root',
      group: 'postgres',
      mode: '0640',
      content: [ours],
      sameContent: sameConf,
    };
    const actual = (content: string) => ({
      exists: true,
      kind: 'file' as const,
      owner: 'root',
      group: 'postgres',
      mode: '0640',
      content,
    });
    expect(
      planFile(
        desired,
        actual('[s1]\npg1-port=5432\npg1-path=/d\n[global]\nrepo1-path=/r\nrepo1-cipher-pass=hunter2-secret\n'),
      ),
    ).toBeNull();
    expect(planFile(desired, actual(ours.replace('/r', '/old')))?.diff?.before).toContain('/old');
  });
});

// The lab's converged facts, turned into what the role leaves: its cron jobs named
// `#Ansible:`, an md5 rule for the backup role, an RSA pair on ssh-pg1, a .pgpass line
// with the database by name, pgbackrest.conf in another order.
describe('a fleet the Ansible role set up', () => {
  const CIPHER = 'recorded-cipher-passphrase-0123456789';
  const PASSWORD = 'recorded-backup-password-0123456789';
  const config = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
    .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');
  const inventory = parseConfig(config, `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD });
  const hosts = inventory.hosts.map((host) => host.name);
  const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDrecordedrsakey';

  function ansibleFleet(): Map<string, HostFacts> {
    const facts = new Map(
      Object.entries(
        JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
      ),
    );
    const backup = facts.get('ssh-backup1')!;
    backup.crontabs.backrest =
      '#Ansible: pgbackrest full backup\n10 0 * * 0 pgbackrest --stanza=pgedge-lab-1 backup --type=full\n#Ansible: pgbackrest diff backup\n10 0 * * 1-6 pgbackrest --stanza=pgedge-lab-1 backup --type=diff\n';
    backup.files['~backrest/.pgpass'].content = 'ssh-pg1:5432:postgres:backrest:recorded-backup-password-0123456789\n';
    const pg1 = facts.get('ssh-pg1')!;
    pg1.postgres!.hbaContent = pg1
      .postgres!.hbaContent.replace(/^host {4}postgres,replication {4}backrest .*\n/m, '')
      .concat('host all backrest 127.0.1.13/32 md5\n');
    // init_server's RSA pair instead of bsync's ed25519 one, authorized on the backup host with its own comment.
    const ed25519 = pg1.files['~postgres/.ssh/id_ed25519.pub'].content!.split(' ').slice(0, 2).join(' ');
    pg1.files['~postgres/.ssh/id_rsa'] = pg1.files['~postgres/.ssh/id_ed25519'];
    pg1.files['~postgres/.ssh/id_rsa.pub'] = {
      ...pg1.files['~postgres/.ssh/id_ed25519.pub'],
      content: `${RSA} postgres@ssh-pg1\n`,
    };
    pg1.files['~postgres/.ssh/id_ed25519'] = { exists: false };
    pg1.files['~postgres/.ssh/id_ed25519.pub'] = { exists: false };
    const keys = backup.files['~backrest/.ssh/authorized_keys'];
    keys.content = keys.content!.replace(
      new RegExp(`^.*${ed25519.split(' ')[1].replace(/[+/]/g, '\\$&')}.*$`, 'm'),
      `${RSA} postgres@ssh-pg1`,
    );
    const conf = pg1.files['/etc/pgbackrest/pgbackrest.conf'];
    const [, global, stanza] = conf.content!.split(/\n(?=\[)/);
    const [section, ...confKeys] = global.trim().split('\n');
    conf.content = `${stanza.trimEnd()}\n\n# written by ansible\n${section}\n${confKeys.reverse().join('\n')}\n`;
    return facts;
  }

  it('plans adoptions and improvements, doubles nothing, and after apply plans nothing', () => {
    const facts = ansibleFleet();
    const planned = buildPlan(inventory, hosts, desiredResources(inventory, facts));
    const byAddress = new Map(planned.plan.actions.map((action) => [action.address, action]));
    expect([...byAddress.keys()].sort()).toEqual([
      'ssh-backup1.crontab[backrest]',
      'ssh-backup1.pgpass[backrest]',
      'ssh-pg1.pg_hba',
    ]);
    expect(planned.plan.summary).toEqual({ add: 0, change: 0, remove: 0, adopt: 3, conflict: 0 });
    expect(byAddress.get('ssh-pg1.pg_hba')?.fields).toContainEqual({
      name: 'method',
      before: 'md5',
      after: 'scram-sha-256',
    });

    const rendered = renderPlanText(planned.plan, { color: false });
    expect(rendered).toContain(
      '  ~ adopt crontab[backrest]  crontab of backrest\n      # takes over the full backup job of pgedge-lab-1 and the diff backup job of pgedge-lab-1, which bsync did not write\n',
    );
    expect(rendered).toContain('-#Ansible: pgbackrest full backup\n');
    expect(rendered).toContain('      method: md5 -> scram-sha-256\n');
    expect(rendered.trimEnd().split('\n').at(-1)).toBe('Plan: 0 to add, 0 to change, 0 to remove, 3 to adopt.');
    expect(rendered).not.toContain(PASSWORD);
    expect(
      planMetrics(planned.plan).find((metric) => metric.name === 'bsync_adopt_host_actions')?.samples,
    ).toContainEqual({ labels: { host: 'ssh-backup1' }, value: 2 });

    // Apply, as the facts of the next plan see it.
    const applied = (address: string) => knownText(planned.changes.get(address)!.diff!.after)!;
    facts.get('ssh-backup1')!.crontabs.backrest = applied('ssh-backup1.crontab[backrest]');
    facts.get('ssh-backup1')!.files['~backrest/.pgpass'].content = applied('ssh-backup1.pgpass[backrest]');
    facts.get('ssh-pg1')!.postgres!.hbaContent = applied('ssh-pg1.pg_hba');
    expect(facts.get('ssh-backup1')!.crontabs.backrest!.match(/ pgbackrest --stanza=/g)).toHaveLength(2);
    expect(buildPlan(inventory, hosts, desiredResources(inventory, facts)).plan.actions).toEqual([]);
  });

  it('a pgbackrest.conf that differs by reading shows its diff, the passphrase hidden', () => {
    const facts = ansibleFleet();
    const conf = facts.get('ssh-pg1')!.files['/etc/pgbackrest/pgbackrest.conf'];
    conf.content = conf.content!.replace('repo1-retention-full=1', 'repo1-retention-full=5');
    const planned = buildPlan(inventory, hosts, desiredResources(inventory, facts)).plan;
    const action = planned.actions.find((entry) => entry.address === 'ssh-pg1.pgbackrest_conf');
    expect(action?.action).toBe('update');
    expect(action?.diff).toContain('+repo1-retention-full=1');
    expect(action?.diff).toContain('repo1-cipher-pass=(sensitive)');
    expect(JSON.stringify(planned)).not.toContain(CIPHER);
  });

  it('the apply report says how many actions adopted', () => {
    const planned = buildPlan(inventory, hosts, desiredResources(inventory, ansibleFleet()));
    const results = planned.plan.actions.map((action) => ({
      address: action.address,
      host: action.host,
      status: 'done' as const,
      seconds: 0,
    }));
    expect(applyReport(results, planned.plan.actions)).toBe(
      'Apply complete: 3 done, 0 failed, 0 skipped, 0 deferred.\nAdopted: 3 of them took over lines bsync did not write; it manages them from now on.\n',
    );
    expect(applyReport(results)).toBe('Apply complete: 3 done, 0 failed, 0 skipped, 0 deferred.\n');
  });
});
