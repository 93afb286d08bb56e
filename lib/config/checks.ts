// The checks a schema cannot make: uniqueness, addresses (addresses.ts), one backup host per zone, cron syntax, keys
// that only go together, the backup role's name. Each reads only keys the schema found sound
// (`sound`), so every independent mistake of a config is reported in the same run.
import { repoType, repoTypes } from '../repositories/index.js';
import type { AddProblem } from '../repositories/types.js';
import { checkAddresses } from './addresses.js';
import { checkRepoClashes, checkZonesShareStanza } from './repo-clashes.js';
import { cronProblem } from './cron.js';
import type { ConfigProblems, Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';
import { reservedRoleProblem } from './role-names.js';

type Add = AddProblem;

export function checkAcrossKeys(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  problems: ConfigProblems,
  sound: Sound,
): void {
  const add: Add = (path, message, hint) => problems.add(path, message, hint);
  checkSchedules(raw.schedule, 'schedule', add, sound);
  for (const [index, repo] of repos.entries()) checkRepo(repo, repoPath(index), add, sound);
  checkEnvironments(repos, repoPath, add, sound);
  checkRepoClashes(repos, repoPath, add, sound);
  checkZonesShareStanza(raw, repos, repoPath, add, sound);
  checkBackupUser(raw, add, sound);
  checkReplicationUser(raw, add, sound);
  checkAddresses(raw, add, sound);
  if (sound('host[*].name', 'host[*].address')) checkUnique(raw, add);
  checkVerify(raw, add, sound);

  // What needs a backup host follows from the repositories' types.
  if (!sound(...repos.map((_, index) => `${repoPath(index)}.type`))) return;
  const types = repos.map((repo) => repo.type ?? 'ssh');
  const hasSsh = types.includes('ssh');
  const sshAt = types.indexOf('ssh');
  if (types.lastIndexOf('ssh') !== sshAt)
    add(
      `${repoPath(types.lastIndexOf('ssh'))}.type`,
      `is a second ssh repository; a zone has one backup host, which holds ${repoPath(sshAt)}`,
      'Keep one [[repo]] with type = "ssh"; the others go to object storage (s3, azure).',
    );
  // A folder on the PostgreSQL hosts (posix) is out of reach of the backup host that runs backups.
  const onPostgres = types.findIndex((name) => repoType({ type: name }).folderOn === 'postgres');
  if (hasSsh && onPostgres >= 0)
    add(
      `${repoPath(onPostgres)}.type`,
      `${JSON.stringify(types[onPostgres])} does not go with an ssh repository (${repoPath(sshAt)}): with a backup host, backups run there, away from the PostgreSQL hosts' folder`,
      'Use type = "s3" or "azure" beside the ssh repository, or drop the ssh repository.',
    );
  const typeWord = `${repos.length === 1 ? `${repoPath(0)}.type` : 'a [[repo]] with type'} = "ssh"`;
  const typeList = [...new Set(types)].join(' and ');
  if (sound('host[*].backup_address', 'host[*].role'))
    raw.host.forEach((host, index) => {
      if (host.backup_address === undefined) return;
      if (host.role === 'backup')
        add(
          `host[${index + 1}].backup_address`,
          'only goes on PostgreSQL hosts (role = "postgres"): it is the backup host\'s address as that PostgreSQL host sees it',
          'Remove it here; set it on the [[host]] entries with role = "postgres" whose pg_hba.conf sees the backup host under another address.',
        );
      else if (!hasSsh)
        add(
          `host[${index + 1}].backup_address`,
          `only goes with ${typeWord}: with ${typeList} there is no backup host to let in`,
          `Remove it, or use ${typeWord} with a backup host per zone.`,
        );
    });
  if (sound('host[*].name', 'host[*].role', 'host[*].zone')) checkZones(raw, hasSsh, typeWord, typeList, add);
}

/**
 * The environment variables repositories need (s3's web-id): pgBackRest reads each once for
 * every repository, so two repositories that need one must need the same value.
 */
function checkEnvironments(repos: RawRepo[], repoPath: (index: number) => string, add: Add, sound: Sound): void {
  const first = new Map<string, { value: string; path: string }>();
  for (const [index, repo] of repos.entries()) {
    const path = repoPath(index);
    if (!sound(`${path}.type`)) continue;
    const table = repoType({ type: repo.type ?? 'ssh' }).table;
    const own = repo[repo.type ?? 'ssh'] as Record<string, unknown> | undefined;
    if (!table?.environment || !own || !sound(`${path}.${repo.type}`)) continue;
    for (const [name, value] of table.environment(own)) {
      const earlier = first.get(name);
      if (!earlier) first.set(name, { value, path });
      else if (earlier.value !== value)
        add(
          `${path}.${repo.type}`,
          `needs ${name}=${value}, and ${earlier.path} needs ${name}=${earlier.value}: pgBackRest reads one ${name} for every repository`,
          'Give both repositories the same value, or use another key_type for one of them.',
        );
    }
  }
}

/** Each zone: a postgres host, and a backup host exactly when there is an ssh repository. */
function checkZones(raw: RawConfig, hasSsh: boolean, typeWord: string, typeList: string, add: Add): void {
  const zones = [...new Set(raw.host.map((host) => host.zone ?? 1))].sort((a, b) => a - b);
  for (const zone of zones) {
    const members = raw.host.map((host, index) => ({ ...host, index })).filter((host) => (host.zone ?? 1) === zone);
    const backups = members.filter((host) => host.role === 'backup');
    const postgres = members.filter((host) => host.role === 'postgres');
    const label = (list: typeof members) => list.map((host) => `host[${host.index + 1}] ${host.name}`).join(', ');
    // One problem a zone: the first of these says what the zone lacks.
    if (postgres.length === 0)
      add(
        `host[${backups[0].index + 1}].zone`,
        `zone ${zone} has a backup host but no postgres host`,
        'A backup host serves the PostgreSQL hosts of its zone.',
      );
    else if (!hasSsh && backups.length > 0)
      add(
        `host[${backups[0].index + 1}].role`,
        `${typeList} repositories need no backup host`,
        `Remove ${label(backups)}, or use ${typeWord}.`,
      );
    else if (hasSsh && backups.length === 0)
      add(
        `host[${postgres[0].index + 1}].zone`,
        `zone ${zone} has no backup host`,
        `${typeWord} needs one host with role = "backup" in zone ${zone} (for ${label(postgres)}).`,
      );
    else if (hasSsh && backups.length > 1)
      add(
        `host[${backups[1].index + 1}].zone`,
        `zone ${zone} has ${backups.length} backup hosts (${label(backups)})`,
        'One backup host per zone holds its repository.',
      );
  }
}

/** Names and addresses: each host its own (a later host names the first that has it). */
function checkUnique(raw: RawConfig, add: Add): void {
  const seen = new Map<string, number>();
  raw.host.forEach((host, index) => {
    for (const [what, value] of [
      ['name', host.name],
      ['address', host.address ?? host.name],
    ] as const) {
      const key = `${what}:${value.toLowerCase()}`;
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, index);
      else
        add(
          `host[${index + 1}].${what}`,
          `${JSON.stringify(value)} is already used by host[${earlier + 1}]`,
          `Each host needs its own ${what}.`,
        );
    }
  });
}

