// Repositories as a type and several per stanza: [[repo]] parsing and its messages, and the
// plan for ssh-converged recorded facts when a second repository (S3) is added. No network.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { parseInfo } from '../../lib/facts/repo.js';
import { repoTypes } from '../../lib/repositories/index.js';
import { locationFlags, tableKeyOf } from '../../lib/repositories/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { healthProblems } from '../../lib/plan/health.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { ConfigError, ConfigErrors } from '../../lib/errors.js';
import { resourceAddress } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, SSH_CONFIG, withSecondRepo } from '../support/configs.js';
import { scheduledBackup } from '../../lib/desired/backups.js';

const { CIPHER, S3S } = ENV;
const SSH = SSH_CONFIG;
const TWO = withSecondRepo(s3Repo('retention = { full = 4 }\nschedule = { full = "30 1 * * 0" }'));

const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);
function failure(text: string): string {
  try {
    load(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    // Several problems: each one's message, a line each, in the file's order.
    return error instanceof ConfigErrors
      ? error.errors.map((entry) => entry.message).join('\n')
      : (error as ConfigError).message;
  }
  throw new Error('the config was accepted');
}

function facts(): Map<string, HostFacts> {
  return new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
}

describe('[[repo]] in the config', () => {
  it('reads [repo] as one repository and [[repo]] tables as repo1, repo2 in order', () => {
    expect(load(SSH).repos.map((repo) => [repo.key, repo.type])).toEqual([[1, 'ssh']]);
    const two = load(TWO);
    expect(two.repos.map((repo) => [repo.key, repo.type, repo.path])).toEqual([
      [1, 'ssh', '/home/backrest'],
      [2, 's3', '/off-site'],
    ]);
    // A repository's own schedule, else [schedule]'s.
    expect(two.repos[1].schedule).toEqual({ full: '30 1 * * 0', diff: '10 0 * * 1-6' });
    expect(two.repos[1].retention).toEqual({ full: 4, diff: 6 });
  });

  it('names a list entry repo[N] and a single table repo', () => {
    expect(failure(TWO.replace('bucket = "pg-backups"\n', ''))).toBe('repo[2].s3.bucket: is required');
    // Type s3 on the ssh scenario: no s3 table, a repository user and two backup hosts it has no use for.
    expect(failure(SSH.replace('type = "ssh"', 'type = "s3"'))).toBe(
      [
        'repo.s3: is required with repo.type = "s3"',
        'repo.user: only goes with repo.type = "ssh": it owns the repository on backup hosts, and s3 repositories have none',
        'host[3].role: s3 repositories need no backup host',
        'host[4].role: s3 repositories need no backup host',
      ].join('\n'),
    );
    expect(failure(TWO.replace('retention = { full = 4 }', 'retention = { full = 0 }'))).toBe(
      'repo[2].retention.full: must be at least 1, got 0: pgBackRest keeps at least one full backup, or with full_type = "time" the full backups of at least one day',
    );
  });

  it('refuses two ssh repositories, posix beside ssh, and options of a repository it does not have', () => {
    const twoSsh = SSH.replace('[repo]\n', '[[repo]]\n').replace(
      '[backup_user]',
      '[[repo]]\ntype = "ssh"\npath = "/second"\ncipher_type = "none"\n\n[backup_user]',
    );
    expect(failure(twoSsh)).toMatch(/^repo\[2\]\.type: is a second ssh repository/);
    const posix = SSH.replace('[repo]\n', '[[repo]]\n').replace(
      '[backup_user]',
      '[[repo]]\ntype = "posix"\ncipher_type = "none"\n\n[backup_user]',
    );
    expect(failure(posix)).toMatch(/^repo\[2\]\.type: "posix" does not go with an ssh repository \(repo\[1\]\)/);
    expect(failure(`${TWO}\n[pgbackrest.global]\nrepo3-bundle = true\n`)).toBe(
      'pgbackrest.global.repo3-bundle: is an option of repo3, but the config has 2 repositories',
    );
    expect(load(`${TWO}\n[pgbackrest.global]\nrepo2-bundle = true\n`).pgbackrest.global[0].key).toBe('repo2-bundle');
  });
});

describe('a second repository on converged hosts', () => {
  const inv = load(TWO);
  const plan = buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, facts()),
  ).plan;
  const text = renderPlanText(plan, { color: false });

  it("adds repo2's options on every host, after repo1's, with its secrets hidden", () => {
    for (const host of ['ssh-pg1', 'ssh-backup1'])
      expect(plan.actions.some((action) => action.address === `${host}.pgbackrest_conf`)).toBe(true);
    expect(text).toContain('+repo2-type=s3');
    expect(text).toContain('+repo2-s3-key=(sensitive)');
    expect(text).toContain('+repo2-retention-full=4');
    expect(text).not.toContain(S3S);
    expect(text).not.toContain(CIPHER);
    // repo1's lines stay as they are.
    expect(text).not.toMatch(/^[-+]repo1-/m);
  });

  it("runs stanza-create again for repo2 and takes repo2's first backup on the backup host, with --repo", () => {
    const addresses = plan.actions.map((action) => action.address);
    expect(addresses).toContain('ssh-backup1.stanza[pgedge-lab-1]');
    expect(addresses).toContain('ssh-backup1.first_backup[pgedge-lab-1:repo2]');
    expect(addresses).not.toContain('ssh-backup1.first_backup[pgedge-lab-1]');
    expect(text).toContain(
      `${scheduledBackup('pgedge-lab-1', 'full', 'pgbackrest --stanza=pgedge-lab-1 --repo=2 --type=full backup', 2)} # bsync:full-repo2:pgedge-lab-1`,
    );
    expect(text).toContain(
      `${scheduledBackup('pgedge-lab-1', 'diff', 'pgbackrest --stanza=pgedge-lab-1 --repo=1 --type=diff backup')} # bsync:diff:pgedge-lab-1`,
    );
    expect(addresses.indexOf('ssh-backup1.stanza[pgedge-lab-1]')).toBeLessThan(
      addresses.indexOf('ssh-backup1.first_backup[pgedge-lab-1:repo2]'),
    );
  });

  it('takes no stanza-create or first backup against a repository that did not answer, and names it', () => {
    const unreachable = facts();
    const backup = unreachable.get('ssh-backup1')!;
    backup.repos = [
      backup.repos![0],
      {
        key: 2,
        stanza: 'pgedge-lab-1',
        backupInfoExists: false,
        statusCode: 99,
        statusMessage: '[HostConnectError] unable to connect',
        backups: [],
        unreadable: true,
      },
    ];
    const addresses = buildPlan(inv, ['ssh-backup1'], desiredResources(inv, unreachable)).plan.actions.map(
      (action) => action.address,
    );
    expect(addresses).not.toContain('ssh-backup1.stanza[pgedge-lab-1]');
    expect(addresses).not.toContain('ssh-backup1.first_backup[pgedge-lab-1:repo2]');
    expect(healthProblems(inv, unreachable, ['ssh-backup1'])).toEqual([
      {
        severity: 'error',
        host: 'ssh-backup1',
        message: 'stanza pgedge-lab-1 repo2: pgbackrest info reports status 99: [HostConnectError] unable to connect',
      },
    ]);
  });
});

