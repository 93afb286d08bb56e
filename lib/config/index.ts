// bsync.toml → Inventory: TOML syntax, the JSON Schema, the checks a schema cannot make
// (checks.ts), pgBackRest's options, secrets and CA files, then defaults and paths. Every
// problem past the TOML syntax is collected and raised at once (problems.ts).
import type { Diagnostic } from '../diagnostics.js';
import { dirname, resolve } from 'node:path';
import { checkAcrossKeys, DEFAULT_REPLICATION_USER } from './checks.js';
import { repoType } from '../repositories/index.js';
import type { AlertThresholds, HostSpec, Inventory, Repo, Schedule } from './inventory.js';
import { readLocalValues, rolePasswords, type LocalValues } from './local-files.js';
import { resolveLocalPath } from './paths.js';
import { checkBackupFrom, checkOptionNeeds } from './backup-from.js';
import { checkFolders } from './folders.js';
import { pgbackrestOptions } from './pgbackrest-options.js';
import { ConfigProblems } from './problems.js';
import { checkZones, fromBackupOf, standbyOfOf } from './zones.js';
import type { RawConfig, RawRepo, RawSchedule } from './raw.js';
import { configSchema, validateSchema } from './schema.js';
import { spellAsChecked } from './spellings.js';
import { checkSecretFormats, confSecrets } from './secret-formats.js';
import { parseToml, readConfigText } from './toml.js';
import { checkTls, readTls } from './tls.js';
import { DEFAULT_SCHEDULE, scheduleCollisions, scheduledJobs } from './schedule-collisions.js';
import { repoPathOf, sharedLocation } from './repo-clashes.js';
import { checkOptionRules } from './option-rules.js';
import { durationSeconds } from './durations.js';
import { defaultIdentity } from './ssh-files.js';

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

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * For commands that write nothing (status, check): the secrets kept in the environment
   * or in files are not read, so a cron job runs them without the cipher passphrase or
   * the backup password at hand (docs/monitoring.md).
   */
  readOnly?: boolean;
}

export function loadConfig(path: string, options: LoadOptions = {}): Inventory {
  const file = resolve(path);
  return parseConfig(readConfigText(file), file, options.env ?? process.env, options);
}

