// Secrets bsync does not manage but may find in a file it edits in place (Patroni's
// passwords in patroni.yml, a standby's password in postgresql.conf): masked in the plan's
// diff, and so in its fingerprint, as .pgpass and pgbackrest.conf secrets are.

/** patroni.yml: the value, on the key's own line, of every key named like a password, token or secret (commented out too). */
export function redactYamlSecrets(text: string): string {
  return text.replace(
    /^([ \t]*(?:#[ \t]*)?(?:-[ \t]+)?["']?[\w.-]*(?:password|passwd|token|secret)["']?[ \t]*:[ \t]+)\S.*$/gim,
    '$1(sensitive)',
  );
}

/** postgresql.conf: the password of a connection string (`primary_conninfo = '... password=...'`). */
export function redactConninfoPasswords(text: string): string {
  return text.replace(/(\bpassword[ \t]*=[ \t]*)(''.*?''|[^\s']+)/gi, '$1(sensitive)');
}