describe('pgbackrest info with several repositories', () => {
  const info = [
    {
      name: 's',
      status: { code: 4, message: 'different across repos' },
      repo: [
        { key: 1, cipher: 'aes-256-cbc', status: { code: 0, message: 'ok' } },
        { key: 2, cipher: 'none', status: { code: 99, message: 'unable to connect' } },
      ],
      backup: [{ label: 'F1', type: 'full', database: { id: 1, 'repo-key': 1 } }],
      archive: [
        { database: { id: 1, 'repo-key': 1 }, min: '000000010000000000000001', max: '000000010000000000000003' },
      ],
      db: [{ id: 1, version: '15', 'repo-key': 1 }],
    },
  ];
  it('gives each repository its own status, cipher, backups and archive', () => {
    expect(parseInfo(info, 's', 1)).toMatchObject({
      statusCode: 0,
      cipher: 'aes-256-cbc',
      backups: [{ label: 'F1', pgVersion: '15' }],
      archiveMax: '000000010000000000000003',
    });
    expect(parseInfo(info, 's', 2)).toMatchObject({
      statusCode: 99,
      statusMessage: 'unable to connect',
      cipher: 'none',
      backups: [],
    });
  });
});

describe('pgbackrest info with one repository that fails', () => {
  it('names the repository\'s own error, not the stanza\'s bare "other"', () => {
    const message = '[ProtocolError] HTTP request failed with 403 (Forbidden)';
    const info = [
      {
        name: 's',
        status: { code: 99, message: 'other' },
        repo: [{ key: 1, cipher: 'none', status: { code: 99, message } }],
      },
    ];
    expect(parseInfo(info, 's', 1)).toMatchObject({ statusCode: 99, statusMessage: message });
    // A stanza status other than "other" stays the stanza's (one repository: the same thing).
    info[0]!.status = { code: 2, message: 'no valid backups' };
    info[0]!.repo[0]!.status = { code: 0, message: 'ok' };
    expect(parseInfo(info, 's', 1)).toMatchObject({ statusCode: 2, statusMessage: 'no valid backups' });
  });
});

