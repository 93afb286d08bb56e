// Configs for unit tests on the facts recorded from the lab's ssh scenario: ssh.toml with
// its secrets read from the environment, and a second repository (S3) to add to it; and a
// config's problems as loadConfig raises them.
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigErrors } from '../../lib/errors.js';
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
