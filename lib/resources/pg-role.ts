// The backup database role: LOGIN REPLICATION, in pg_checkpoint from PostgreSQL 15 on, its
// password sent as a SCRAM verifier on stdin (never clear text, never a command line).
import { Secret } from '../config/inventory.js';
import type { PgRole } from '../facts/types.js';
import { psqlStep } from './pg-settings.js';
import { scramMatches, scramVerifier } from './scram.js';
import type { Change, FieldChange } from './types.js';

interface DesiredRole {
  name: string;
  password: Secret;
  memberOf: string[];
  port: number;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function planRole(desired: DesiredRole, actual: PgRole | undefined): Change | null {
  const fields: FieldChange[] = [];
  if (!actual?.login) fields.push({ name: 'login', before: actual ? 'false' : undefined, after: 'true' });
  if (!actual?.replication) fields.push({ name: 'replication', before: actual ? 'false' : undefined, after: 'true' });
  const passwordOk = actual ? scramMatches(actual.password, desired.password.reveal()) : false;
  if (!passwordOk)
    fields.push({
      name: 'password',
      before: actual ? '(sensitive)' : undefined,
      after: '(sensitive)',
      sensitive: true,
    });
  const missing = desired.memberOf.filter((role) => !actual?.memberOf.includes(role));
  if (missing.length > 0)
    fields.push({
      name: 'member of',
      before: actual?.memberOf.join(', ') ?? undefined,
      after: desired.memberOf.join(', '),
    });
  if (fields.length === 0) return null;

  const verifier = new Secret(scramVerifier(desired.password.reveal()), 'scram verifier');
  const role = ident(desired.name);
  const statement = `${actual ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN REPLICATION PASSWORD '`;
  const grants = missing.map((group) => `GRANT ${ident(group)} TO ${role};\n`).join('');
  const step = psqlStep(desired.port, '');
  // SET LOCAL keeps the verifier out of the server log even where log_statement = 'all'
  // (or where a failing statement would be logged with its text).
  step.stdin = [
    'BEGIN;\nSET LOCAL log_statement = none;\nSET LOCAL log_min_duration_statement = -1;\nSET LOCAL log_min_error_statement = panic;\n',
    statement,
    { secret: verifier },
    `';\n${grants}COMMIT;\n`,
  ];
  return { action: actual ? 'update' : 'create', fields, steps: [step] };
}