/** The full, diff and incr schedules, each cron syntax that fires when given ([schedule] or a repository's own). */
function checkSchedules(schedule: RawConfig['schedule'], path: string, add: Add, sound: Sound): void {
  for (const kind of ['full', 'diff', 'incr'] as const) {
    const value = schedule?.[kind];
    const problem = value === undefined || !sound(`${path}.${kind}`) ? null : cronProblem(value);
    if (problem)
      add(
        `${path}.${kind}`,
        `${JSON.stringify(value)} is not a cron schedule: ${problem}`,
        'Write five fields: minute hour day-of-month month day-of-week, e.g. "10 0 * * 0".',
      );
  }
}

/** The backup role: a password while enabled, and a name of its own. */
function checkBackupUser(raw: RawConfig, add: Add, sound: Sound): void {
  const user = raw.backup_user;
  if (sound('backup_user.enabled', 'backup_user.password') && (user?.enabled ?? true) && user?.password === undefined)
    add(
      'backup_user.password',
      'is required while the backup user is enabled',
      'Set it, e.g. password = { env = "BSYNC_BACKUP_PASSWORD" }, or set backup_user.enabled = false.',
    );
  const reserved = user?.name !== undefined && sound('backup_user.name') ? reservedRoleProblem(user.name) : null;
  if (reserved)
    add(
      'backup_user.name',
      `${JSON.stringify(user!.name)} ${reserved}`,
      'Name a role of its own for bsync to manage, such as "backrest" (the default).',
    );
}

export const DEFAULT_REPLICATION_USER = 'bsync_replication';

/** The streaming role: a password wherever a standby site streams, and a name of its own, not the backup role's. */
function checkReplicationUser(raw: RawConfig, add: Add, sound: Sound): void {
  const user = raw.replication_user;
  const streams = (raw.zone ?? []).some((zone) => zone.standby_of?.stream === true);
  if (streams && sound('replication_user', 'zone') && user?.password === undefined)
    add(
      'replication_user.password',
      "is required while a [[zone]] declares standby_of.stream = true: the standby connects to the source zone's primary as this role",
      'Set it, e.g. [replication_user] password = { env = "BSYNC_REPLICATION_PASSWORD" }, or remove stream from standby_of.',
    );
  if (user === undefined || !sound('replication_user.name', 'backup_user.name')) return;
  const name = user.name ?? DEFAULT_REPLICATION_USER;
  const reserved = reservedRoleProblem(name);
  if (reserved)
    add(
      'replication_user.name',
      `${JSON.stringify(name)} ${reserved}`,
      `Name a role of its own for bsync to manage, such as "${DEFAULT_REPLICATION_USER}" (the default).`,
    );
  else if (name === (raw.backup_user?.name ?? 'backrest'))
    add(
      'replication_user.name',
      `${JSON.stringify(name)} is the backup role's name too`,
      'Give the streaming role a name of its own: each role has its own password and pg_hba.conf rules.',
    );
}

