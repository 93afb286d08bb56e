// What the config names on the machine running bsync, read in one pass before the Inventory
// is built: its secrets (environment variables and files) and CA certificates. What cannot
// be read is a problem of the config, reported with the others.
import { readFileSync } from 'node:fs';
import { repoTypes } from '../repositories/index.js';
import { secretKeys } from '../repositories/types.js';
import type { Secret } from './inventory.js';
import type { Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';
import { resolveSecret, type SecretContext, type SecretSpec } from './secrets.js';

export interface LocalValues {
  /** The backup role's password, while the role is enabled. */
  backupPassword?: Secret;
  /** [replication_user]'s password, where the config names one. */
  replicationPassword?: Secret;
  /** The repositories' secrets, which go into pgbackrest.conf, by key path (`repo.cipher_pass`, `repo[2].s3.key`). */
  repoSecrets: Map<string, Secret>;
  /** Every CA certificate's text, by the key path of its ca_file. */
  caCerts: Map<string, string>;
  /** [ssh] passphrase, for an encrypted identity. */
  sshPassphrase?: Secret;
}

/** The types' tables, each read under its type's name ([repo.s3]) whatever the repository's type. */
const tables = () => repoTypes().flatMap((type) => (type.table ? [{ name: type.name, table: type.table }] : []));

/** The repositories' secrets, by key path: the cipher's ("auto" and "none" read none), then each table's. */
function repoSecretSpecs(
  repos: RawRepo[],
  repoPath: (index: number) => string,
): Array<[string, SecretSpec | undefined]> {
  return repos.flatMap((repo, index): Array<[string, SecretSpec | undefined]> => {
    const path = repoPath(index);
    const cipher = repo.cipher_pass ?? 'auto';
    return [
      [`${path}.cipher_pass`, (repo.cipher_type ?? 'aes-256-cbc') === 'none' || cipher === 'auto' ? undefined : cipher],
      ...tables().flatMap(({ name, table }) =>
        secretKeys(table).map((key): [string, SecretSpec | undefined] => [
          `${path}.${name}.${key}`,
          (repo[name] as Record<string, SecretSpec> | undefined)?.[key],
        ]),
      ),
    ];
  });
}

/** The roles' passwords by key path: what goes into .pgpass lines and SCRAM verifiers. */
export function rolePasswords(values: LocalValues): Map<string, Secret> {
  const passwords = new Map<string, Secret>();
  if (values.backupPassword) passwords.set('backup_user.password', values.backupPassword);
  if (values.replicationPassword) passwords.set('replication_user.password', values.replicationPassword);
  return passwords;
}

/** Reads what the sound parts of the config name; `local` makes a config path absolute. */
export function readLocalValues(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  ctx: SecretContext,
  sound: Sound,
  local: (path: string) => string,
): LocalValues {
  // A key already refused (the wrong shape, or an s3 table under type "ssh") is not read.
  const read = (keyPath: string, spec: SecretSpec | undefined) =>
    spec !== undefined && sound(keyPath) ? resolveSecret(spec, keyPath, ctx) : undefined;
  const backupPassword =
    (raw.backup_user?.enabled ?? true) ? read('backup_user.password', raw.backup_user?.password) : undefined;
  const replicationPassword = read('replication_user.password', raw.replication_user?.password);
  const repoSecrets = new Map<string, Secret>();
  for (const [keyPath, spec] of repoSecretSpecs(repos, repoPath)) {
    const secret = read(keyPath, spec);
    if (secret) repoSecrets.set(keyPath, secret);
  }
  const caCerts = new Map<string, string>();
  repos.forEach((repo, index) => {
    for (const { name, table } of tables()) {
      if (table.caFile === undefined) continue;
      const keyPath = `${repoPath(index)}.${name}.${table.caFile}`;
      const caFile = (repo[name] as Record<string, string | undefined> | undefined)?.[table.caFile];
      const cert = caFile && sound(keyPath) ? readCaFile(local(caFile), keyPath, ctx) : undefined;
      if (cert) caCerts.set(keyPath, cert);
    }
  });
  const sshPassphrase = read('ssh.passphrase', raw.ssh?.passphrase);
  return {
    ...(backupPassword ? { backupPassword } : {}),
    ...(replicationPassword ? { replicationPassword } : {}),
    repoSecrets,
    caCerts,
    ...(sshPassphrase ? { sshPassphrase } : {}),
  };
}

export function readCaFile(path: string, keyPath: string, ctx: SecretContext): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    ctx.problems.add(keyPath, `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    return undefined;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    ctx.problems.add(
      keyPath,
      `${path} holds no PEM certificate`,
      "Give the CA certificate (-----BEGIN CERTIFICATE-----) that signed the endpoint's certificate.",
    );
    return undefined;
  }
  return text;
}
