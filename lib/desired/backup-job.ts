// The scheduled backup job: one script bsync installs beside pgbackrest.conf, called by a
// short crontab line (inline, the outcome recording made the line longer than the 998
// characters cron installs). It runs the line's pgBackRest backup under the stanza's lock
// and records the run's outcome where status and check read it (lib/facts/outcomes.ts).
// The script holds bsync's constants only: nothing from a host, nothing secret.
import { OUTCOME_ERROR_LIMIT, OUTCOME_HEADER } from '../facts/outcomes.js';
import { PGBACKREST_CONF_DIR } from '../facts/paths.js';
import { shq } from '../formats/shell.js';

export const BACKUP_JOB_PATH = `${PGBACKREST_CONF_DIR}/bsync-backup-job`;
/** How long a scheduled backup waits for the one before it (6 h), and flock's exit code when it gave up. */
export const BACKUP_LOCK_WAIT_SECONDS = 21_600;
export const LOCK_TIMEOUT_EXIT = 20;

/** The crontab command of one scheduled backup: the job script with its outcome file, the stanza's lock and the backup. */
export function backupJobCommand(outcome: string, lock: string, backup: string): string {
  return `${BACKUP_JOB_PATH} ${shq(outcome)} ${shq(lock)} ${backup}`;
}

/**
 * The script. Backups that cron starts at the same minute (two repositories on one
 * schedule, a diff on the full's day) run one after the other under the stanza's lock
 * instead of the second failing on pgBackRest's own lock (error 050) or, from 2.53 on, both
 * reading the database at once. The outcome file is replaced whole (renamed into place):
 * `start T` at the start; `end T STATUS`, pgBackRest's last error line, and the last success
 * and failure at the end. pgBackRest's stderr is kept beside it for the run, then printed for
 * cron's mail. One that waited in vain says so (no pgBackRest error has code 20: they start
 * at 25). The job exits with pgBackRest's status, or flock's 20.
 */
export function backupJobScript(): string {
  const hours = BACKUP_LOCK_WAIT_SECONDS / 3600;
  return `#!/bin/sh
# Written by bsync; the next apply puts back any edit. A scheduled pgBackRest backup run
# under its stanza's lock, its outcome recorded for bsync status and check.
# Usage: bsync-backup-job OUTCOME-FILE LOCK-FILE COMMAND [ARGUMENT...]
[ $# -ge 3 ] || { echo 'usage: bsync-backup-job OUTCOME-FILE LOCK-FILE COMMAND [ARGUMENT...]' >&2; exit 2; }
o=$1 lock=$2
shift 2
err="$o.$$.err"
t0=$(date +%s)
ok=$(grep -m1 '^success ' "$o" 2>/dev/null)
ko=$(grep -m1 '^failure ' "$o" 2>/dev/null)
record() {
  { echo ${shq(OUTCOME_HEADER)}; echo "start $t0"; printf '%s\\n' "$@" "$ok" "$ko" | grep . || :; } >"$o.$$.tmp" && mv -f "$o.$$.tmp" "$o"
}
record
flock -w ${BACKUP_LOCK_WAIT_SECONDS} -E ${LOCK_TIMEOUT_EXIT} "$lock" "$@" 2>"$err"
r=$?
[ $r -ne ${LOCK_TIMEOUT_EXIT} ] || echo "bsync: this backup did not run: another backup of the stanza held $lock for ${hours} h" >>"$err"
cat "$err" >&2
t1=$(date +%s)
x=
if [ $r -eq 0 ]; then
  ok="success $t0 $t1"
else
  ko="failure $t0 $t1 $r"
  x=$(grep -E 'ERROR: \\[|^bsync: ' "$err" | tail -n 1 | tr -d '\\000-\\037\\177' | cut -c 1-${OUTCOME_ERROR_LIMIT})
fi
record "end $t1 $r" "\${x:+error $x}"
rm -f "$err"
exit $r
`;
}