/** One repository's keys that go together: the storage table of its type, its user, its cipher keys, its schedule. */
function checkRepo(repo: RawRepo, path: string, add: Add, sound: Sound): void {
  if (sound(`${path}.type`)) {
    const type = repo.type ?? 'ssh';
    for (const { name: storage, table } of repoTypes()) {
      if (!table) continue;
      if (type === storage && !repo[storage])
        add(
          `${path}.${storage}`,
          `is required with ${path}.type = "${storage}"`,
          `Add a [${path}.${storage}] table with ${wordList(table.schema.required)}.`,
        );
      if (type !== storage && repo[storage])
        add(
          `${path}.${storage}`,
          `only goes with ${path}.type = "${storage}"`,
          `Remove [${path}.${storage}], or set ${path}.type = "${storage}".`,
        );
      // The type's own checks, on its table once the schema and the above found it sound.
      if (type === storage && repo[storage] && sound(`${path}.${storage}`))
        table.check?.(repo[storage] as Record<string, unknown>, `${path}.${storage}`, add);
    }
    if (type !== 'ssh' && repo.user !== undefined)
      add(
        `${path}.user`,
        `only goes with ${path}.type = "ssh": it owns the repository on backup hosts, and ${type} repositories have none`,
        `Remove ${path}.user; with ${type} every PostgreSQL host reaches the repository as postgres.`,
      );
  }
  if (
    sound(`${path}.cipher_pass_store`, `${path}.cipher_pass`)
    && repo.cipher_pass_store !== undefined
    && (repo.cipher_pass ?? 'auto') !== 'auto'
  )
    add(
      `${path}.cipher_pass_store`,
      'only goes with cipher_pass = "auto": it keeps the passphrases bsync generates',
      `Remove it, or set ${path}.cipher_pass = "auto".`,
    );
  if (
    sound(`${path}.cipher_type`, `${path}.cipher_pass`)
    && (repo.cipher_type ?? 'aes-256-cbc') === 'none'
    && repo.cipher_pass !== undefined
  )
    add(
      `${path}.cipher_pass`,
      `is set but ${path}.cipher_type is "none"`,
      'Remove cipher_pass, or choose cipher_type = "aes-256-cbc".',
    );
  checkSchedules(repo.schedule, `${path}.schedule`, add, sound);
  if (sound(`${path}.retention`)) checkRetention(repo.retention, `${path}.retention`, add);
}

/** `a, b and c`: a table's required keys, as a hint lists them. */
function wordList(words: string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** What pgBackRest does with archive_type when archive is not set (its cfgLoadUpdateOption). */
const ARCHIVE_FALLBACK: Record<'full' | 'diff' | 'incr', string> = {
  full: 'keeps the WAL of every full backup it keeps, which is what it does with no archive_type at all',
  diff: "counts the diff retention's backups instead",
  incr: 'expires no WAL at all: it warns and keeps every segment, and the repository grows without bound',
};

/** Retention keys that only go together: archive_type says which backups archive counts. */
function checkRetention(retention: RawRepo['retention'], path: string, add: Add): void {
  const type = retention?.archive_type;
  if (type !== undefined && retention?.archive === undefined)
    add(
      `${path}.archive_type`,
      `needs ${path}.archive: archive_type says which backups archive counts, and without archive pgBackRest ${ARCHIVE_FALLBACK[type]}`,
      `Set both, e.g. retention = { full = 2, archive = 4, archive_type = "${type}" }, or remove archive_type.`,
    );
}

/** [verify]: named hosts exist, one per zone (its scratch folder is one of folders.ts's). */
function checkVerify(raw: RawConfig, add: Add, sound: Sound): void {
  if (!sound('verify.hosts', 'host[*].name', 'host[*].zone')) return;
  const verifyZones = new Map<number, string>();
  (raw.verify?.hosts ?? []).forEach((name, index) => {
    const host = raw.host.find((candidate) => candidate.name === name);
    if (!host) {
      add(
        `verify.hosts[${index + 1}]`,
        `${JSON.stringify(name)} is not a host of this config`,
        `Hosts: ${raw.host.map((candidate) => candidate.name).join(', ')}`,
      );
      return;
    }
    const zone = host.zone ?? 1;
    const earlier = verifyZones.get(zone);
    if (earlier)
      add(
        `verify.hosts[${index + 1}]`,
        `zone ${zone} already restores on ${earlier}`,
        'Name at most one verify host per zone.',
      );
    else verifyZones.set(zone, name);
  });
}
