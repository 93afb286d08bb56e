// bsync.toml → Inventory: TOML syntax, the JSON Schema, defaults, paths, secrets, and the
// checks a schema cannot make (uniqueness, one backup host per zone, cron syntax).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { homedir } from 'node:os';
import { ConfigError } from '../errors.js';
import { cronProblem } from './cron.js';
import type { AzureRepo, HostSpec, Inventory, Repo, S3Repo, StorageAccess } from './inventory.js';
import { resolveLocalPath } from './paths.js';
import { checkOptionNeeds, pgbackrestOptions } from './pgbackrest-options.js';
import { validateSchema } from './schema.js';
import { checkSecretFormats } from './secret-formats.js';
import { resolveSecret, type SecretContext, type SecretSpec } from './secrets.js';
import { parseToml, readConfigText } from './toml.js';

/* The shape the schema guarantees. */
interface RawConfig {
  cluster: { name: string; pg_version?: number; stanza?: string };
  ssh?: { user?: string; port?: number; identity?: string; known_hosts?: string; connect_timeout?: number };
  /** [repo] or [[repo]]: made a list before the schema sees it (normalizeRepos). */
  repo?: RawRepo[];
  backup_user?: { enabled?: boolean; name?: string; password?: SecretSpec };
  schedule?: { full?: string; diff?: string };
  patroni?: { config?: string; access?: 'patronictl' | 'rest'; rest_port?: number };
  verify?: {
    hosts?: string[];
    path?: string;
    query?: string;
    amcheck?: boolean;
    recovery_point?: boolean;
    timeout?: number;
  };
  pgbackrest?: { global?: Record<string, unknown>; stanza?: Record<string, unknown> };
  host: Array<{
    name: string;
    address?: string;
    role: 'postgres' | 'backup';
    zone?: number;
    ssh_port?: number;
    backup_address?: string;
    pg_data?: string;
    pg_port?: number;
  }>;
}

interface RawStorage {
  port?: number;
  verify_tls?: boolean;
  ca_file?: string;
  uri_style?: 'host' | 'path';
}

interface RawRepo {
  type?: 'ssh' | 's3' | 'azure' | 'posix';
  path?: string;
  user?: string;
  cipher_type?: 'aes-256-cbc' | 'none';
  cipher_pass?: SecretSpec;
  cipher_pass_store?: string;
  retention?: { full?: number; diff?: number };
  schedule?: { full?: string; diff?: string };
  s3?: RawStorage & { bucket: string; endpoint: string; region: string; key: SecretSpec; key_secret: SecretSpec };
  azure?: RawStorage & {
    account: string;
    container: string;
    key: SecretSpec;
    key_type?: 'shared' | 'sas';
    endpoint?: string;
  };
}

/** Default repository path by type: the role's /home/backrest, pgBackRest's own for a posix folder. */
const DEFAULT_REPO_PATH: Record<NonNullable<RawRepo['type']>, string> = {
  ssh: '/home/backrest',
  s3: '/home/backrest',
  azure: '/home/backrest',
  posix: '/var/lib/pgbackrest',
};

/**
 * A single [repo] table is a list of one, so one schema and one code path serve both; the
 * messages keep naming its keys `repo.x`, as the file writes them.
 */
function normalizeRepos(data: Record<string, unknown>): { table: boolean; rename: (path: string) => string } {
  const repo = data.repo;
  const table = repo !== undefined && typeof repo === 'object' && repo !== null && !Array.isArray(repo);
  if (table) data.repo = [repo];
  return {
    table,
    rename: (path) => (table ? path.replace(/^repo\[1\]/, 'repo') : path),
  };
}

