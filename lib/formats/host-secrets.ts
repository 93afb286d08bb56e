// Secrets bsync does not manage but may find in a file it edits in place or shows (Patroni's
// passwords in patroni.yml, a standby's password in postgresql.conf, a pgBackRest option on
// a command line): masked in the plan's diff, and so in its fingerprint, as .pgpass and
// pgbackrest.conf secrets are. Which rule fits which file is lib/facts/redact.ts's to say.
import { hide, type Mask } from './mask.js';

/** A key named like a password, token or secret (patroni.yml's, and Patroni's dynamic configuration's). */
export const SECRET_WORD = /password|passwd|token|secret/i;

/** patroni.yml: the value, on the key's own line, of every key named like a password, token or secret (commented out too). */
export function redactYamlSecrets(text: string, mask: Mask = hide): string {
  return text.replace(
    new RegExp(
      `^([ \\t]*(?:#[ \\t]*)?(?:-[ \\t]+)?["']?[\\w.-]*(?:${SECRET_WORD.source})["']?[ \\t]*:[ \\t]+)(\\S.*)$`,
      'gim',
    ),
    (_, key: string, value: string) => `${key}${mask(value)}`,
  );
}

/** postgresql.conf: the password of a connection string (`primary_conninfo = '... password=...'`). */
export function redactConninfoPasswords(text: string, mask: Mask = hide): string {
  return text.replace(
    /(\bpassword[ \t]*=[ \t]*)(''.*?''|[^\s']+)/gi,
    (_, key: string, value: string) => `${key}${mask(value)}`,
  );
}

/**
 * A pgBackRest option given where a command runs (an archive_command, a crontab, a unit) or
 * quoted in a message: `--repo1-cipher-pass=…` on its command line, `repo1-cipher-pass=…`
 * amid other words, or `PGBACKREST_REPO1_CIPHER_PASS=…` in its environment, hidden when
 * `isSecret` names the option.
 */
export function redactOptionArguments(text: string, isSecret: (key: string) => boolean, mask: Mask = hide): string {
  const value = `("[^"\\n]*"|'[^'\\n]*'|[^\\s'"]+)`;
  return text
    .replace(
      new RegExp(`((?<![\\w-])(?:--)?([a-z][a-z0-9-]*)=)${value}`, 'g'),
      (whole, head: string, key: string, secret: string) => (isSecret(key) ? `${head}${mask(secret)}` : whole),
    )
    .replace(
      new RegExp(`(\\bPGBACKREST_([A-Z0-9_]+)=)${value}`, 'g'),
      (whole, head: string, name: string, secret: string) =>
        isSecret(name.toLowerCase().replace(/_/g, '-')) ? `${head}${mask(secret)}` : whole,
    );
}
