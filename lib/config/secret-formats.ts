// Secrets that the files they must live in cannot hold exactly are refused before anything
// runs: a value that a target format would cut, trim or split would reach the host as
// another secret (a repository nobody can read, a password nobody can log in with).
// The messages name the key and the reason, never the value.
import { ConfigError } from '../errors.js';
import { pgbackrestValueProblem } from '../resources/pgbackrest-ini.js';
import { pgpassPasswordProblem } from '../resources/pgpass.js';
import { repoKeyPath, type Inventory, type Secret } from './inventory.js';

/** Longer than any passphrase or password a person or generator makes: a wrong file was named. */
const MAX_SECRET_LENGTH = 1024;

export function checkSecretFormats(inventory: Inventory): void {
  const { backupUser } = inventory;
  const inConf: Array<[string, Secret | undefined]> = inventory.repos.flatMap((repo) => {
    const path = repoKeyPath(inventory, repo);
    return [
      [
        `${path}.cipher_pass`,
        typeof repo.cipherPass === 'object' && repo.cipherPass !== null ? repo.cipherPass : undefined,
      ],
      [`${path}.s3.key`, repo.s3?.key],
      [`${path}.s3.key_secret`, repo.s3?.keySecret],
      [`${path}.azure.key`, repo.azure?.key],
    ] as Array<[string, Secret | undefined]>;
  });
  for (const [keyPath, secret] of [...inConf, ['backup_user.password', backupUser.password] as const]) {
    if (secret && secret.reveal().length > MAX_SECRET_LENGTH) {
      throw new ConfigError(
        `${keyPath}: the secret is ${secret.reveal().length} characters long; at most ${MAX_SECRET_LENGTH} are accepted`,
        {
          where: inventory.configPath,
          hint: `Check that ${secret.source} holds only the secret.`,
        },
      );
    }
  }
  for (const [keyPath, secret] of inConf) {
    const problem = secret ? pgbackrestValueProblem(secret.reveal()) : null;
    if (problem) {
      throw new ConfigError(`${keyPath}: pgbackrest.conf cannot hold this secret exactly: ${problem}`, {
        where: inventory.configPath,
        hint: `pgBackRest reads a value as the whole line after the first "=", trimmed. Use a value without line breaks, NUL bytes or white space at its ends (${secret!.source}).`,
      });
    }
  }
  const password = backupUser.password;
  const problem = password ? pgpassPasswordProblem(password.reveal()) : null;
  if (problem) {
    throw new ConfigError(`backup_user.password: ${problem}`, {
      where: inventory.configPath,
      hint: `The password goes into .pgpass lines and a SCRAM verifier (${password!.source}); choose one without line breaks or NUL bytes.`,
    });
  }
}
