// Secrets that the files they must live in cannot hold exactly are refused before anything
// runs: a value that a target format would cut, trim or split would reach the host as
// another secret (a repository nobody can read, a password nobody can log in with).
// The messages name the key and the reason, never the value.
import { pgbackrestValueProblem } from '../formats/pgbackrest-ini.js';
import { pgpassPasswordProblem } from '../formats/pgpass.js';
import { repoTypes } from '../repositories/index.js';
import type { Secret } from './inventory.js';
import type { ConfigProblems } from './problems.js';
import type { RawRepo } from './raw.js';

/** Longer than any passphrase or password a person or generator makes: a wrong file was named. */
const MAX_SECRET_LENGTH = 1024;

/** A key file (a service account's JSON key) is longer than a passphrase, but not this long. */
const MAX_KEY_FILE_LENGTH = 65536;

/**
 * The repositories' secrets that go into pgbackrest.conf. Those a type keeps in a file of its
 * own on the hosts (`secretFile`: gcs's service account key) are checked here, by the type's
 * rules instead of the conf's, and left out.
 */
export function confSecrets(
  repoSecrets: ReadonlyMap<string, Secret>,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  problems: ConfigProblems,
): Map<string, Secret> {
  const inConf = new Map(repoSecrets);
  repos.forEach((repo, index) => {
    // A type the schema refused has no table to ask.
    const type = repoTypes().find((known) => known.name === (repo.type ?? 'ssh'));
    const table = type && (repo[type.name] as Record<string, unknown> | undefined);
    if (!type?.table?.secretFile || !table) return;
    for (const key of Object.keys(table)) {
      const keyPath = `${repoPath(index)}.${type.name}.${key}`;
      const check = type.table.secretFile(key, table);
      const secret = inConf.get(keyPath);
      if (!check || !secret) continue;
      inConf.delete(keyPath);
      if (!secret.isRead()) continue;
      const value = secret.reveal();
      const problem =
        value.length > MAX_KEY_FILE_LENGTH
          ? { message: `the secret is ${value.length} characters long; at most ${MAX_KEY_FILE_LENGTH} are accepted` }
          : check(value);
      if (problem) problems.add(keyPath, problem.message, problem.hint && `${problem.hint} (${secret.source})`);
    }
  });
  return inConf;
}

/**
 * One problem at most per secret: its length, else what its file cannot hold. `inConf` are
 * the secrets that go into pgbackrest.conf, by key path; `passwords`, the roles' (backup and
 * replication), by key path, go into .pgpass lines and a SCRAM verifier.
 */
export function checkSecretFormats(
  inConf: ReadonlyMap<string, Secret>,
  passwords: ReadonlyMap<string, Secret>,
  problems: ConfigProblems,
): void {
  const tooLong = (keyPath: string, secret: Secret) => {
    // Unread (a read-only command's): nothing to check, and the value is not at hand.
    if (!secret.isRead()) return true;
    if (secret.reveal().length <= MAX_SECRET_LENGTH) return false;
    problems.add(
      keyPath,
      `the secret is ${secret.reveal().length} characters long; at most ${MAX_SECRET_LENGTH} are accepted`,
      `Check that ${secret.source} holds only the secret.`,
    );
    return true;
  };
  for (const [keyPath, secret] of inConf) {
    if (tooLong(keyPath, secret)) continue;
    const problem = pgbackrestValueProblem(secret.reveal());
    if (problem)
      problems.add(
        keyPath,
        `pgbackrest.conf cannot hold this secret exactly: ${problem}`,
        `pgBackRest reads a value as the whole line after the first "=", trimmed. Use a value without line breaks, NUL bytes or white space at its ends (${secret.source}).`,
      );
  }
  for (const [keyPath, password] of passwords) {
    if (tooLong(keyPath, password)) continue;
    const problem = pgpassPasswordProblem(password.reveal());
    if (problem)
      problems.add(
        keyPath,
        problem,
        `The password goes into .pgpass lines and a SCRAM verifier (${password.source}); choose one without line breaks or NUL bytes.`,
      );
  }
}
