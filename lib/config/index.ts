// bsync.toml → Inventory: TOML syntax, the JSON Schema, defaults, paths, secrets, and the
// checks a schema cannot make (uniqueness, one backup host per zone, cron syntax).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { homedir } from 'node:os';
import { ConfigError } from '../errors.js';
import { cronProblem } from './cron.js';
import type { HostSpec, Inventory, S3Repo } from './inventory.js';
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
  repo?: {
    type?: 'ssh' | 's3';
    path?: string;
    user?: string;
    cipher_type?: 'aes-256-cbc' | 'none';
    cipher_pass?: SecretSpec;
    cipher_pass_store?: string;
    retention?: { full?: number; diff?: number };
    s3?: {
      bucket: string;
      endpoint: string;
      region: string;
      key: SecretSpec;
      key_secret: SecretSpec;
      uri_style?: 'host' | 'path';
      port?: number;
      verify_tls?: boolean;
      ca_file?: string;
    };
  };
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

export function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Inventory {
  const file = resolve(path);
  return parseConfig(readConfigText(file), file, options.env ?? process.env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv): Inventory {
  const data = parseToml(text, file);
  validateSchema(data, file);
  const raw = data as unknown as RawConfig;
  checkBeforeSecrets(raw, file);
  const options = pgbackrestOptions(raw.pgbackrest, file);
  checkOptionNeeds(options, raw.host, raw.repo?.type ?? 'ssh', file);
  const warnings: string[] = [];
  const ctx: SecretContext = { file, configDir: dirname(file), env, warnings };
  const local = (value: string) => resolveLocalPath(value, ctx.configDir);

  const repo = raw.repo ?? {};
  const cipherType = repo.cipher_type ?? 'aes-256-cbc';
  const cipherSpec = repo.cipher_pass ?? 'auto';
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
    repo: {
      type: repo.type ?? 'ssh',
      path: repo.path ?? '/home/backrest',
      user: repo.user ?? 'backrest',
      cipherType,
      cipherPass:
        cipherType === 'none'
          ? null
          : cipherSpec === 'auto'
            ? 'auto'
            : resolveSecret(cipherSpec, 'repo.cipher_pass', ctx),
      ...(repo.cipher_pass_store ? { cipherPassStore: local(repo.cipher_pass_store) } : {}),
      retention: { full: repo.retention?.full ?? 1, diff: repo.retention?.diff ?? 6 },
      ...(repo.s3 ? { s3: s3Repo(repo.s3, ctx, local) } : {}),
    },
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

function s3Repo(
  s3: NonNullable<NonNullable<RawConfig['repo']>['s3']>,
  ctx: SecretContext,
  local: (path: string) => string,
): S3Repo {
  const caFile = s3.ca_file ? local(s3.ca_file) : undefined;
  const caCert = caFile ? readCaFile(caFile, ctx.file) : undefined;
  return {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    key: resolveSecret(s3.key, 'repo.s3.key', ctx),
    keySecret: resolveSecret(s3.key_secret, 'repo.s3.key_secret', ctx),
    uriStyle: s3.uri_style ?? 'host',
    ...(s3.port ? { port: s3.port } : {}),
    verifyTls: s3.verify_tls ?? true,
    ...(caFile ? { caFile, caCert } : {}),
  };
}

function readCaFile(path: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `repo.s3.ca_file: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      { where: file },
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`repo.s3.ca_file: ${path} holds no PEM certificate`, {
      where: file,
      hint: "Give the CA certificate (-----BEGIN CERTIFICATE-----) that signed the endpoint's certificate.",
    });
  }
  return text;
}

/** Checks across keys, made before any secret is read so a bad config fails fast. */
function checkBeforeSecrets(raw: RawConfig, file: string): void {
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
  const type = raw.repo?.type ?? 'ssh';
  if (type === 's3' && !raw.repo?.s3)
    fail(
      'repo.s3',
      'is required with repo.type = "s3"',
      'Add a [repo.s3] table with bucket, endpoint, region, key and key_secret.',
    );
  if (type === 'ssh' && raw.repo?.s3)
    fail('repo.s3', 'only goes with repo.type = "s3"', 'Remove [repo.s3], or set repo.type = "s3".');
  if (type === 's3' && raw.repo?.user !== undefined)
    fail(
      'repo.user',
      'only goes with repo.type = "ssh": it owns the repository on backup hosts, and s3 repositories have none',
      'Remove repo.user; with s3 every PostgreSQL host writes to the bucket as postgres.',
    );
  if (raw.repo?.cipher_pass_store !== undefined && (raw.repo.cipher_pass ?? 'auto') !== 'auto') {
    fail(
      'repo.cipher_pass_store',
      'only goes with cipher_pass = "auto": it keeps the passphrases bsync generates',
      'Remove it, or set repo.cipher_pass = "auto".',
    );
  }
  if ((raw.repo?.cipher_type ?? 'aes-256-cbc') === 'none' && raw.repo?.cipher_pass !== undefined) {
    fail(
      'repo.cipher_pass',
      'is set but repo.cipher_type is "none"',
      'Remove cipher_pass, or choose cipher_type = "aes-256-cbc".',
    );
  }
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
    if (type === 's3')
      fail(
        `host[${index + 1}].backup_address`,
        'only goes with repo.type = "ssh": with s3 there is no backup host to let in',
        'Remove it, or use repo.type = "ssh" with a backup host per zone.',
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
    if (type === 's3' && backups.length > 0)
      fail(
        `host[${backups[0].index + 1}].role`,
        's3 repositories need no backup host',
        `Remove ${label(backups)}, or use repo.type = "ssh".`,
      );
    if (type === 'ssh' && backups.length === 0)
      fail(
        `host[${postgres[0].index + 1}].zone`,
        `zone ${zone} has no backup host`,
        `repo.type = "ssh" needs one host with role = "backup" in zone ${zone} (for ${label(postgres)}).`,
      );
    if (type === 'ssh' && backups.length > 1)
      fail(
        `host[${backups[1].index + 1}].zone`,
        `zone ${zone} has ${backups.length} backup hosts (${label(backups)})`,
        'One backup host per zone holds its repository.',
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