export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  load: Pick<LoadOptions, 'readOnly'> = {},
): Inventory {
  const data = parseToml(text, file);
  const repos = normalizeRepos(data);
  const problems = new ConfigProblems(file, text);
  validateSchema(data, problems, repos.rename);
  spellAsChecked(data, configSchema());
  const raw = data as unknown as RawConfig;
  const rawRepos = Array.isArray(raw.repo) ? raw.repo : [{}];
  const repoPath = (index: number) => repos.rename(`repo[${index + 1}]`);
  const schemaSound = problems.sound();
  checkAcrossKeys(raw, rawRepos, repoPath, problems, schemaSound);
  const repoTypes = rawRepos.map((repo) => repo.type ?? 'ssh');
  const typesSound = schemaSound(...rawRepos.map((_, index) => `${repoPath(index)}.type`));
  const options = schemaSound('pgbackrest')
    ? pgbackrestOptions(raw.pgbackrest, problems, rawRepos.length, typesSound ? repoTypes : undefined)
    : { global: [], stanza: [], commands: [] };
  checkOptionRules(options, problems);
  const ssh = rawRepos.find((repo) => (repo.type ?? 'ssh') === 'ssh');
  const hostsSound = schemaSound('host[*].name', 'host[*].role', 'host[*].zone');
  // With backup_from, a hand-written backup-standby is refused whatever it says (checkBackupFrom).
  const byHand = raw.cluster?.backup_from === undefined;
  if (byHand && hostsSound && schemaSound(...rawRepos.map((_, index) => `${repoPath(index)}.type`)))
    checkOptionNeeds(options, raw.host, ssh !== undefined, problems);
  if (schemaSound('cluster.backup_from')) checkBackupFrom(raw, options, hostsSound, problems);
  checkTls(raw, rawRepos, repoPath, problems, schemaSound);
  checkFolders(raw, rawRepos, repoPath, options, (key, message, hint) => problems.add(key, message, hint), schemaSound);
  checkZones({ raw, rawRepos, problems }, schemaSound);
  const warnings: Diagnostic[] = [];
  const local = (value: string) => resolveLocalPath(value, dirname(file));
  const ctx = { configDir: dirname(file), env, warnings, problems, deferSecrets: load.readOnly === true };
  const values = readLocalValues(raw, rawRepos, repoPath, ctx, problems.sound(), local);
  checkSecretFormats(confSecrets(values.repoSecrets, rawRepos, repoPath, problems), rolePasswords(values), problems);
  const tls = readTls(raw, rawRepos, ctx, problems.sound(), local);
  problems.raise();
  warnings.push(...scheduleCollisions(scheduledJobs(raw.schedule, rawRepos, repoPath, DEFAULT_SCHEDULE)));

  const backupUser = raw.backup_user ?? {};
  const fromBackup = fromBackupOf(raw);
  const standbyOf = standbyOfOf(raw);
  const enabled = backupUser.enabled ?? true;

  return {
    configPath: file,
    cluster: {
      name: raw.cluster.name,
      ...(raw.cluster.pg_version !== undefined ? { pgVersion: raw.cluster.pg_version } : {}),
      ...(raw.cluster.stanza ? { stanza: raw.cluster.stanza } : {}),
      backupFrom: raw.cluster.backup_from ?? 'primary',
    },
    ssh: sshOf(raw.ssh ?? {}, values, local),
    repos: rawRepos.map((repo, index) => repoOf(repo, index, raw, repoPath(index), values, local)),
    repoUser: ssh?.user ?? 'backrest',
    repoTable: repos.table,
    backupUser: {
      enabled,
      name: backupUser.name ?? 'backrest',
      password: values.backupPassword ?? null,
    },
    ...replicationUserOf(raw, values),
    schedule: scheduleOf(raw.schedule, {}),
    ...(tls ? { tls } : {}),
    ...(raw.patroni
      ? {
          patroni: {
            config: raw.patroni.config ?? '/etc/patroni/patroni.yml',
            access: raw.patroni.access ?? 'patronictl',
            restPort: raw.patroni.rest_port ?? 8008,
            ...(raw.patroni.create_replica_methods ? { createReplicaMethods: raw.patroni.create_replica_methods } : {}),
          },
        }
      : {}),
    verify: verifyOf(raw),
    alert: alertOf(raw.alert ?? {}),
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
    ...(fromBackup ? { fromBackup } : {}),
    ...(standbyOf ? { standbyOf } : {}),
    warnings,
  };
}

/** [ssh] with its defaults: without identity, the ssh-agent when one runs, else ~/.ssh/id_ed25519. */
/** [replication_user], where the config gives its password. */
function replicationUserOf(raw: RawConfig, values: LocalValues): Pick<Inventory, 'replicationUser'> {
  if (!values.replicationPassword) return {};
  const name = raw.replication_user?.name ?? DEFAULT_REPLICATION_USER;
  return { replicationUser: { name, password: values.replicationPassword } };
}

function sshOf(
  ssh: NonNullable<RawConfig['ssh']>,
  values: LocalValues,
  local: (path: string) => string,
): Inventory['ssh'] {
  return {
    user: ssh.user ?? 'root',
    port: ssh.port ?? 22,
    identity: ssh.identity ? local(ssh.identity) : defaultIdentity(),
    ...(values.sshPassphrase ? { passphrase: values.sshPassphrase } : {}),
    knownHosts: local(ssh.known_hosts ?? '~/.ssh/known_hosts'),
    connectTimeout: ssh.connect_timeout ?? 10,
  };
}