export function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Inventory {
  const file = resolve(path);
  return parseConfig(readConfigText(file), file, options.env ?? process.env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv): Inventory {
  const data = parseToml(text, file);
  const repos = normalizeRepos(data);
  validateSchema(data, file, repos.rename);
  const raw = data as unknown as RawConfig;
  const rawRepos = raw.repo ?? [{}];
  const repoPath = (index: number) => repos.rename(`repo[${index + 1}]`);
  checkBeforeSecrets(raw, rawRepos, repoPath, file);
  const options = pgbackrestOptions(raw.pgbackrest, file, rawRepos.length);
  const ssh = rawRepos.find((repo) => (repo.type ?? 'ssh') === 'ssh');
  checkOptionNeeds(options, raw.host, ssh !== undefined, file);
  const warnings: string[] = [];
  const ctx: SecretContext = { file, configDir: dirname(file), env, warnings };
  const local = (value: string) => resolveLocalPath(value, ctx.configDir);

  const backupUser = raw.backup_user ?? {};
  const enabled = backupUser.enabled ?? true;
  const defaultIdentity = process.env.SSH_AUTH_SOCK ? undefined : `${homedir()}/.ssh/id_ed25519`;

  const inventory: Inventory = {
    configPath: file,
    cluster: {
      name: raw.cluster.name,
      ...(raw.cluster.pg_version !== undefined ? { pgVersion: raw.cluster.pg_version } : {}),
      ...(raw.cluster.stanza ? { stanza: raw.cluster.stanza } : {}),
    },
    ssh: {
      user: raw.ssh?.user ?? 'root',
      port: raw.ssh?.port ?? 22,
      identity: raw.ssh?.identity ? local(raw.ssh.identity) : defaultIdentity,
      knownHosts: local(raw.ssh?.known_hosts ?? '~/.ssh/known_hosts'),
      connectTimeout: raw.ssh?.connect_timeout ?? 10,
    },
    repos: rawRepos.map((repo, index) => repoOf(repo, index, raw, repoPath(index), ctx, local)),
    repoUser: ssh?.user ?? 'backrest',
    repoTable: repos.table,
    backupUser: {
      enabled,
      name: backupUser.name ?? 'backrest',
      password:
        enabled && backupUser.password !== undefined
          ? resolveSecret(backupUser.password, 'backup_user.password', ctx)
          : null,
    },
    schedule: { full: raw.schedule?.full ?? '10 0 * * 0', diff: raw.schedule?.diff ?? '10 0 * * 1-6' },
    ...(raw.patroni
      ? {
          patroni: {
            config: raw.patroni.config ?? '/etc/patroni/patroni.yml',
            access: raw.patroni.access ?? 'patronictl',
            restPort: raw.patroni.rest_port ?? 8008,
          },
        }
      : {}),
    verify: {
      hosts: new Map(
        (raw.verify?.hosts ?? []).map((name) => [raw.host.find((host) => host.name === name)!.zone ?? 1, name]),
      ),
      path: raw.verify?.path ?? '/var/tmp/bsync-verify',
      ...(raw.verify?.query ? { query: raw.verify.query } : {}),
      amcheck: raw.verify?.amcheck ?? false,
      recoveryPoint: raw.verify?.recovery_point ?? false,
      timeoutSeconds: raw.verify?.timeout ?? 3600,
    },
    pgbackrest: options,
    hosts: raw.host.map(
      (host): HostSpec => ({
        name: host.name,
        address: host.address ?? host.name,
        role: host.role,
        zone: host.zone ?? 1,
        sshPort: host.ssh_port ?? raw.ssh?.port ?? 22,
        ...(host.backup_address ? { backupAddress: host.backup_address } : {}),
        ...(host.pg_data ? { pgData: host.pg_data } : {}),
        pgPort: host.pg_port ?? 5432,
      }),
    ),
    warnings,
  };
  checkSecretFormats(inventory);
  return inventory;
}

function repoOf(
  repo: RawRepo,
  index: number,
  raw: RawConfig,
  keyPath: string,
  ctx: SecretContext,
  local: (path: string) => string,
): Repo {
  const type = repo.type ?? 'ssh';
  const cipherType = repo.cipher_type ?? 'aes-256-cbc';
  const cipherSpec = repo.cipher_pass ?? 'auto';
  return {
    key: index + 1,
    type,
    path: repo.path ?? DEFAULT_REPO_PATH[type],
    cipherType,
    cipherPass:
      cipherType === 'none'
        ? null
        : cipherSpec === 'auto'
          ? 'auto'
          : resolveSecret(cipherSpec, `${keyPath}.cipher_pass`, ctx),
    ...(repo.cipher_pass_store ? { cipherPassStore: local(repo.cipher_pass_store) } : {}),
    retention: { full: repo.retention?.full ?? 1, diff: repo.retention?.diff ?? 6 },
    schedule: {
      full: repo.schedule?.full ?? raw.schedule?.full ?? '10 0 * * 0',
      diff: repo.schedule?.diff ?? raw.schedule?.diff ?? '10 0 * * 1-6',
    },
    ...(repo.s3 ? { s3: s3Repo(repo.s3, `${keyPath}.s3`, ctx, local) } : {}),
    ...(repo.azure ? { azure: azureRepo(repo.azure, `${keyPath}.azure`, ctx, local) } : {}),
  };
}

/** How an object store is reached over TLS, the same keys for every type: uri_style, port, verify_tls, ca_file. */
function storageOf(
  raw: RawStorage,
  keyPath: string,
  ctx: SecretContext,
  local: (path: string) => string,
): StorageAccess {
  const caFile = raw.ca_file ? local(raw.ca_file) : undefined;
  return {
    uriStyle: raw.uri_style ?? 'host',
    ...(raw.port ? { port: raw.port } : {}),
    verifyTls: raw.verify_tls ?? true,
    ...(caFile ? { caFile, caCert: readCaFile(caFile, `${keyPath}.ca_file`, ctx.file) } : {}),
  };
}

function s3Repo(
  s3: NonNullable<RawRepo['s3']>,
  keyPath: string,
  ctx: SecretContext,
  local: (path: string) => string,
): S3Repo {
  return {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    key: resolveSecret(s3.key, `${keyPath}.key`, ctx),
    keySecret: resolveSecret(s3.key_secret, `${keyPath}.key_secret`, ctx),
    ...storageOf(s3, keyPath, ctx, local),
  };
}

function azureRepo(
  azure: NonNullable<RawRepo['azure']>,
  keyPath: string,
  ctx: SecretContext,
  local: (path: string) => string,
): AzureRepo {
  return {
    account: azure.account,
    container: azure.container,
    key: resolveSecret(azure.key, `${keyPath}.key`, ctx),
    keyType: azure.key_type ?? 'shared',
    ...(azure.endpoint ? { endpoint: azure.endpoint } : {}),
    ...storageOf(azure, keyPath, ctx, local),
  };
}

function readCaFile(path: string, keyPath: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${keyPath}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      { where: file },
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${keyPath}: ${path} holds no PEM certificate`, {
      where: file,
      hint: "Give the CA certificate (-----BEGIN CERTIFICATE-----) that signed the endpoint's certificate.",
    });
  }
  return text;
}

/** Checks across keys, made before any secret is read so a bad config fails fast. */
function checkBeforeSecrets(raw: RawConfig, repos: RawRepo[], repoPath: (index: number) => string, file: string): void {
  const fail = (path: string, message: string, hint?: string) => {
    throw new ConfigError(`${path}: ${message}`, { where: file, hint });
  };
  for (const kind of ['full', 'diff'] as const) {
    const schedule = raw.schedule?.[kind];
    const problem = schedule === undefined ? null : cronProblem(schedule);
    if (problem)
      fail(
        `schedule.${kind}`,
        `${JSON.stringify(schedule)} is not a cron schedule: ${problem}`,
        'Write five fields: minute hour day-of-month month day-of-week, e.g. "10 0 * * 0".',
      );
  }
  for (const [index, repo] of repos.entries()) checkRepo(repo, repoPath(index), fail);
  const types = repos.map((repo) => repo.type ?? 'ssh');
  const hasSsh = types.includes('ssh');
  const sshAt = types.indexOf('ssh');
  if (types.lastIndexOf('ssh') !== sshAt)
    fail(
      `${repoPath(types.lastIndexOf('ssh'))}.type`,
      `is a second ssh repository; a zone has one backup host, which holds ${repoPath(sshAt)}`,
      'Keep one [[repo]] with type = "ssh"; the others go to object storage (s3, azure).',
    );
  if (hasSsh && types.includes('posix'))
    fail(
      `${repoPath(types.indexOf('posix'))}.type`,
      `"posix" does not go with an ssh repository (${repoPath(sshAt)}): with a backup host, backups run there, away from the PostgreSQL hosts' folder`,
      'Use type = "s3" or "azure" beside the ssh repository, or drop the ssh repository.',
    );
  const typeWord = `${repos.length === 1 ? `${repoPath(0)}.type` : 'a [[repo]] with type'} = "ssh"`;
  if ((raw.backup_user?.enabled ?? true) && raw.backup_user?.password === undefined) {
    fail(
      'backup_user.password',
      'is required while the backup user is enabled',
      'Set it, e.g. password = { env = "BSYNC_BACKUP_PASSWORD" }, or set backup_user.enabled = false.',
    );
  }

  const seen = new Map<string, number>();
  raw.host.forEach((host, index) => {
    for (const [what, value] of [
      ['name', host.name],
      ['address', host.address ?? host.name],
    ] as const) {
      const key = `${what}:${value.toLowerCase()}`;
      const earlier = seen.get(key);
      if (earlier !== undefined)
        fail(
          `host[${index + 1}].${what}`,
          `${JSON.stringify(value)} is already used by host[${earlier + 1}]`,
          `Each host needs its own ${what}.`,
        );
      seen.set(key, index);
    }
  });

  checkVerify(raw, fail);
  raw.host.forEach((host, index) => {
    if (host.backup_address === undefined) return;
    if (host.role === 'backup')
      fail(
        `host[${index + 1}].backup_address`,
        'only goes on PostgreSQL hosts (role = "postgres"): it is the backup host\'s address as that PostgreSQL host sees it',
        'Remove it here; set it on the [[host]] entries with role = "postgres" whose pg_hba.conf sees the backup host under another address.',
      );
    if (!hasSsh)
      fail(
        `host[${index + 1}].backup_address`,
        `only goes with ${typeWord}: with ${[...new Set(types)].join(' and ')} there is no backup host to let in`,
        `Remove it, or use ${typeWord} with a backup host per zone.`,
      );
  });

  const zones = [...new Set(raw.host.map((host) => host.zone ?? 1))].sort((a, b) => a - b);
  for (const zone of zones) {
    const members = raw.host.map((host, index) => ({ ...host, index })).filter((host) => (host.zone ?? 1) === zone);
    const backups = members.filter((host) => host.role === 'backup');
    const postgres = members.filter((host) => host.role === 'postgres');
    const label = (list: typeof members) => list.map((host) => `host[${host.index + 1}] ${host.name}`).join(', ');
    if (postgres.length === 0)
      fail(
        `host[${backups[0].index + 1}].zone`,
        `zone ${zone} has a backup host but no postgres host`,
        'A backup host serves the PostgreSQL hosts of its zone.',
      );
    if (!hasSsh && backups.length > 0)
      fail(
        `host[${backups[0].index + 1}].role`,
        `${[...new Set(types)].join(' and ')} repositories need no backup host`,
        `Remove ${label(backups)}, or use ${typeWord}.`,
      );
    if (hasSsh && backups.length === 0)
      fail(
        `host[${postgres[0].index + 1}].zone`,
        `zone ${zone} has no backup host`,
        `${typeWord} needs one host with role = "backup" in zone ${zone} (for ${label(postgres)}).`,
      );
    if (hasSsh && backups.length > 1)
      fail(
        `host[${backups[1].index + 1}].zone`,
        `zone ${zone} has ${backups.length} backup hosts (${label(backups)})`,
        'One backup host per zone holds its repository.',
      );
  }
}

