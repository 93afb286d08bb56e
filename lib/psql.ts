// The one way bsync runs psql on a host. The settings travel in the startup packet
// (PGOPTIONS), which wins over ALTER ROLE / ALTER DATABASE defaults: a role set to
// client_min_messages = debug5, another search_path or a tiny statement_timeout cannot
// change what bsync reads or does. -X skips ~/.psqlrc for the same reason.
import { shq } from './formats/shell.js';

export const PSQL_SESSION_OPTIONS = [
  'client_min_messages=warning',
  'search_path=pg_catalog,pg_temp',
  'statement_timeout=60s',
  'lock_timeout=30s',
  'default_transaction_read_only=off',
  'application_name=bsync',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

// Debian's /usr/bin/psql is a Perl wrapper that costs ~20 ms of CPU per call: the client
// binary itself is used where it is (Debian's or PGDG's folders; the newest major, which
// talks to every older server), found by shell globbing alone, else psql from PATH.
const PSQL_BINARY =
  '"$(p=psql; for c in /usr/lib/postgresql/*/bin/psql /usr/pgsql-*/bin/psql; do [ -x "$c" ] && p=$c; done; echo "$p")"';

/** `psql` against the local server on `port`, database postgres, with `flags` (e.g. `-At -v ON_ERROR_STOP=1`). */
export function psqlCommand(port: number, flags: string): string {
  return `PGOPTIONS=${shq(PSQL_SESSION_OPTIONS)} PGCONNECT_TIMEOUT=10 ${PSQL_BINARY} -X ${flags} -p ${shq(port)} -d postgres`;
}