function repoOf(
  repo: RawRepo,
  index: number,
  raw: RawConfig,
  keyPath: string,
  values: LocalValues,
  local: (path: string) => string,
): Repo {
  const type = repoType({ type: repo.type ?? 'ssh' });
  const table = type.table && (repo[type.name] as Record<string, unknown> | undefined);
  const cipherType = repo.cipher_type ?? 'aes-256-cbc';
  const cipherSpec = repo.cipher_pass ?? 'auto';
  const shared = sharedLocation(repo);
  return {
    key: index + 1,
    type: type.name,
    // The role's /home/backrest, unless the type has a default of its own (posix: pgBackRest's): repoPathOf.
    path: repoPathOf(repo),
    cipherType,
    cipherPass:
      cipherType === 'none' ? null : cipherSpec === 'auto' ? 'auto' : values.repoSecrets.get(`${keyPath}.cipher_pass`)!,
    ...(repo.cipher_pass_store ? { cipherPassStore: local(repo.cipher_pass_store) } : {}),
    ...(type.name === 'ssh' && repo.transport === 'tls' ? { transport: 'tls' as const } : {}),
    retention: {
      full: repo.retention?.full ?? 1,
      ...(repo.retention?.full_type ? { fullType: repo.retention.full_type } : {}),
      diff: repo.retention?.diff ?? 6,
      ...(repo.retention?.archive !== undefined ? { archive: repo.retention.archive } : {}),
      ...(repo.retention?.archive_type ? { archiveType: repo.retention.archive_type } : {}),
    },
    schedule: scheduleOf(repo.schedule, raw.schedule ?? {}),
    ...(shared !== undefined ? { sharedLocation: shared } : {}),
    ...(table
      ? {
          table: type.table!.convert(table, {
            secret: (key) => values.repoSecrets.get(`${keyPath}.${type.name}.${key}`)!,
            caCert: values.caCerts.get(`${keyPath}.${type.name}.${type.table!.caFile}`),
            local,
          }),
        }
      : {}),
  };
}

/** A schedule's keys, else the fallback's ([schedule]'s for a repository), else the defaults; incr has none. */
function scheduleOf(own: RawSchedule | undefined, fallback: RawSchedule): Schedule {
  const incr = own?.incr ?? fallback.incr;
  return {
    full: own?.full ?? fallback.full ?? DEFAULT_SCHEDULE.full,
    diff: own?.diff ?? fallback.diff ?? DEFAULT_SCHEDULE.diff,
    ...(incr !== undefined ? { incr } : {}),
  };
}

/** [verify], its hosts by zone. */
function verifyOf(raw: RawConfig): Inventory['verify'] {
  return {
    hosts: new Map(
      (raw.verify?.hosts ?? []).map((name) => [raw.host.find((host) => host.name === name)!.zone ?? 1, name]),
    ),
    path: raw.verify?.path ?? '/var/tmp/bsync-verify',
    ...(raw.verify?.query ? { query: raw.verify.query } : {}),
    amcheck: raw.verify?.amcheck ?? false,
    recoveryPoint: raw.verify?.recovery_point ?? false,
    timeoutSeconds: raw.verify?.timeout ?? 3600,
  };
}

/** [alert] with its durations in seconds; the keys left out stay out (not checked). */
function alertOf(raw: NonNullable<RawConfig['alert']>): AlertThresholds {
  const seconds = (text: string | undefined) => (text === undefined ? undefined : durationSeconds(text));
  const entries = {
    maxFullAgeSeconds: seconds(raw.max_full_age),
    maxBackupAgeSeconds: seconds(raw.max_backup_age),
    maxArchiveLagSeconds: seconds(raw.max_archive_lag),
    maxReplayLagSeconds: seconds(raw.max_replay_lag),
    maxWalBacklog: raw.max_wal_backlog,
    minFullCount: raw.min_full_count,
    minWindowSeconds: seconds(raw.min_window),
  };
  return {
    ...Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)),
    failedBackup: raw.failed_backup ?? true,
  };
}
