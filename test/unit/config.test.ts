import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../lib/config/index.js';
import { Secret } from '../../lib/config/inventory.js';
import { keyLines } from '../../lib/config/key-lines.js';
import { ConfigError, ConfigErrors } from '../../lib/errors.js';
import { FIXTURES } from '../support/bsync.js';

const ENV = { BSYNC_CIPHER: 'cipher-value-1234567890', BSYNC_BACKUP_PASSWORD: 'password-value-123456' };

describe('loading a good config', () => {
  const inventory = loadConfig(`${FIXTURES}good/minimal.toml`, { env: ENV });

  it("applies the role's defaults", () => {
    // No pg_version default: each server's version is read from it (docs/platforms.md).
    expect(inventory.cluster).toEqual({ name: 'demo', backupFrom: 'primary' });
    expect(inventory.repos).toHaveLength(1);
    expect(inventory.repos[0]).toMatchObject({
      key: 1,
      type: 'ssh',
      path: '/home/backrest',
      cipherType: 'aes-256-cbc',
      retention: { full: 1, diff: 6 },
      schedule: { full: '10 0 * * 0', diff: '10 0 * * 1-6' },
    });
    expect(inventory.repoUser).toBe('backrest');
    expect(inventory.schedule).toEqual({ full: '10 0 * * 0', diff: '10 0 * * 1-6' });
    expect(inventory.backupUser.name).toBe('backrest');
    expect(inventory.ssh).toMatchObject({ user: 'root', port: 22, connectTimeout: 10 });
    expect(
      inventory.hosts.map((host) => [host.name, host.zone, host.pgPort, host.pgData, host.sshPort, host.backupAddress]),
    ).toEqual([
      ['pg1', 1, 5432, undefined, 22, undefined],
      ['backup1', 1, 5432, undefined, 22, undefined],
    ]);
  });

  it('resolves relative paths against the config folder', () => {
    expect(inventory.ssh.identity).toBe(`${FIXTURES}good/keys/id_ed25519`);
    expect(inventory.ssh.knownHosts).toBe(`${FIXTURES}good/keys/known_hosts`);
  });

  it('reads secrets and never prints them', () => {
    expect(inventory.repos[0].cipherPass).toBeInstanceOf(Secret);
    expect((inventory.repos[0].cipherPass as Secret).reveal()).toBe(ENV.BSYNC_CIPHER);
    const printed = `${JSON.stringify(inventory)} ${String(inventory.backupUser.password)}`;
    expect(printed).not.toContain(ENV.BSYNC_CIPHER);
    expect(printed).not.toContain(ENV.BSYNC_BACKUP_PASSWORD);
    expect(printed).toContain('(sensitive)');
    expect(inventory.warnings).toEqual([]);
  });

  it('warns about inline secrets and readable secret files, and takes "auto"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-config-'));
    writeFileSync(join(dir, 'pw'), 'from-a-file\n', { mode: 0o644 });
    const text = `[cluster]\nname = "x"\n[repo]\ncipher_pass = "auto"\n[backup_user]\npassword = { file = "pw" }\n[[host]]\nname = "a"\nrole = "postgres"\n[[host]]\nname = "b"\nrole = "backup"\n`;
    const auto = parseConfig(text, join(dir, 'bsync.toml'), {});
    expect(auto.repos[0].cipherPass).toBe('auto');
    expect((auto.backupUser.password as Secret).reveal()).toBe('from-a-file');
    expect(auto.warnings.map((warning) => warning.message).join('\n')).toMatch(/pw can be read by other users/);
    const inline = parseConfig(text.replace('{ file = "pw" }', '"inline-pw"'), join(dir, 'bsync.toml'), {});
    expect(inline.warnings.map((warning) => warning.message).join('\n')).toMatch(
      /backup_user.password is written in the config itself/,
    );
  });
});