describe('typed references', () => {
  it('a dependency with nothing behind it fails plan building, naming both ends', () => {
    const inv = load(SSH);
    const resources = desiredResources(inv, facts());
    const crontab = resources.find((resource) => resource.address === 'ssh-backup1.crontab[backrest]')!;
    crontab.dependsOn.push(resourceAddress('ssh-backup1', 'first_backup', 'pgedge-lab-1:repo9'));
    expect(() =>
      buildPlan(
        inv,
        inv.hosts.map((host) => host.name),
        resources,
      ),
    ).toThrow(/ssh-backup1\.crontab\[backrest\] -> ssh-backup1\.first_backup\[pgedge-lab-1:repo9\]/);
  });
});

describe('a passphrase per repository', () => {
  it('generates a missing one for repo2 alone, kept as <stanza>.repo2.cipher_pass, and writes it known after apply', () => {
    const store = mkdtempSync(join(tmpdir(), 'bsync-store-'));
    const inv = load(
      TWO.replace(
        /(type = "s3"\npath = "\/off-site"\n)cipher_pass = \{ env = "CIPHER" \}/,
        `$1cipher_pass = "auto"\ncipher_pass_store = "${store}"`,
      ),
    );
    expect(inv.repos[1].cipherPass).toBe('auto');
    const plan = buildPlan(
      inv,
      inv.hosts.map((host) => host.name),
      desiredResources(inv, facts()),
    ).plan;
    const generator = plan.actions.find((action) => action.address === 'ssh-backup1.cipher_pass[pgedge-lab-1:repo2]');
    expect(generator?.reason).toContain(join(store, 'pgedge-lab-1.repo2.cipher_pass'));
    const text = renderPlanText(plan, { color: false });
    expect(text).toContain('+repo2-cipher-pass=(sensitive, known after apply)');
    // repo1 keeps the passphrase its hosts have.
    expect(plan.actions.some((action) => action.address === 'ssh-backup1.cipher_pass[pgedge-lab-1]')).toBe(false);
  });
});

describe('the location flags of pgbackrest info', () => {
  it('leave secrets, secure options and key types to the conf, where the key they describe is', () => {
    expect(
      locationFlags([
        ['repo1-type', 'azure'],
        ['repo1-azure-account', 'acct'],
        ['repo1-azure-key', { secret: { source: 'literal', value: 'k' } } as never],
        ['repo1-azure-key-type', 'sas'],
        ['repo1-s3-key-type', 'auto'],
        ['repo1-storage-host', 'azure.lab'],
      ]),
    ).toEqual(['--repo1-type=azure', '--repo1-storage-host=azure.lab']);
  });
});

describe('the key of its table each option of a repository comes from', () => {
  const host = { name: 'pg1', role: 'postgres' as const, sshPort: 22 };
  const secret = { secret: {} } as never;
  const storage = { uriStyle: 'path', port: 9000, verifyTls: false, caCert: 'CA' };
  // Every key of each table set, so each type writes every option it has.
  const tables: Array<[string, Record<string, unknown>]> = [
    [
      's3',
      {
        bucket: 'b',
        endpoint: 'e',
        region: 'r',
        keyType: 'shared',
        key: secret,
        keySecret: secret,
        role: 'x',
        kmsKeyId: 'k',
        ...storage,
      },
    ],
    ['s3', { bucket: 'b', endpoint: 'e', region: 'r', keyType: 'web-id', ...storage }],
    ['azure', { account: 'a', container: 'c', key: secret, keyType: 'sas', endpoint: 'e', ...storage }],
    ['gcs', { bucket: 'b', endpoint: 'e', keyType: 'service', key: secret, userProject: 'p', ...storage }],
    ['gcs', { bucket: 'b', endpoint: 'e', keyType: 'token', key: secret, ...storage }],
  ];

  it('is found for every option a shipped type writes (but its type), so a refusal names that key', () => {
    for (const [name, table] of tables) {
      const type = repoTypes().find((each) => each.name === name)!;
      const repo = { key: 2, type: name, table };
      for (const [option] of type.locationOptions(repo, { host, userOf: () => 'postgres' })) {
        if (option === 'repo2-type') continue;
        const key = tableKeyOf(type, option.slice('repo2-'.length));
        expect(key, `${name}: ${option}`).toBeDefined();
        expect(Object.keys(type.table!.schema.properties), `${name}: ${option}`).toContain(key);
      }
    }
  });

  it("reads a type's own names first, then the option's name in snake case, and nothing the table lacks", () => {
    const [s3, azure] = ['s3', 'azure'].map((name) => repoTypes().find((each) => each.name === name)!);
    expect(tableKeyOf(s3, 's3-kms-key-id')).toBe('kms_key_id');
    expect(tableKeyOf(s3, 'storage-verify-tls')).toBe('verify_tls');
    expect(tableKeyOf(azure, 'storage-host')).toBe('endpoint');
    expect(tableKeyOf(s3, 's3-sse-customer-key')).toBeUndefined();
    expect(tableKeyOf(repoTypes().find((each) => each.name === 'ssh')!, 'host-type')).toBeUndefined();
  });
});
