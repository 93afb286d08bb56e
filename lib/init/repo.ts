// [repo] from what the hosts' pgbackrest.conf files say (the role's or an operator's), else
// from the role's variables, else bsync's defaults: the type, path, repository user,
// cipher, retention and an S3 bucket. Secrets are never copied: the passphrase is kept by
// cipher_pass = "auto" (it adopts the one the stanza's hosts share), and S3 keys are read
// from files the comments name.
import { join } from 'node:path';
import type { Repo } from '../config/inventory.js';
import { measuredGlobalDefaults, measuredRepoDefaults } from '../desired/measured-defaults.js';
import { BsyncError } from '../errors.js';
import type { PgbackrestIni } from '../formats/pgbackrest-ini.js';
import type { TomlValue } from '../formats/toml.js';
import type { DraftEntry, DraftSection } from './draft.js';
import type { InitHost, InitRequest } from './request.js';

/** A host's pgbackrest.conf as found: its sections, or absent. */
export interface FoundConf {
  host: InitHost;
  /** The file it was read from. */
  path: string;
  ini: PgbackrestIni;
  /** The host's pgBackRest version (which of bsync's measured defaults it gets). */
  version: string | null;
}

/** The [global] keys turned into [repo] keys (the others are listed as not carried over). */
const MAPPED = new Set([
  'repo1-type',
  'repo1-path',
  'repo1-host',
  'repo1-host-user',
  'repo1-cipher-type',
  'repo1-cipher-pass',
  'repo1-retention-full',
  'repo1-retention-diff',
  'repo1-s3-bucket',
  'repo1-s3-endpoint',
  'repo1-s3-region',
  'repo1-s3-uri-style',
  'repo1-s3-key-type',
  'repo1-s3-key',
  'repo1-s3-key-secret',
  // bsync writes these itself, the same way the role does.
  'log-path',
  'start-fast',
  'repo1-hardlink',
]);

/** The first value of a [global] key among the confs, with the host it came from (backup hosts first). */
function globalValue(confs: FoundConf[], key: string): { value: string; where: string } | undefined {
  for (const conf of confs) {
    const value = conf.ini.get('global')?.get(key)?.[0];
    if (value !== undefined && value !== '') return { value, where: `${conf.host.name}:${conf.path}` };
  }
  return undefined;
}

const count = (value: string | undefined) =>
  value !== undefined && /^[1-9][0-9]{0,6}$/.test(value) ? Number(value) : undefined;

interface RepoContext {
  confs: FoundConf[];
  request: InitRequest;
  entries: DraftEntry[];
  notes: string[];
}

interface Taken {
  value: string;
  /** The conf key or the role's variable. */
  key: string;
  where: string;
}

/** A key from the confs (with where), else the role's variable, else nothing. */
function take(ctx: RepoContext, key: string, variable: string): Taken | undefined {
  const found = globalValue(ctx.confs, key);
  if (found) return { value: found.value, key, where: found.where };
  const given = ctx.request.vars[variable];
  return given === undefined ? undefined : { value: given, key: variable, where: ctx.request.source };
}

/** `from a, b in X`: where values came from, for the comment after them. */
function from(...taken: Array<Taken | undefined>): string {
  const byWhere = new Map<string, string[]>();
  for (const item of taken) if (item) byWhere.set(item.where, [...(byWhere.get(item.where) ?? []), item.key]);
  return `from ${[...byWhere].map(([where, keys]) => `${keys.join(', ')} in ${where}`).join('; ')}`;
}

function repoType(ctx: RepoContext, hasBackupHost: boolean): string {
  const type = take(ctx, 'repo1-type', 'backup_repo_type');
  const named = type?.value === 'ssh' || type?.value === 'posix' || type === undefined ? undefined : type.value;
  if (named) return named;
  if (hasBackupHost || globalValue(ctx.confs, 'repo1-host')) return 'ssh';
  if (ctx.confs.length > 0) return 'posix';
  throw new BsyncError('no backup host given, and no host has a pgbackrest.conf that names a repository', {
    hint: 'Name the backup host (--host backup1=ADDRESS:backup), or write [repo] by hand for an object store (docs/config.md).',
  });
}

function cipher(ctx: RepoContext): void {
  const type = take(ctx, 'repo1-cipher-type', 'backup_repo_cipher_type');
  // pgBackRest's own default is none: a conf without the key is not encrypted.
  const cipherType = type?.value ?? (ctx.confs.length > 0 ? 'none' : 'aes-256-cbc');
  ctx.entries.push({
    key: 'cipher_type',
    value: cipherType,
    ...(type ? { comment: from(type) } : {}),
  });
  if (cipherType === 'none') return;
  const held = globalValue(ctx.confs, 'repo1-cipher-pass');
  ctx.entries.push(
    {
      key: 'cipher_pass',
      value: 'auto',
      comment: held
        ? `keeps the passphrase the hosts' pgbackrest.conf hold (${held.where})`
        : 'none exists yet: apply generates one',
    },
    { key: 'cipher_pass_store', value: ctx.request.secrets, comment: 'a generated passphrase is kept here first' },
  );
  if (!held) ctx.notes.push(`Keep a copy of ${ctx.request.secrets} off the hosts: the passphrase opens every backup.`);
}