describe('every lab scenario config', () => {
  it.each(['ssh', 's3', 'ha', 'ssh-options', 'scale'])(
    '%s.toml passes the schema and cross-checks, with every [[host]] as the file lists it',
    (name) => {
      // Secrets live in the lab's state folder; only the structure is checked here.
      const path = `${FIXTURES}lab/${name}.toml`;
      const config = loadConfigWithoutSecretFiles(path);
      const listed = [
        ...readFileSync(path, 'utf8').matchAll(
          /^\[\[host\]\]\nname = "([^"]+)"\naddress = "([^"]+)"\nrole = "(\w+)"\nzone = (\d+)/gm,
        ),
      ].map((match) => `${match[1]} ${match[2]} ${match[3]} ${match[4]}`);
      expect(listed.length).toBe(config.hosts.length);
      expect(config.hosts.map((host) => `${host.name} ${host.address} ${host.role} ${host.zone}`)).toEqual(listed);
    },
  );
});

function loadConfigWithoutSecretFiles(path: string) {
  const text = readFileSync(path, 'utf8')
    .replace(/\{ file = "[^"]+" \}/g, '{ env = "LAB_SECRET" }')
    .replace(/^ca_file = .*$/m, '');
  return parseConfig(text, path, { LAB_SECRET: 'lab-secret-value' });
}

describe('[pgbackrest.global] and [pgbackrest.stanza]', () => {
  const minimal = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8');
  const load = (extra: string, base = minimal) =>
    parseConfig(`${base}\n${extra}\n`, `${FIXTURES}good/minimal.toml`, ENV);
  const failure = (extra: string, base?: string) => {
    try {
      load(extra, base);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).describe();
    }
    throw new Error('the config was accepted');
  };

  it('turns TOML values into pgbackrest.conf values, sorted by key', () => {
    const { pgbackrest } = load(
      '[pgbackrest.global]\nprocess-max = 4\ncompress-type = "zst"\narchive-async = true\nexclude = ["pg_log/", "tmp/"]\n'
        + 'buffer-size = "2MiB"\nio-timeout = 90.5\nrepo1-bundle = true\n\n[pgbackrest.stanza]\narchive-check = false\n',
    );
    expect(pgbackrest.global.map((option) => [option.key, option.values])).toEqual([
      ['archive-async', ['y']],
      ['buffer-size', ['2MiB']],
      ['compress-type', ['zst']],
      ['exclude', ['pg_log/', 'tmp/']],
      ['io-timeout', ['90.5']],
      ['process-max', ['4']],
      ['repo1-bundle', ['y']],
    ]);
    expect(pgbackrest.global.find((option) => option.key === 'repo1-bundle')?.name).toBe('repo-bundle');
    expect(pgbackrest.stanza).toEqual([{ key: 'archive-check', name: 'archive-check', values: ['n'] }]);
  });

  it('never repeats a secret it refuses', () => {
    const message = failure('[pgbackrest.global]\nrepo1-cipher-pass = "hunter2-hunter2"\n');
    expect(message).toContain('pgbackrest.global.repo1-cipher-pass: is a secret');
    expect(message).not.toContain('hunter2');
  });

  it('refuses sizes outside the allowed list, a second repository and a relative path', () => {
    expect(failure('[pgbackrest.global]\nbuffer-size = "3MiB"\n')).toContain(
      'pgbackrest.global.buffer-size: must be one of "16KiB"',
    );
    expect(failure('[pgbackrest.global]\nrepo2-bundle = true\n')).toContain(
      'is an option of repo2, but the config has 1 repository',
    );
    expect(failure('[pgbackrest.global]\nspool-path = "spool"\n')).toContain(
      'pgbackrest.global.spool-path: must be an absolute path, got "spool"',
    );
    expect(failure('[pgbackrest.global]\nrepo-bundle = true\n')).toContain('(did you mean "repo1-bundle"?)');
  });

  it('takes backup-standby with a standby in every zone, never with s3', () => {
    const twoPostgres = `${minimal}\n[[host]]\nname = "pg2"\naddress = "10.0.0.12"\nrole = "postgres"\n`;
    expect(load('[pgbackrest.global]\nbackup-standby = true\n', twoPostgres).pgbackrest.global).toEqual([
      { key: 'backup-standby', name: 'backup-standby', values: ['y'] },
    ]);
    expect(() => load('[pgbackrest.global]\nbackup-standby = false\n')).not.toThrow();
    const s3 = readFileSync(`${FIXTURES}good/s3.toml`, 'utf8');
    expect(failure('[pgbackrest.stanza]\nbackup-standby = true\n', s3.replace(/ca_file = .*\n/, ''))).toContain(
      "without an ssh repository each PostgreSQL host's stanza lists only itself",
    );
  });
});

