// How root works beside folders and files that other users can change (a verify's scratch
// folder, a clone's folder): shell functions the verify script and the clone steps share.
// The rule they keep: root creates, reads, writes or removes only in folders no one else can
// change (root's, not writable by group or others), never follows a link another user can
// plant, and does what must happen in the restoring user's folder *as that user*, so that
// whatever that user planted there gets them only what they already had. POSIX sh.

/** Names the functions below define (and nothing else). */
export const FOLDER_FUNCTIONS = [
  // bsync_refuse FOLDER WHY HINT: says (stderr) why root will not work in FOLDER and what to do.
  'bsync_refuse() {',
  `  case $2 in "$1 "*) set -- "$1" "it \${2#"$1 "}" "$3" ;; esac`,
  '  echo "$1 is not safe for root to work in: $2. $3." >&2',
  '  return 1',
  '}',
  // bsync_unsafe DIR [strict]: why someone other than root could change DIR (links followed);
  // nothing when no one can. Not strict, a sticky folder (/tmp) passes: no one else can
  // rename or remove what root made in it.
  'bsync_unsafe() {',
  `  set -- "$1" "\${2:-}" $(stat -L -c '%u %a %U' -- "$1" 2>/dev/null)`,
  '  if [ $# -ne 5 ]; then echo "$1 cannot be examined"',
  '  elif [ "$3" != 0 ]; then echo "$1 is owned by $5, not root"',
  '  elif [ $((0$4 & 022)) -ne 0 ] && { [ "$2" = strict ] || [ $((0$4 & 01000)) -eq 0 ]; }; then',
  '    echo "$1 is writable by group or others (mode $4)"',
  '  fi',
  '}',
  // bsync_unsafe_chain DIR [strict]: bsync_unsafe of DIR, links resolved, then of every folder above it.
  'bsync_unsafe_chain() {',
  '  bsync_at=$(realpath -e -- "$1" 2>/dev/null) || { echo "$1 cannot be resolved"; return; }',
  '  bsync_how=${2:-}',
  '  while :; do',
  '    bsync_why=$(bsync_unsafe "$bsync_at" "$bsync_how")',
  '    [ -z "$bsync_why" ] || { echo "$bsync_why"; return; }',
  '    [ "$bsync_at" != / ] || return 0',
  '    bsync_at=$(dirname -- "$bsync_at") bsync_how=',
  '  done',
  '}',
  // bsync_trusted_folder FOLDER MODE HINT: makes sure only root can change FOLDER (absolute)
  // and the folders it is reached through: a link on the way must be root's, every folder
  // root's and closed to others (a sticky one passes above FOLDER), FOLDER itself no link.
  // What is missing is made, one level at a time (FOLDER with MODE), never through a link
  // (mkdir without -p fails on anything planted there first). Prints FOLDER's physical path;
  // refuses (bsync_refuse) before making or changing anything, else.
  'bsync_trusted_folder() {',
  '  bsync_path= bsync_rest=${1#/}',
  '  while [ -n "$bsync_rest" ]; do',
  '    bsync_path=$bsync_path/${bsync_rest%%/*}',
  '    case $bsync_rest in */*) bsync_rest=${bsync_rest#*/} ;; *) bsync_rest= ;; esac',
  '    if [ -L "$bsync_path" ]; then',
  '      [ -n "$bsync_rest" ] || { bsync_refuse "$1" "$1 is a symbolic link" "$3"; return 1; }',
  '      [ "$(stat -c %u -- "$bsync_path")" = 0 ] || {',
  '        bsync_refuse "$1" "$bsync_path is a symbolic link owned by $(stat -c %U -- "$bsync_path"), not root" "$3"',
  '        return 1',
  '      }',
  '    fi',
  '    if [ -e "$bsync_path" ]; then',
  '      [ -d "$bsync_path" ] || { bsync_refuse "$1" "$bsync_path is not a folder" "$3"; return 1; }',
  '      bsync_why=$(bsync_unsafe_chain "$bsync_path" "$([ -n "$bsync_rest" ] || echo strict)")',
  '      [ -z "$bsync_why" ] || { bsync_refuse "$1" "$bsync_why" "$3"; return 1; }',
  '    elif [ -L "$bsync_path" ]; then',
  '      bsync_refuse "$1" "$bsync_path is a link to nothing" "$3"; return 1',
  '    else',
  '      mkdir -m "$([ -n "$bsync_rest" ] && echo 0755 || echo "$2")" -- "$bsync_path" || {',
  '        bsync_refuse "$1" "$bsync_path could not be made" "$3"; return 1',
  '      }',
  '    fi',
  '  done',
  '  realpath -e -- "$1"',
  '}',
  // bsync_lock_file FILE: FILE (in a trusted folder) is a regular file of root's, made when
  // missing (noclobber: never through a link); the caller opens it read-only (exec 8<FILE).
  'bsync_lock_file() {',
  '  ( set -C; : >"$1" ) 2>/dev/null',
  '  if [ -L "$1" ] || [ ! -f "$1" ] || [ "$(stat -c %u -- "$1")" != 0 ]; then',
  '    echo "the lock $1 is not a regular file of root\'s: remove it" >&2',
  '    return 1',
  '  fi',
  '}',
  // bsync_stop_server DATA USER BIN MODE SECONDS: stops a server left running on DATA, as
  // USER: pg_ctl stop, else kill -9 of the postmaster its pid file names, only when that
  // process works in DATA (a pid may have been reused). USER's files steer only USER's hands.
  'bsync_stop_server() {',
  '  [ -d "$1" ] && [ ! -L "$1" ] || return 0',
  '  if [ -n "$3" ] && runuser -u "$2" -- "$3/pg_ctl" -D "$1" -m "$4" -w -t "$5" stop >/dev/null 2>&1; then return 0; fi',
  '  bsync_pid=$(runuser -u "$2" -- head -n 1 "$1/postmaster.pid" 2>/dev/null)',
  '  case $bsync_pid in ""|*[!0-9]*) return 0 ;; esac',
  '  [ "$(readlink "/proc/$bsync_pid/cwd" 2>/dev/null)" = "$(cd -P -- "$1" 2>/dev/null && pwd)" ] || return 0',
  '  runuser -u "$2" -- kill -9 "$bsync_pid" 2>/dev/null',
  '  return 0',
  '}',
].join('\n');

