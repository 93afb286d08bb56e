// Configs for unit tests on the facts recorded from the lab's ssh scenario: ssh.toml with
// its secrets read from the environment, a second repository (S3) to add to it, its two
// PostgreSQL hosts as one zone (with or without a backup host); and a config's problems as
// loadConfig raises them.
import { readFileSync } from 'node:fs';
import { BsyncError, ConfigError, ConfigErrors } from '../../lib/errors.js';
import { FIXTURES } from './bsync.js';

export const ENV = {
  CIPHER: 'recorded-cipher-passphrase-0123456789',
  PASSWORD: 'recorded-backup-password-0123456789',
  S3K: 'AKIAEXAMPLEKEY000000',
  S3S: 'example-secret-key-0123456789',
};

export const SSH_CONFIG = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
  .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
  .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');

/** ssh.toml with ssh-pg2 as zone 1's second PostgreSQL host (a replica of ssh-pg1) and no zone 2. */
export const TWO_IN_ZONE_1 = SSH_CONFIG.replace(/(name = "ssh-pg2"[\s\S]*?zone = )2/, '$11').replace(
  /\[\[host\]\]\nname = "ssh-backup2"[\s\S]*$/,
  '',
);

/** A [[repo]] table of type s3 (path /off-site), with `extra` lines in it and `s3Extra` in its [repo.s3]. */
export function s3Repo(extra = '', s3Extra = ''): string {
  return `
[[repo]]
type = "s3"
path = "/off-site"
cipher_pass = { env = "CIPHER" }
${extra}
[repo.s3]
bucket = "pg-backups"
endpoint = "s3.example.com"
region = "eu-west-1"
key = { env = "S3K" }
key_secret = { env = "S3S" }
${s3Extra}
`;
}

/** ssh.toml with its [repo] as the first of two [[repo]] tables, the second `repo2`. */
export function withSecondRepo(repo2: string): string {
  return SSH_CONFIG.replace('[repo]\n', '[[repo]]\n').replace('[backup_user]', `${repo2}\n[backup_user]`);
}

/** ssh-pg2's [[host]] lines in ssh.toml. */
export const PG2 = 'name = "ssh-pg2"\naddress = "127.0.1.12"\nrole = "postgres"\nzone = 2\n';
const BACKUP2 = '\n[[host]]\nname = "ssh-backup2"\naddress = "127.0.1.14"\nrole = "backup"\nzone = 2\n';
const S3_TABLE =
  '[repo.s3]\nbucket = "pg-backups"\nendpoint = "s3.example.com"\nregion = "eu-west-1"\nkey = { env = "S3K" }\nkey_secret = { env = "S3S" }\n\n';

/** The ssh scenario with `backup_from` (none: the key left out) and ssh-pg2 as zone 1's second host. */
export function sshZone(backupFrom?: string): string {
  const key = backupFrom === undefined ? '' : `backup_from = "${backupFrom}"\n`;
  return SSH_CONFIG.replace('pg_version = 15\n', `pg_version = 15\n${key}`)
    .replace(PG2, PG2.replace('zone = 2', 'zone = 1'))
    .replace(BACKUP2, '');
}

/** The same zone without a backup host: its repository in S3, or a folder on the hosts (posix). */
export function noBackupHost(type: 's3' | 'posix', backupFrom?: string): string {
  return sshZone(backupFrom)
    .replace('type = "ssh"', `type = "${type}"`)
    .replace('path = "/home/backrest"\nuser = "backrest"\n', 'path = "/var/lib/pgbackrest"\n')
    .replace('[backup_user]', `${type === 's3' ? S3_TABLE : ''}[backup_user]`)
    .replace('\n[[host]]\nname = "ssh-backup1"\naddress = "127.0.1.13"\nrole = "backup"\nzone = 1\n', '');
}

/** A config `file` with two problems, as loadConfig raises them (for the views that show them). */
export function configProblems(file: string): ConfigErrors {
  return new ConfigErrors(
    [
      new ConfigError('repo.cipher_pass: the environment variable C is not set', {
        where: `${file}:4`,
        hint: 'Export C',
      }),
      new ConfigError('host[2].zone: must be at least 1, got 0', { where: `${file}:14` }),
    ],
    file,
  );
}

/** The messages (each with its hint after ` | `, unless `hints` is false) of the problems `load` raises; an error when it loads or fails otherwise. */
export function problemsOf(load: () => unknown, hints = true): string[] {
  try {
    load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const errors = error instanceof ConfigErrors ? error.errors : [error];
    return errors.map((entry) => `${entry.message}${hints && entry.hint ? ` | ${entry.hint}` : ''}`);
  }
  throw new Error('the config was accepted');
}

/** The message and hint (after ` | `) of the refusal `plan` throws, as planning raises one; an error when it plans. */
export function refusalOf(plan: () => unknown): string {
  try {
    plan();
  } catch (error) {
    if (!(error instanceof BsyncError)) throw error;
    return `${error.message}${error.hint ? ` | ${error.hint}` : ''}`;
  }
  throw new Error('the plan was made');
}