/** One repository's keys that go together: the storage table of its type, its user, its cipher keys, its schedule. */
function checkRepo(repo: RawRepo, path: string, fail: (path: string, message: string, hint?: string) => never): void {
  const type = repo.type ?? 'ssh';
  for (const storage of ['s3', 'azure'] as const) {
    const keys = storage === 's3' ? 'bucket, endpoint, region, key and key_secret' : 'account, container and key';
    if (type === storage && !repo[storage])
      fail(
        `${path}.${storage}`,
        `is required with ${path}.type = "${storage}"`,
        `Add a [${path}.${storage}] table with ${keys}.`,
      );
    if (type !== storage && repo[storage])
      fail(
        `${path}.${storage}`,
        `only goes with ${path}.type = "${storage}"`,
        `Remove [${path}.${storage}], or set ${path}.type = "${storage}".`,
      );
  }
  if (type !== 'ssh' && repo.user !== undefined)
    fail(
      `${path}.user`,
      `only goes with ${path}.type = "ssh": it owns the repository on backup hosts, and ${type} repositories have none`,
      `Remove ${path}.user; with ${type} every PostgreSQL host reaches the repository as postgres.`,
    );
  if (repo.cipher_pass_store !== undefined && (repo.cipher_pass ?? 'auto') !== 'auto') {
    fail(
      `${path}.cipher_pass_store`,
      'only goes with cipher_pass = "auto": it keeps the passphrases bsync generates',
      `Remove it, or set ${path}.cipher_pass = "auto".`,
    );
  }
  if ((repo.cipher_type ?? 'aes-256-cbc') === 'none' && repo.cipher_pass !== undefined) {
    fail(
      `${path}.cipher_pass`,
      `is set but ${path}.cipher_type is "none"`,
      'Remove cipher_pass, or choose cipher_type = "aes-256-cbc".',
    );
  }
  for (const kind of ['full', 'diff'] as const) {
    const schedule = repo.schedule?.[kind];
    const problem = schedule === undefined ? null : cronProblem(schedule);
    if (problem)
      fail(
        `${path}.schedule.${kind}`,
        `${JSON.stringify(schedule)} is not a cron schedule: ${problem}`,
        'Write five fields: minute hour day-of-month month day-of-week, e.g. "10 0 * * 0".',
      );
  }
}