/** The verify script's own: its runs' folders in the root-owned base folder (bash). */
export const RUN_FOLDER_FUNCTIONS = [
  // bsync_remove_runs BASE STANZA USER BIN: removes what earlier runs of STANZA left directly
  // in BASE (root's): entries STANZA.XXXXXXXXXX, and STANZA (an older bsync's), each one's
  // server stopped first, as USER. rm -rf follows no link. Prints found when there was one.
  'bsync_remove_runs() {',
  '  bsync_found= bsync_left=',
  '  for bsync_run in "$1/$2".?????????? "$1/$2"; do',
  '    [ -e "$bsync_run" ] || [ -L "$bsync_run" ] || continue',
  '    bsync_found=found',
  '    [ -L "$bsync_run" ] || bsync_stop_server "$bsync_run/data" "$3" "$4" immediate 60',
  '    rm -rf -- "$bsync_run"',
  '    [ ! -e "$bsync_run" ] && [ ! -L "$bsync_run" ] || bsync_left="$bsync_left $bsync_run"',
  '  done',
  '  [ -z "$bsync_found" ] || echo found',
  '  [ -z "$bsync_left" ] || { echo "could not remove$bsync_left" >&2; return 1; }',
  '}',
  // bsync_new_run BASE STANZA USER: this run's folder, a new random name in BASE, USER's, 0700.
  'bsync_new_run() {',
  '  bsync_run=$(mktemp -d "$1/$2.XXXXXXXXXX") || return 1',
  '  chown -- "$3:$(id -gn "$3")" "$bsync_run" && chmod 0700 "$bsync_run" && echo "$bsync_run"',
  '}',
].join('\n');