function retention(ctx: RepoContext): void {
  const full = take(ctx, 'repo1-retention-full', 'full_backup_count');
  const diff = take(ctx, 'repo1-retention-diff', 'diff_backup_count');
  const value: Record<string, TomlValue> = {};
  if (count(full?.value) !== undefined) value.full = count(full?.value)!;
  if (count(diff?.value) !== undefined) value.diff = count(diff?.value)!;
  if (Object.keys(value).length > 0) ctx.entries.push({ key: 'retention', value, comment: from(full, diff) });
}

/** [repo.s3]: the bucket's location from the conf, the keys from files the user fills. */
function s3Table(ctx: RepoContext, secretFiles: Array<{ path: string; holds: string }>): DraftSection {
  const entries: DraftEntry[] = [];
  const notes: string[] = [];
  for (const key of ['bucket', 'endpoint', 'region', 'uri_style', 'key_type']) {
    const found = globalValue(ctx.confs, `repo1-s3-${key.replace('_', '-')}`);
    if (found) entries.push({ key, value: found.value, comment: `from ${found.where}` });
    else if (['bucket', 'endpoint', 'region'].includes(key))
      notes.push(`Fill in ${key}: no host's pgbackrest.conf names it.`);
  }
  const keyType = globalValue(ctx.confs, 'repo1-s3-key-type')?.value ?? 'shared';
  if (keyType === 'shared') {
    for (const [key, holds] of [
      ['key', 'the S3 access key (repo1-s3-key)'],
      ['key_secret', 'the S3 secret access key (repo1-s3-key-secret)'],
    ]) {
      const path = join(ctx.request.secrets, `s3_${key}`);
      entries.push({ key, value: { file: path } });
      secretFiles.push({ path, holds });
    }
    notes.push(
      "The access key pair: the hosts' pgbackrest.conf hold it; put the same values in the files named below.",
    );
  } else if (keyType === 'web-id')
    notes.push('key_type "web-id": fill in role_arn and token_file (docs/config.md, Keyless S3).');
  return { table: 'repo.s3', notes, entries };
}

/** bsync's own defaults beyond pgBackRest's (compress-type=zst, repo1-bundle=y, …) as this host gets them. */
function measuredDefaults(conf: FoundConf): Map<string, string> {
  const none = { global: [], stanza: [], commands: [] };
  const repo1 = { key: 1, type: 'ssh' } as Repo;
  return new Map(
    [...measuredGlobalDefaults(), ...measuredRepoDefaults(repo1, conf.version, none)].flatMap(([key, value]) =>
      typeof value === 'string' ? [[key, value] as const] : [],
    ),
  );
}

/** The [global] keys that say more than [repo] holds: neither mapped nor bsync's own default value. */
function unmapped(ctx: RepoContext): void {
  const keys = new Set<string>();
  for (const conf of ctx.confs) {
    const defaults = measuredDefaults(conf);
    for (const [key, values] of conf.ini.get('global') ?? [])
      if (!MAPPED.has(key) && defaults.get(key) !== values.join('\n')) keys.add(key);
  }
  if (keys.size > 0)
    ctx.notes.push(
      `Also in [global] of the hosts' pgbackrest.conf, not carried over: ${[...keys].sort().join(', ')}.`,
      'To keep one, set it in [pgbackrest.global] (docs/config.md); the first plan shows what changes otherwise.',
    );
}

/** [repo] (and [repo.s3]) from the confs, backup hosts' first. */
export function repoSections(
  confs: FoundConf[],
  request: InitRequest,
  secretFiles: Array<{ path: string; holds: string }>,
): DraftSection[] {
  const ctx: RepoContext = { confs, request, entries: [], notes: [] };
  const backupHosts = request.hosts.filter((host) => host.role === 'backup');
  const type = repoType(ctx, backupHosts.length > 0);
  ctx.entries.push({ key: 'type', value: type });
  const path = take(ctx, 'repo1-path', 'backup_repo_path');
  if (path?.value.startsWith('/')) ctx.entries.push({ key: 'path', value: path.value, comment: from(path) });
  const user = take(ctx, 'repo1-host-user', 'backup_repo_user');
  if (type === 'ssh' && user) ctx.entries.push({ key: 'user', value: user.value, comment: from(user) });
  const repoHost = globalValue(confs, 'repo1-host');
  if (repoHost && !backupHosts.some((host) => host.name === repoHost.value))
    ctx.notes.push(
      `repo1-host in ${repoHost.where} is ${JSON.stringify(repoHost.value)}, which is no backup host given: name it with its role (--host NAME=ADDRESS:backup).`,
    );
  cipher(ctx);
  retention(ctx);
  unmapped(ctx);
  const sections: DraftSection[] = [{ table: 'repo', notes: ctx.notes, entries: ctx.entries }];
  if (type === 's3') sections.push(s3Table(ctx, secretFiles));
  else if (type !== 'ssh' && type !== 'posix')
    ctx.notes.push(`Fill in [repo.${type}] (docs/config.md): bsync init reads no ${type} settings.`);
  return sections;
}