describe('every problem of a config at once', () => {
  const file = `${FIXTURES}good/minimal.toml`;
  const minimal = readFileSync(file, 'utf8');
  /** Each problem as `line: message`, in the order they are raised. */
  const problems = (text: string, env: NodeJS.ProcessEnv = ENV): string[] => {
    try {
      parseConfig(text, file, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const entries = error instanceof ConfigErrors ? error.errors : [error as ConfigError];
      return entries.map((entry) => `${entry.where!.replace(file, '')}: ${entry.message}`);
    }
    throw new Error('the config was accepted');
  };

  it('reports three independent problems, sorted by line, each with its key path', () => {
    // Found in the order schema (line 25), cross-check (line 13), secret (line 10); shown by line.
    const text = minimal
      .replace('cipher_pass = { env = "BSYNC_CIPHER" }', 'cipher_pass = { env = "BSYNC_NOT_SET" }')
      .replace('[backup_user]\n', '[backup_user]\nname = "postgres"\n')
      .replace('role = "backup"', 'role = "backup"\nzone = 0');
    expect(text.split('\n')[9]).toBe('cipher_pass = { env = "BSYNC_NOT_SET" }');
    expect(problems(text)).toEqual([
      ':10: repo.cipher_pass: the environment variable BSYNC_NOT_SET is not set',
      ':13: backup_user.name: "postgres" is the superuser that PostgreSQL and pgBackRest themselves connect as; as the backup role it would get bsync\'s password and pg_hba.conf rules',
      ':25: host[2].zone: must be at least 1, got 0',
    ]);
  });

  it('keeps one problem a ConfigError of its own, as before', () => {
    try {
      parseConfig(minimal.replace('role = "backup"', 'role = "backup"\nzone = 0'), file, ENV);
      throw new Error('the config was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).not.toBeInstanceOf(ConfigErrors);
      expect((error as ConfigError).describe()).toBe(`${file}:24: host[2].zone: must be at least 1, got 0`);
    }
  });

  it("collects the schema's, the cross-checks', the options' and the secrets' problems together", () => {
    const text = `${minimal
      .replace('name = "demo"', 'name = "demo"\nnmae = "x"')
      .replace('[backup_user]\n', '[schedule]\nfull = "61 0 * * 0"\n\n[backup_user]\n')
      .replace('name = "backup1"', 'name = "pg1"')}\n[pgbackrest.global]\ncompress-type = "zstd"\n`;
    expect(problems(text, {})).toEqual([
      ':4: cluster.nmae: unknown key "nmae" (did you mean "name"?); allowed in [cluster]: name, pg_version, stanza, backup_from',
      ':11: repo.cipher_pass: the environment variable BSYNC_CIPHER is not set',
      ':14: schedule.full: "61 0 * * 0" is not a cron schedule: Constraint error, got value 61 expected range 0-59',
      ':17: backup_user.password: the environment variable BSYNC_BACKUP_PASSWORD is not set',
      ':25: host[2].name: "pg1" is already used by host[1]',
      ':30: pgbackrest.global.compress-type: must be one of "none", "bz2", "gz", "lz4", "zst", got "zstd"',
    ]);
  });

  it('skips a check whose input the schema refused, and reports only that', () => {
    // Without a role, host[2] is neither the zone's backup host nor a second postgres host.
    expect(problems(minimal.replace('role = "backup"', ''))).toEqual([':20: host[2].role: is required']);
    // A secret of the wrong shape is not read as well.
    expect(problems(minimal.replace('{ env = "BSYNC_CIPHER" }', '{ env = 12 }'))).toEqual([
      ':10: repo.cipher_pass: must be a secret: { env = "NAME" }, { file = "path" } or a string, got { env = 12 }',
    ]);
  });

  it('says a list is no secret (the anyOf that takes a list is [repo] or [[repo]] only)', () => {
    expect(problems(minimal.replace('{ env = "BSYNC_CIPHER" }', '["a"]'))).toEqual([
      ':10: repo.cipher_pass: must be a secret: { env = "NAME" }, { file = "path" } or a string, got a list',
    ]);
  });

  it('names the file alone where no line holds the key', () => {
    expect(problems(minimal.replace('[cluster]\nname = "demo"\n', ''))).toEqual([': cluster: is required']);
  });
});

describe('the line of a key path', () => {
  const lines = keyLines(
    [
      'top = 1', // 1
      '[[repo]]', // 2
      'type = "ssh"', // 3
      '[[repo]]', // 4
      'type = "s3"', // 5
      'retention = { full = 4 }', // 6
      '[repo.s3]', // 7
      'bucket = "b"', // 8
      '[verify]', // 9
      'hosts = [', // 10
      '  "[not.a.table]",', // 11
      ']', // 12
      'query = """', // 13
      'x = 1', // 14
      '"""', // 15
      'a.b = 2', // 16
      '"quoted-key" = 3', // 17
      '[[host]] # pg1', // 18
      'name = "pg1"', // 19
    ].join('\r\n'),
  );

  it('follows arrays of tables, sub-tables, dotted and quoted keys', () => {
    expect(lines('top')).toBe(1);
    expect(lines('repo[1].type')).toBe(3);
    expect(lines('repo[2].type')).toBe(5);
    expect(lines('repo[2].s3.bucket')).toBe(8);
    expect(lines('verify.a.b')).toBe(16);
    expect(lines('verify.quoted-key')).toBe(17);
    expect(lines('host[1].name')).toBe(19);
  });

  it('skips values that span lines, and falls back to the nearest key or table that holds the path', () => {
    expect(lines('not.a.table')).toBeUndefined();
    expect(lines('verify.x')).toBe(9);
    expect(lines('verify.hosts[2]')).toBe(10);
    expect(lines('repo[2].retention.full')).toBe(6);
    expect(lines('repo[2].s3.key')).toBe(7);
    expect(lines('host[2].name')).toBeUndefined();
    expect(lines('cluster')).toBeUndefined();
  });
});

describe("the backup role's name", () => {
  const text = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8');
  const named = (name: string) =>
    parseConfig(
      text.replace('[backup_user]\n', `[backup_user]\nname = "${name}"\n`),
      `${FIXTURES}good/minimal.toml`,
      ENV,
    );

  it.each([
    [
      'postgres',
      "is the superuser that PostgreSQL and pgBackRest themselves connect as; as the backup role it would get bsync's password and pg_hba.conf rules",
    ],
    [
      'pg_backup',
      'begins with "pg_", which PostgreSQL reserves for its own roles (pg_monitor, pg_checkpoint, ...); CREATE ROLE refuses it',
    ],
    [
      'pg_',
      'begins with "pg_", which PostgreSQL reserves for its own roles (pg_monitor, pg_checkpoint, ...); CREATE ROLE refuses it',
    ],
    ['public', 'is reserved by PostgreSQL: PUBLIC is the group every role belongs to; CREATE ROLE refuses it'],
    ['none', 'is reserved by PostgreSQL (CREATE ROLE refuses it)'],
    ...['current_user', 'current_role', 'session_user'].map((name) => [
      name,
      `is a PostgreSQL keyword: in GRANT and ALTER ROLE, ${name.toUpperCase()} means a role of the running session, not a role of that name`,
    ]),
  ])('refuses %s, saying why', (name, why) => {
    expect(() => named(name)).toThrow(ConfigError);
    try {
      named(name);
    } catch (error) {
      expect((error as ConfigError).describe()).toBe(
        `${FIXTURES}good/minimal.toml:13: backup_user.name: "${name}" ${why}\n  Name a role of its own for bsync to manage, such as "backrest" (the default).`,
      );
    }
  });

  it('takes names that only look like them', () => {
    for (const name of ['backrest', 'postgres_backup', 'pgbackup', 'publicity', 'nobody'])
      expect(named(name).backupUser.name).toBe(name);
  });
});
