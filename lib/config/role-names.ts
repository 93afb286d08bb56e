// Names the backup role must not take. PostgreSQL reserves some: CREATE ROLE refuses
// "public" and "none" and every name beginning with "pg_", and CURRENT_USER, CURRENT_ROLE
// and SESSION_USER are keywords that mean a role of the running session. "postgres" is
// the superuser the server and pgBackRest (pg1-user) connect as: as the backup role, bsync
// would ALTER it to its own password and give it bsync's pg_hba.conf rules.

const KEYWORDS = new Set(['current_user', 'current_role', 'session_user']);

/** Why `name` cannot be the backup role, or null when it can. */
export function reservedRoleProblem(name: string): string | null {
  if (name === 'postgres')
    return "is the superuser that PostgreSQL and pgBackRest themselves connect as; as the backup role it would get bsync's password and pg_hba.conf rules";
  if (name.startsWith('pg_'))
    return 'begins with "pg_", which PostgreSQL reserves for its own roles (pg_monitor, pg_checkpoint, ...); CREATE ROLE refuses it';
  if (name === 'public')
    return 'is reserved by PostgreSQL: PUBLIC is the group every role belongs to; CREATE ROLE refuses it';
  if (name === 'none') return 'is reserved by PostgreSQL (CREATE ROLE refuses it)';
  if (KEYWORDS.has(name))
    return `is a PostgreSQL keyword: in GRANT and ALTER ROLE, ${name.toUpperCase()} means a role of the running session, not a role of that name`;
  return null;
}