/** [verify]: named hosts exist, one per zone; the scratch path is nowhere near a data directory. */
function checkVerify(raw: RawConfig, fail: (path: string, message: string, hint?: string) => never): void {
  const verifyZones = new Map<number, string>();
  (raw.verify?.hosts ?? []).forEach((name, index) => {
    const host = raw.host.find((candidate) => candidate.name === name);
    if (!host)
      fail(
        `verify.hosts[${index + 1}]`,
        `${JSON.stringify(name)} is not a host of this config`,
        `Hosts: ${raw.host.map((candidate) => candidate.name).join(', ')}`,
      );
    const zone = host.zone ?? 1;
    const earlier = verifyZones.get(zone);
    if (earlier)
      fail(
        `verify.hosts[${index + 1}]`,
        `zone ${zone} already restores on ${earlier}`,
        'Name at most one verify host per zone.',
      );
    verifyZones.set(zone, name);
  });
  const scratch = (raw.verify?.path ?? '/var/tmp/bsync-verify').replace(/\/+$/, '') || '/';
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b === '/' ? '' : b}/`);
  if (scratch === '/') fail('verify.path', 'must not be /', 'Give a scratch folder such as /var/tmp/bsync-verify.');
  raw.host.forEach((host, index) => {
    const data = host.pg_data?.replace(/\/+$/, '');
    if (data && (inside(scratch, data) || inside(data, scratch))) {
      fail(
        'verify.path',
        `${scratch} overlaps the data directory of host[${index + 1}] ${host.name} (${data})`,
        'verify restores into a scratch folder that must be apart from every data directory.',
      );
    }
  });
}
