// bsync init (lib/init/, lib/cli/init.ts): the command line → a request, and the config
// discovered from recorded facts (fixtures/facts/: the lab's ssh scenario, and the same
// hosts made into a replica, a Patroni zone and an S3 zone the Ansible role left): what it
// says, and that it validates and plans once the secret files its comments name exist.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { yargsInvocation, type Invocation } from '../../lib/cli/args.js';
import { initRequest } from '../../lib/cli/init.js';
import { loadConfig, parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { parseToml } from '../../lib/config/toml.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { parseAnsibleInventory } from '../../lib/init/ansible.js';
import { problemsLeft } from '../../lib/init/check.js';
import { initDraft } from '../../lib/init/discover.js';
import { initNeeds, probeInventory } from '../../lib/init/probe.js';
import { factsScript } from '../../lib/facts/gather.js';
import { probeContext } from '../../lib/facts/probe.js';
import { renderDraft, type Draft } from '../../lib/init/draft.js';
import type { InitRequest } from '../../lib/init/request.js';
import { buildPlan } from '../../lib/plan/build.js';
import { INIT_VIEWS } from '../../lib/views/init.js';
import { viewFor } from '../../lib/views/view-for.js';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { captureOutput } from '../support/output.js';

const dir = mkdtempSync(join(tmpdir(), 'bsync-init-'));
const KEYS = `${FIXTURES}good/keys/`;
// The values test/support/record-facts.ts put in place of the lab's secrets.
const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';

type Facts = Map<string, HostFacts>;
// biome-ignore lint/suspicious/noExplicitAny: the parsed TOML, read key by key
type Toml = Record<string, any>;

function recorded(state: 'fresh' | 'converged'): Facts {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

/** The options yargs makes of `bsync init ARGS`. */
async function initOptions(args: string[]) {
  let seen: Invocation | undefined;
  await yargsInvocation(['init', ...args], '0.0.0', async (invocation) => {
    seen = invocation;
    return 0;
  });
  return (seen as Extract<Invocation, { command: 'init' }>).options;
}

let cases = 0;
/** The request of `bsync init --host …` with the fixtures' keys and a secrets folder and output file of the case's own. */
async function requestFor(hosts: string[], extra: string[] = []): Promise<InitRequest> {
  cases += 1;
  return initRequest(
    await initOptions([
      ...hosts.flatMap((host) => ['--host', host]),
      ...['--identity', `${KEYS}id_ed25519`, '--known-hosts', `${KEYS}known_hosts`],
      ...['--secrets', join(dir, `secrets-${cases}`), '--out', join(dir, `bsync-${cases}.toml`)],
      ...extra,
    ]),
  );
}

interface Written {
  draft: Draft;
  text: string;
  config: Toml;
  /** The config loaded as validate and plan load it, once the secret files exist. */
  inventory(): Inventory;
}

/**
 * The config init writes for these facts, and the secret files its header names, made as a
 * new user would. Before they exist, they are all validate would refuse (unless `problems`).
 */
function written(request: InitRequest, facts: Facts, problems = false): Written {
  const secret = PASSWORD;
  const draft = initDraft(request, facts);
  const text = renderDraft(draft);
  writeFileSync(request.out, text);
  if (!problems) expect(problemsLeft(text, request.out, draft.secretFiles)).toStrictEqual([]);
  return {
    draft,
    text,
    config: parseToml(text, request.out) as Toml,
    inventory: () => {
      for (const file of draft.secretFiles) {
        expect(text).toContain(`#   ${file.path}: `);
        mkdirSync(request.secrets, { recursive: true });
        writeFileSync(file.path, `${secret}\n`, { mode: 0o600 });
      }
      return loadConfig(request.out);
    },
  };
}

function plan(inventory: Inventory, facts: Facts) {
  return buildPlan(
    inventory,
    inventory.hosts.map((host) => host.name),
    desiredResources(inventory, facts),
  ).plan;
}

/** A host's recorded facts under another name, changed: a second server of the zone. */
function another(facts: HostFacts, name: string, change: (copy: HostFacts) => void): HostFacts {
  const copy = structuredClone({ ...facts, host: name });
  change(copy);
  return copy;
}

const CONVERGED = [
  'ssh-pg1=127.0.1.11',
  'ssh-pg2=127.0.1.12',
  'ssh-backup1=127.0.1.13:backup',
  'ssh-backup2=127.0.1.14:backup',
];

describe('the ssh scenario the lab converged', () => {
  it('gives its config again: zones and cluster from the stanzas, and a plan with no changes', async () => {
    const request = await requestFor(CONVERGED);
    const facts = recorded('converged');
    const out = written(request, facts);
    const inventory = out.inventory();
    const labText = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8').replace(/\{ file = "[^"]+" \}/g, '{ env = "S" }');
    const lab = parseConfig(labText, `${FIXTURES}lab/ssh.toml`, { S: PASSWORD }).hosts;
    expect(inventory.hosts).toStrictEqual(lab);
    expect(inventory.cluster).toStrictEqual({ name: 'lab', pgVersion: 15, backupFrom: 'primary' });
    expect(out.config.repo).toStrictEqual({
      type: 'ssh',
      path: '/home/backrest',
      user: 'backrest',
      cipher_type: 'aes-256-cbc',
      cipher_pass: 'auto',
      cipher_pass_store: request.secrets,
      retention: { full: 1, diff: 6 },
    });
    // compress-type=zst and repo1-bundle=y there are bsync's own defaults: nothing to carry over.
    expect(out.text).not.toContain('not carried over');
    expect(out.text).not.toContain(CIPHER);
    const validate = await bsync(['validate', '-c', request.out]);
    expect(validate).toStrictEqual({ code: 0, stdout: `${request.out}: valid, 4 hosts.\n`, stderr: '' });
    const result = plan(inventory, facts);
    expect(result.actions).toStrictEqual([]);
    expect(result.summary).toMatchObject({ add: 0, change: 0, remove: 0, conflict: 0 });
  });

  it('says in each [[host]] comment what the host is and which stanza its pgbackrest.conf holds', async () => {
    const out = written(await requestFor(CONVERGED), recorded('converged'));
    expect(out.text).toContain(
      '# ssh-pg1: primary, PostgreSQL 15.18, debian 12; /etc/pgbackrest/pgbackrest.conf holds pgedge-lab-1.\n[[host]]\nname = "ssh-pg1"\naddress = "127.0.1.11"',
    );
    expect(out.text).toContain(
      '# ssh-backup2: backup host, debian 12; /etc/pgbackrest/pgbackrest.conf holds pgedge-lab-2.',
    );
    expect(out.draft.hosts.map((host) => [host.name, host.zone, host.found])).toStrictEqual([
      ['ssh-pg1', 1, 'primary, PostgreSQL 15.18'],
      ['ssh-pg2', 2, 'primary, PostgreSQL 15.18'],
      ['ssh-backup1', 1, 'backup host'],
      ['ssh-backup2', 2, 'backup host'],
    ]);
  });

  it("takes the schedules the hosts' backup jobs run on, as the role's cron module wrote them", async () => {
    const converged = recorded('converged');
    const backup = another(converged.get('ssh-backup1')!, 'ssh-backup1', (copy) => {
      copy.crontabs.backrest = [
        '#Ansible: pgbackrest full backup pgedge-lab-1',
        '0 2 * * 0 pgbackrest --stanza=pgedge-lab-1 --type=full backup',
        '30 1 * * * pgbackrest --stanza=other-1 --type=diff backup',
        '',
      ].join('\n');
    });
    const facts: Facts = new Map([
      ['ssh-pg1', converged.get('ssh-pg1')!],
      ['ssh-backup1', backup],
    ]);
    const out = written(await requestFor(['ssh-pg1=127.0.1.11', 'ssh-backup1=127.0.1.13:backup']), facts);
    expect(out.config.schedule).toStrictEqual({ full: '0 2 * * 0', diff: '10 0 * * 1-6' });
    expect(out.text).toContain('full = "0 2 * * 0"  # from backrest\'s crontab on ssh-backup1\n');
    expect(out.text).toContain('diff = "10 0 * * 1-6"  # the role\'s default\n');
  });

  it('keeps the stanza zone over a different one given, and says so', async () => {
    const out = written(
      await requestFor(['ssh-pg1=127.0.1.11:postgres:3', 'ssh-backup1=127.0.1.13:backup']),
      recorded('converged'),
    );
    expect(out.config.host[0].zone).toBe(1);
    expect(out.text).toContain('# ssh-pg1: zone 1, from its stanza pgedge-lab-1, not 3 as given.');
  });
});

describe('an ssh zone of a primary, a replica and a backup host', () => {
  it('has both servers in the zone, the replica found as one, and it validates and plans', async () => {
    const converged = recorded('converged');
    const replica = another(converged.get('ssh-pg1')!, 'ssh-pg3', (copy) => {
      copy.postgres!.inRecovery = true;
      copy.postgres!.dataDirectory = '/srv/pg/15/replica';
    });
    const facts: Facts = new Map([
      ['ssh-pg1', converged.get('ssh-pg1')!],
      ['ssh-pg3', replica],
      ['ssh-backup1', converged.get('ssh-backup1')!],
    ]);
    const out = written(
      await requestFor(['ssh-pg1=127.0.1.11', 'ssh-pg3=127.0.1.15', 'ssh-backup1=127.0.1.13:backup']),
      facts,
    );
    expect(out.config.host.map((host: Toml) => [host.name, host.zone, host.pg_data ?? null])).toStrictEqual([
      ['ssh-pg1', 1, '/var/lib/postgresql/15/main'],
      ['ssh-pg3', 1, '/srv/pg/15/replica'],
      ['ssh-backup1', 1, null],
    ]);
    expect(out.text).toContain('# ssh-pg3: replica (in recovery), PostgreSQL 15.18');
    const inventory = out.inventory();
    expect(inventory.hosts.map((host) => host.zone)).toStrictEqual([1, 1, 1]);
    expect(plan(inventory, facts).summary.conflict).toBe(0);
  });
});

describe('hosts bsync has not touched yet', () => {
  const hosts = [
    'ssh-pg1=127.0.1.11:postgres:1',
    'ssh-pg2=127.0.1.12:postgres:2',
    'ssh-backup1=127.0.1.13:backup:1',
    'ssh-backup2=127.0.1.14:backup:2',
  ];

  it("takes zones from the command line, skips Debian's sample pgbackrest.conf, and plans a generated passphrase", async () => {
    const facts = recorded('fresh');
    const request = await requestFor(hosts, ['--cluster', 'sales']);
    const out = written(request, facts);
    expect(out.config.cluster).toStrictEqual({ name: 'sales', pg_version: 15 });
    expect(out.config.repo).toStrictEqual({
      type: 'ssh',
      cipher_type: 'aes-256-cbc',
      cipher_pass: 'auto',
      cipher_pass_store: join(dir, `secrets-${cases}`),
    });
    expect(out.text).not.toContain('/var/lib/pgbackrest');
    expect(out.text).toContain('# The role backrest does not exist yet: apply creates it on the primary.');
    // Until the user makes it, validate names the file and how.
    const password = join(request.secrets, 'backup_password');
    expect(() => loadConfig(request.out)).toThrow(
      expect.objectContaining({
        message: `backup_user.password: cannot read the secret file ${password}: no such file`,
        hint: `Create it with the secret on one line, readable by you alone: (umask 077; cat > ${password}), type it, then Ctrl-D.`,
      }),
    );
    const inventory = out.inventory();
    const result = plan(inventory, facts);
    expect(result.summary.conflict).toBe(0);
    expect(result.actions.map((action) => action.address)).toContain('ssh-backup1.cipher_pass[pgedge-sales-1]');
  });

  it('says what validate would still refuse: here a zone with two backup hosts', async () => {
    const request = await requestFor([
      'ssh-pg1=127.0.1.11',
      'ssh-backup1=127.0.1.13:backup',
      'ssh-backup2=127.0.1.14:backup',
    ]);
    const draft = initDraft(request, recorded('fresh'));
    const problems = problemsLeft(renderDraft(draft), request.out, draft.secretFiles);
    expect(problems).toHaveLength(1);
    const text = renderDraft(draft).split('\n');
    const line = text.lastIndexOf('[[host]]') + 1 + 4;
    expect(text[line - 1]).toBe('zone = 1');
    expect(problems[0]).toBe(
      `${request.out}:${line}: host[3].zone: zone 1 has 2 backup hosts (host[2] ssh-backup1, host[3] ssh-backup2)\n  One backup host per zone holds its repository.`,
    );
    expect(problems.join('\n')).not.toContain('secret file');
  });

  it('names the cluster main when nothing tells it', async () => {
    const out = written(await requestFor(hosts), recorded('fresh'));
    expect(out.config.cluster.name).toBe('main');
  });

  it('refuses a zone with no backup host and no repository, saying what to do', async () => {
    const request = await requestFor(['ssh-pg1=127.0.1.11']);
    expect(() => initDraft(request, recorded('fresh'))).toThrow(
      'no backup host given, and no host has a pgbackrest.conf that names a repository',
    );
  });
});

describe('a Patroni zone', () => {
  it('gets [patroni] with the config path found, and validates', async () => {
    const fresh = recorded('fresh');
    const withPatroni = (name: string) =>
      another(fresh.get('ssh-pg1')!, name, (copy) => {
        copy.files['/etc/patroni/patroni.yml'] = { exists: true, kind: 'file', type: 'regular file' };
      });
    const facts: Facts = new Map([
      ['ha-pg1', withPatroni('ha-pg1')],
      ['ha-pg2', withPatroni('ha-pg2')],
      ['ha-backup1', fresh.get('ssh-backup1')!],
    ]);
    const out = written(
      await requestFor(['ha-pg1=127.0.1.31', 'ha-pg2=127.0.1.32', 'ha-backup1=127.0.1.34:backup']),
      facts,
    );
    expect(out.config.patroni).toStrictEqual({ config: '/etc/patroni/patroni.yml' });
    expect(out.text).toContain("# Patroni's config found on ha-pg1, ha-pg2: archiving goes through Patroni.");
    expect(out.inventory().patroni?.config).toBe('/etc/patroni/patroni.yml');
  });
});

// pgbackrest.conf as the role's template writes it for backup_repo_type s3.
const ROLE_S3_CONF = `[pgedge-prod-1]
pg1-port=5432
pg1-path=/var/lib/postgresql/15/main
pg1-user=postgres
pg1-database=postgres

[global]
log-path=/var/log/pgbackrest
start-fast=y
repo1-path=/pgbackrest
repo1-retention-full=2
repo1-retention-diff=14
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=${CIPHER}
repo1-type=s3
repo1-s3-region=eu-west-1
repo1-s3-endpoint=s3.eu-west-1.amazonaws.com
repo1-s3-bucket=prod-pg-backups
repo1-s3-key=AKIAEXAMPLEKEY
repo1-s3-key-secret=example-secret-key-value
process-max=4
`;

describe('an S3 zone the Ansible role set up', () => {
  it('adopts the bucket, path, retention and cipher; the keys come from files it names', async () => {
    const fresh = recorded('fresh');
    const pg = another(fresh.get('ssh-pg1')!, 'db1', (copy) => {
      copy.files['/etc/pgbackrest/pgbackrest.conf'] = { exists: true, kind: 'file', content: ROLE_S3_CONF };
    });
    const request = await requestFor(['db1=10.0.0.11']);
    const out = written(request, new Map([['db1', pg]]));
    expect(out.config.cluster.name).toBe('prod');
    const { s3, ...repo } = out.config.repo;
    expect(repo).toStrictEqual({
      type: 's3',
      path: '/pgbackrest',
      cipher_type: 'aes-256-cbc',
      cipher_pass: 'auto',
      cipher_pass_store: request.secrets,
      retention: { full: 2, diff: 14 },
    });
    expect(s3).toStrictEqual({
      bucket: 'prod-pg-backups',
      endpoint: 's3.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      key: { file: join(request.secrets, 's3_key') },
      key_secret: { file: join(request.secrets, 's3_key_secret') },
    });
    expect(out.text).toContain('not carried over: process-max.');
    for (const secret of ['AKIAEXAMPLEKEY', 'example-secret-key-value', CIPHER]) expect(out.text).not.toContain(secret);
    expect(out.draft.secretFiles.map((file) => file.path.replace(request.secrets, ''))).toStrictEqual([
      '/s3_key',
      '/s3_key_secret',
      '/backup_password',
    ]);
    const inventory = out.inventory();
    expect(inventory.repos[0].type).toBe('s3');
    expect(inventory.hosts).toStrictEqual([
      {
        name: 'db1',
        address: '10.0.0.11',
        role: 'postgres',
        zone: 1,
        sshPort: 22,
        pgData: '/var/lib/postgresql/15/main',
        pgPort: 5432,
      },
    ]);
  });
});

describe('host values are written by the TOML writer, never spliced', () => {
  it('a hostile data directory, repository path and error come back as they were, and add no key', async () => {
    const converged = recorded('converged');
    const hostile = '/data/x" \n[cluster]\nname = "evil" # \u2028\\ \u0000\u001b[31m';
    const pg1 = another(converged.get('ssh-pg1')!, 'ssh-pg1', (copy) => {
      copy.postgres!.dataDirectory = hostile;
    });
    const pg2 = another(converged.get('ssh-pg1')!, 'ssh-pg2', (copy) => {
      copy.postgres = { ...copy.postgres!, running: false, error: 'line one\n[[host]]\nname = "x"' };
    });
    const backup = another(converged.get('ssh-backup1')!, 'ssh-backup1', (copy) => {
      copy.files['/etc/pgbackrest/pgbackrest.conf'].content = `[pgedge-lab-1]\n[global]\nrepo1-path=/a"b\\c'''#x\n`;
    });
    const facts: Facts = new Map([
      ['ssh-pg1', pg1],
      ['ssh-pg2', pg2],
      ['ssh-backup1', backup],
    ]);
    const out = written(
      await requestFor(['ssh-pg1=127.0.1.11', 'ssh-pg2=127.0.1.12', 'ssh-backup1=127.0.1.13:backup']),
      facts,
      true,
    );
    expect(Object.keys(out.config)).toStrictEqual(['cluster', 'ssh', 'repo', 'backup_user', 'schedule', 'host']);
    expect(out.config.cluster.name).toBe('lab');
    expect(out.config.host).toHaveLength(3);
    expect(out.config.host[0].pg_data).toBe(hostile);
    expect(out.config.host[1]).toStrictEqual({
      name: 'ssh-pg2',
      address: '127.0.1.12',
      role: 'postgres',
      zone: 1,
      pg_port: 5432,
    });
    expect(out.config.repo.path).toBe(`/a"b\\c'''#x`);
    expect(out.text).toContain(
      '# ssh-pg2: PostgreSQL did not answer on port 5432 (line one): fill in pg_data and pg_port',
    );
  });
});

describe('the command line', () => {
  it('reads each --host form', async () => {
    const request = await requestFor([
      'pg1',
      'pg2=10.0.0.12',
      'pg3=db3.example.com:postgres:2',
      'b1=10.0.0.20:backup',
      'pg4=fd00::4',
      'b2=[fd00::20]:backup:2',
    ]);
    expect(request.hosts).toStrictEqual([
      { name: 'pg1', address: 'pg1', role: 'postgres', pgPort: 5432 },
      { name: 'pg2', address: '10.0.0.12', role: 'postgres', pgPort: 5432 },
      { name: 'pg3', address: 'db3.example.com', role: 'postgres', zone: 2, pgPort: 5432 },
      { name: 'b1', address: '10.0.0.20', role: 'backup', pgPort: 5432 },
      { name: 'pg4', address: 'fd00::4', role: 'postgres', pgPort: 5432 },
      { name: 'b2', address: 'fd00::20', role: 'backup', zone: 2, pgPort: 5432 },
    ]);
    expect(request.source).toBe('the command line');
  });

  it('takes the SSH settings as the config will hold them: ~ kept, relative paths made absolute', async () => {
    const options = await initOptions([
      '--host',
      'pg1',
      '--known-hosts',
      'keys/kh',
      '--ssh-user',
      'ops',
      '--ssh-port',
      '2222',
    ]);
    const request = initRequest(options);
    expect(request.ssh).toStrictEqual({ user: 'ops', port: 2222, knownHosts: join(process.cwd(), 'keys/kh') });
    expect(request.out).toBe(join(process.cwd(), 'bsync.toml'));
    expect(request.secrets).toBe('/etc/bsync');
    const defaults = initRequest(await initOptions(['--host', 'pg1', '--pg-port', '5433']));
    expect(defaults.ssh).toStrictEqual({ user: 'root', knownHosts: '~/.ssh/known_hosts' });
    expect(defaults.hosts[0].pgPort).toBe(5433);
  });

  it.each([
    [['--host', 'pg1=10.0.0.1:primary'], 'role "primary" is not postgres or backup (bsync finds the primary itself'],
    [['--host', 'pg1=10.0.0.1:2222'], '2222 after the address reads as a port'],
    [['--host', 'pg1=10.0.0.1:postgres:0'], 'zone "0" is not a zone number (1 to 999)'],
    [['--host', 'pg1=10.0.0.1:postgres:1:x'], 'too many `:` parts'],
    [['--host', 'pg_1=10.0.0.1'], '"pg_1" is not a host name'],
    [['--host', 'pg1=10.0.0.1;rm'], 'address "10.0.0.1;rm" is neither a host name nor an IP address'],
    [['--host', 'pg1=10.0.0.1', '--host', 'pg1=10.0.0.2'], 'the command line: the name pg1 is given twice'],
    [['--host', 'pg1=10.0.0.1', '--host', 'pg2=10.0.0.1'], 'the command line: the address 10.0.0.1 is given twice'],
    [['--host', 'b1=10.0.0.1:backup'], 'no PostgreSQL host (role postgres) among the hosts'],
    [[], 'no hosts: the command line names none'],
    [['--host', 'pg1', '-c', 'x.toml'], 'init reads no config: it writes one, named with --out FILE'],
    [['--host', 'pg1', '--zone', '2'], 'init takes zones per host'],
    [['--host', 'pg1', '--cluster', 'Sales DB'], '--cluster: the cluster name "Sales DB" is not lower-case letters'],
    [['--host', 'pg1', '--inventory', 'hosts.ini'], 'give the hosts with --host or with --inventory, not both'],
    [['--inventory', '/nonexistent/hosts.ini'], 'cannot read the inventory: no such file'],
  ])('refuses %j', async (args, message) => {
    const options = await initOptions(args);
    expect(() => initRequest(options)).toThrow(message);
  });
});

const INVENTORY = `# the role's inventory
[pgedge]
pg1 ansible_host=10.0.0.11 zone=1
pg2 ansible_host=10.0.0.12 zone=2 pg_port=5433 ansible_port=2222

[backup]
backup1 ansible_host=10.0.0.20 zone=1
backup2 ansible_host="fd00::20" zone=2

[etcd]
etcd1 ansible_host=10.0.0.30

[all:vars]
cluster_name=sales
backup_repo_path=/backups/pgedge
backup_repo_user=pgbackup
full_backup_count=2
full_backup_schedule="0 2 * * 0"
backup_password=secret

[backup:vars]
backup_repo_path=/srv/backrest
`;

describe('an Ansible inventory', () => {
  it('gives the pgedge and backup hosts, and the role variables bsync maps', () => {
    const { hosts, vars } = parseAnsibleInventory(INVENTORY, 'hosts.ini');
    expect(hosts).toStrictEqual([
      { name: 'pg1', address: '10.0.0.11', role: 'postgres', zone: 1, pgPort: 5432 },
      { name: 'pg2', address: '10.0.0.12', role: 'postgres', zone: 2, sshPort: 2222, pgPort: 5433 },
      { name: 'backup1', address: '10.0.0.20', role: 'backup', zone: 1, pgPort: 5432 },
      { name: 'backup2', address: 'fd00::20', role: 'backup', zone: 2, pgPort: 5432 },
    ]);
    expect(vars.backup_repo_path).toBe('/srv/backrest');
    expect(vars.full_backup_schedule).toBe('0 2 * * 0');
  });

  it('makes a config from them and the hosts, naming the inventory as the source; no secret is copied', async () => {
    const file = join(dir, 'hosts.ini');
    writeFileSync(file, INVENTORY);
    const fresh = recorded('fresh');
    const facts: Facts = new Map([
      ['pg1', fresh.get('ssh-pg1')!],
      ['pg2', fresh.get('ssh-pg2')!],
      ['backup1', fresh.get('ssh-backup1')!],
      ['backup2', fresh.get('ssh-backup2')!],
    ]);
    cases += 1;
    const request = initRequest(
      await initOptions(['--inventory', file, '--secrets', join(dir, 'inv-secrets'), '--out', join(dir, 'inv.toml')]),
    );
    const out = written(request, facts);
    expect(out.config.cluster.name).toBe('sales');
    expect(out.config.repo).toMatchObject({
      type: 'ssh',
      path: '/srv/backrest',
      user: 'pgbackup',
      retention: { full: 2 },
    });
    expect(out.config.schedule).toStrictEqual({ full: '0 2 * * 0', diff: '10 0 * * 1-6' });
    expect(out.config.host.map((host: Toml) => [host.name, host.zone, host.ssh_port ?? null])).toStrictEqual([
      ['pg1', 1, null],
      ['pg2', 2, 2222],
      ['backup1', 1, null],
      ['backup2', 2, null],
    ]);
    expect(out.text).toContain(`path = "/srv/backrest"  # from backup_repo_path in ${file}`);
    expect(out.text).toContain(`# Written by bsync init from the hosts in ${file}: what they run now.`);
    expect(out.text).not.toMatch(/secret"/);
    expect(out.inventory().hosts).toHaveLength(4);
  });

  it('with is_ha_cluster but no Patroni config found, writes [patroni] and asks to check it', async () => {
    const file = join(dir, 'ha.ini');
    writeFileSync(
      file,
      '[pgedge]\npg1 ansible_host=10.0.0.11\n[backup]\nbackup1 ansible_host=10.0.0.20\n[all:vars]\nis_ha_cluster=True\n',
    );
    const fresh = recorded('fresh');
    const request = initRequest(
      await initOptions(['--inventory', file, '--secrets', join(dir, 'ha-secrets'), '--out', join(dir, 'ha.toml')]),
    );
    const out = written(
      request,
      new Map([
        ['pg1', fresh.get('ssh-pg1')!],
        ['backup1', fresh.get('ssh-backup1')!],
      ]),
    );
    expect(out.config.patroni).toStrictEqual({});
    expect(out.text).toContain(
      `# is_ha_cluster in ${file}; no Patroni config found in the usual places: set config to where Patroni's is.\n[patroni]\n`,
    );
  });

  it.each([
    ['[pgedge]\npg[1:3] ansible_host=x\n', 'hosts.ini:2: pg[1:3]: host ranges are not read'],
    ['[pgedge]\npg1 zone=0\n', 'hosts.ini:2: zone = "0" is not a whole number from 1 to 999'],
    ['[pgedge]\npg1 ansible_host=10.0.0.1 stray\n', 'hosts.ini:2: cannot read "stray": not key=value'],
    ['[backup]\nbad_name\n', 'hosts.ini:2: bad_name: "bad_name" is not a host name'],
    ['[pgedge:children]\nzone1\n', 'hosts.ini:1: [pgedge:children]: child groups are not read'],
  ])('refuses %j naming the line', (text, message) => {
    const run = () => parseAnsibleInventory(text, 'hosts.ini');
    expect(run).toThrow();
    try {
      run();
    } catch (error) {
      expect((error as { describe(): string }).describe()).toContain(message);
    }
  });
});

describe('bsync init as a user runs it', () => {
  it('has help, did-you-mean and completion like every command', async () => {
    const help = await bsync(['init', '-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^bsync init --host NAME=ADDRESS\[:ROLE\[:ZONE\]\] \.\.\. \| --inventory FILE\n/);
    expect(help.stdout.indexOf('--inventory')).toBeLessThan(help.stdout.indexOf('Global options:'));
    expect((await bsync(['int'])).stderr).toContain('bsync: error: unknown command "int" (did you mean init?)');
    expect((await bsync(['init', '--inventroy', 'x'])).stderr).toContain('(did you mean --inventory?)');
    expect((await bsync(['--get-yargs-completions', 'bsync', 'in'])).stdout.split('\n')).toContain('init');
  });

  it('never overwrites a file, and says so before asking any host', async () => {
    const out = join(dir, 'taken.toml');
    writeFileSync(out, 'keep me\n');
    const run = await bsync(['init', '--host', 'pg1=192.0.2.1', '--out', out, '--known-hosts', `${KEYS}known_hosts`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `bsync: error: ${out} exists already: bsync init never overwrites a file\n  Move it away, or name another file with --out FILE.\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
  });

  it('names a missing key file by its option, with no stack trace', async () => {
    const run = await bsync([
      'init',
      '--host',
      'pg1=192.0.2.1',
      '--out',
      join(dir, 'none.toml'),
      '--identity',
      join(dir, 'nokey'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bsync: error: --identity: cannot read ${join(dir, 'nokey')}: no such file`);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});

describe("what init asks the hosts, through the gatherer's one script", () => {
  it('pgbackrest.conf, the Patroni configs by existence, PostgreSQL on its port, and the backup jobs', async () => {
    const request = await requestFor(['pg1=10.0.0.11', 'b1=10.0.0.20:backup'], ['--pg-port', '5433']);
    const inventory = probeInventory(request, undefined, '/k');
    const [pg, backup] = inventory.hosts.map((host) =>
      factsScript(probeContext(inventory, host, initNeeds(host, request)), 'n0nce'),
    );
    expect(pg).toContain('/etc/pgbackrest/pgbackrest.conf');
    expect(pg).toContain('/etc/patroni/patroni.yml');
    expect(pg).toContain('-p 5433 -d postgres');
    expect(pg).toContain('crontab -l -u postgres');
    expect(pg).not.toContain('patronictl');
    expect(backup).toContain('crontab -l -u backrest');
    expect(backup).not.toContain('psql');
    expect(backup).not.toContain('patroni');
    // Patroni's config holds passwords: its existence is asked, never its content.
    expect(initNeeds(inventory.hosts[0], request).files.filter((file) => file.path.includes('patroni'))).toEqual(
      expect.arrayContaining([{ path: '/etc/patroni/patroni.yml', readContent: false }]),
    );
    expect(
      initNeeds(inventory.hosts[0], request).files.some((file) => file.path.includes('patroni') && file.readContent),
    ).toBe(false);
  });
});

describe('what init prints', () => {
  const out = captureOutput();
  const result = {
    config: '/etc/bsync/bsync.toml',
    hosts: [
      { name: 'pg1', zone: 1, found: 'primary, PostgreSQL 15.18' },
      {
        name: 'evil',
        zone: 1,
        found: 'PostgreSQL did not answer on port 5432 (\u001b[2J): fill in pg_data and pg_port',
      },
    ],
    secretFiles: [{ path: '/etc/bsync/backup_password', holds: 'the password of the backup role backrest' }],
    problems: ['/etc/bsync/bsync.toml:9: repo.s3.bucket: is required\n  Fill it in.'],
  };

  it('as text: what was written, what validate would refuse, the files to create, the next commands; escaped', () => {
    viewFor(INIT_VIEWS, { json: false, color: false }).init(result);
    expect(out.stdout).toBe(
      [
        'Wrote /etc/bsync/bsync.toml:',
        '  pg1 (zone 1): primary, PostgreSQL 15.18',
        '  evil (zone 1): PostgreSQL did not answer on port 5432 (\\x1b[2J): fill in pg_data and pg_port',
        'Edit it where validate would refuse it:',
        '  /etc/bsync/bsync.toml:9: repo.s3.bucket: is required',
        '    Fill it in.',
        'Create these files (one line each, chmod 600) before bsync validate:',
        '  /etc/bsync/backup_password: the password of the backup role backrest',
        'Then: bsync validate -c /etc/bsync/bsync.toml; bsync plan -c /etc/bsync/bsync.toml',
        '',
      ].join('\n'),
    );
    expect(out.stderr).toBe('');
  });

  it('as JSON: the result as it is', () => {
    viewFor(INIT_VIEWS, { json: true, color: false }).init(result);
    expect(JSON.parse(out.stdout)).toStrictEqual(result);
  });
});
