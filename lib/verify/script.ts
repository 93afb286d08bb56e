// The script that proves a backup restores: on the verify host, restore one backup set
// into a scratch folder, start a throwaway PostgreSQL on it (its own port on localhost,
// its own socket folder, no archiving, cluster_name bsync-verify-<stanza>), run the
// checks, and remove it all whatever happened. Every step's result is framed data; the
// controller decides what passed. A pure function: lib/apply/verify.ts runs it.
//
// If the controller dies, a watchdog notices within seconds (its heartbeat to the closed
// channel fails) and ends the script, whose exit trap stops the server and removes the
// folder; a run that could not clean up is cleaned up by the next one before it starts.
//
// The script runs as root; the base folder (verify.path) may be under a world-writable
// one. Root only works in it when no one else can change it (lib/verify/folders.ts), each
// run gets a new private folder in it, and everything inside that folder (restore,
// configuration, the server, its logs) is done as the restoring user.
import { PSQL_SESSION_OPTIONS } from '../psql.js';
import { FRAMED_DONE, FRAMED_SETUP, framed, readFramed, type FramedOutput } from '../facts/framed.js';
import { shq } from '../formats/shell.js';
import { pgCommand } from '../formats/pg-command.js';
import { FOLDER_FUNCTIONS, RUN_FOLDER_FUNCTIONS } from './folders.js';
import { isolatedSettings } from './isolated-server.js';

export interface VerifyJob {
  stanza: string;
  /** What starts its pgbackrest commands (lib/desired/zone.ts `pgbackrest`); absent: `pgbackrest`. */
  pgbackrest?: string;
  /** The OS user that runs pgBackRest with this repository on the verify host. */
  runAs: string;
  /** PostgreSQL major version of the backup (`15`): which server binaries start it. */
  pgVersion: string;
  /** The verify host's running server's binary folder, when it runs that major: looked in first. */
  binDir?: string;
  /** The backup set to restore. */
  label: string;
  /** process-max bsync chose for the restore (the host's cores); absent: the config's, or pgBackRest's default. */
  processMax?: number;
  /** `immediate`: consistent at the end of the backup. `default`: all archived WAL replayed. */
  recovery: 'immediate' | 'default';
  /** pgN-host options to reset so pgBackRest restores locally on a repository host. */
  pgHostCount: number;
  /** The base folder (root's): each run restores into a new private folder <path>/<stanza>.XXXXXXXXXX. */
  path: string;
  /** Bytes the restored data needs. */
  neededBytes: number;
  timeoutSeconds: number;
  query?: string;
  amcheck: boolean;
}

const VERIFY_STEPS = [
  'folder',
  'lock',
  'leftovers',
  'binaries',
  'space',
  'scratch',
  'restore',
  'port',
  'configure',
  'start',
  'checks',
  'query',
  'amcheck',
  'measure',
  'cleanup',
  // Not a step: when the script ended, so the last step's time is known.
  'end',
] as const;
export type VerifyStepName = (typeof VERIFY_STEPS)[number];

export interface VerifyStep extends FramedOutput {
  name: VerifyStepName;
  /** When the step started on the host's clock (ms); the next step's start ends it. */
  startedMs: number;
}

/** One row of JSON the restored server reports about itself. */
const CHECK_SQL = `SELECT json_build_object(
  'inRecovery', pg_is_in_recovery(),
  'versionNum', current_setting('server_version_num')::int,
  'clusterName', current_setting('cluster_name'),
  'archiveMode', current_setting('archive_mode'),
  'listen', current_setting('listen_addresses'),
  'lsn', (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
  'databases', (SELECT json_agg(datname ORDER BY datname) FROM pg_database WHERE datallowconn)
);`;

/**
 * Where the server binaries of the job's major are looked for: the verify host's running
 * server's folder (a fact), then the packages' folders, Debian's and PGDG's (a backup host
 * runs no server to ask; neither puts them on PATH).
 */
export function binaryDirs(job: Pick<VerifyJob, 'pgVersion' | 'binDir'>): string[] {
  const packaged = [`/usr/lib/postgresql/${job.pgVersion}/bin`, `/usr/pgsql-${job.pgVersion}/bin`];
  return job.binDir ? [job.binDir, ...packaged.filter((dir) => dir !== job.binDir)] : packaged;
}

/** Sets BIN to the first folder of `binaryDirs` that holds a postgres binary (or to nothing). */
export function findBinaries(job: Pick<VerifyJob, 'pgVersion' | 'binDir'>): string {
  return `BIN=; for d in ${binaryDirs(job).map(shq).join(' ')}; do [ -x "$d/postgres" ] && BIN=$d && break; done`;
}

/** A shell test that fails, saying so on stderr, when findBinaries found none. */
export function requireBinaries(job: Pick<VerifyJob, 'pgVersion' | 'binDir'>, fail = 'false'): string {
  const message = `no PostgreSQL ${job.pgVersion} server binaries on this host (looked in ${binaryDirs(job).join(', ')})`;
  return `[ -n "$BIN" ] || { echo ${shq(message)} >&2; ${fail}; }`;
}

/** What to do about a base folder root will not work in (after what is wrong with it). */
const BASE_HINT =
  'bsync makes it itself (root-owned, mode 0711) where only root can change the folders above: remove what another user made there, or set [verify] path to another folder';

export function verifyScript(job: VerifyJob): string {
  return [...scriptSetup(job), ...restoreSteps(job), ...serverSteps(job), 'exit 0'].filter(Boolean).join('\n');
}

/** A step: its name and start time, then its command's result framed; the script ends at the first that fails. */
function verifyStep(name: VerifyStepName, command: string): string {
  return [`echo "step:${name}:$(date +%s%3N)"`, framed(command), '[ "$bsync_c" = 0 ] || exit 0'].join('\n');
}

/** pgN-host options to reset, so pgBackRest restores here even on a repository host. */
function resetOptions(job: VerifyJob): string {
  return Array.from({ length: Math.max(job.pgHostCount, 1) }, (_, index) => `--reset-pg${index + 1}-host`).join(' ');
}

/** psql to the restored server, over its own socket, as RUNAS's `as env` runs it. */
const RESTORED_PSQL = `PGOPTIONS=${shq(PSQL_SESSION_OPTIONS)} "$BIN/psql" -X -At -v ON_ERROR_STOP=1 -h "$DIR/sock" -p "$PORT" -U postgres -d postgres`;

/** The script's variables and functions, the cleanup on exit, and the watchdog. */
function scriptSetup(job: VerifyJob): string[] {
  return [
    '#!/bin/bash',
    'rm -f "$0"',
    'set -u',
    'umask 077',
    'cd /',
    FRAMED_SETUP,
    // Output to a controller that is gone must not kill the cleanup halfway.
    `trap '' PIPE`,
    `S=${shq(job.stanza)} BASE=${shq(job.path)} RUNAS=${shq(job.runAs)} NEED=${job.neededBytes} TIMEOUT=${job.timeoutSeconds}`,
    'DIR="" PORT=""',
    findBinaries(job),
    'as() { runuser -u "$RUNAS" -- "$@"; }',
    FOLDER_FUNCTIONS,
    RUN_FOLDER_FUNCTIONS,
    // Stops this run's server, as RUNAS, and removes its folder (an entry of the root-owned base).
    'scrub() {',
    '  [ -n "$DIR" ] || return 0',
    '  bsync_stop_server "$DIR/data" "$RUNAS" "$BIN" immediate 60',
    '  rm -rf -- "$DIR"',
    '  [ ! -e "$DIR" ]',
    '}',
    'finish() {',
    '  trap - EXIT TERM INT HUP',
    '  [ -n "${WATCH:-}" ] && kill "$WATCH" 2>/dev/null',
    '  if [ "${LOCKED:-}" = 1 ]; then',
    `    ${['echo "step:cleanup:$(date +%s%3N)"', framed('scrub')].join('\n    ')}`,
    '  fi',
    `  ${['echo "step:end:$(date +%s%3N)"', framed('true')].join('\n  ')}`,
    `  ${FRAMED_DONE}`,
    '}',
    'trap finish EXIT',
    `trap 'exit 143' TERM INT HUP`,
    // The watchdog: a heartbeat on stderr every 2 s; when it cannot be written, the
    // controller is gone, and the whole job ends (the exit trap cleans up).
    `( trap '' PIPE; while sleep 2; do printf . >&2 || { kill -TERM 0; exit 0; }; done ) &`,
    'WATCH=$!',
  ];
}

/** Up to the restore: the base folder, the lock, what earlier runs left, binaries, space, this run's folder. */
function restoreSteps(job: VerifyJob): string[] {
  // Its own spool folder too: the host's may belong to another user, and stays untouched.
  const pgbackrest = `${job.pgbackrest ?? 'pgbackrest'} --stanza=${shq(job.stanza)} ${resetOptions(job)} --pg1-path="$DIR/data" --spool-path="$DIR/spool"`;
  const restoreOptions = [
    `--tablespace-map-all="$DIR/tablespaces"`,
    '--archive-mode=off',
    `--type=${job.recovery}`,
    ...(job.recovery === 'immediate' ? ['--target-action=promote'] : []),
    `--set=${shq(job.label)}`,
    ...(job.processMax ? [`--process-max=${job.processMax}`] : []),
  ].join(' ');
  return [
    // Before anything else: a base folder another user made (or can change) is refused, untouched.
    verifyStep('folder', `b=$(bsync_trusted_folder "$BASE" 0711 ${shq(BASE_HINT)}) && chmod 0711 "$b" && echo "$b"`),
    'BASE=$bsync_o',
    // The lock file is root's, in root's folder; opened read-only (flock needs no more).
    'bsync_lock_file "$BASE/.$S.lock" 2>/dev/null && exec 8<"$BASE/.$S.lock"',
    verifyStep(
      'lock',
      'bsync_lock_file "$BASE/.$S.lock" || exit 1\nflock -w 30 8 || { echo "another bsync verify of stanza $S is running on this host" >&2; false; }',
    ),
    'LOCKED=1',
    verifyStep('leftovers', 'bsync_remove_runs "$BASE" "$S" "$RUNAS" "$BIN"'),
    verifyStep('binaries', `${requireBinaries(job)}; echo "$BIN"`),
    verifyStep(
      'space',
      [
        'avail=$(df -P -B1 "$BASE" | awk \'NR == 2 { print $4 }\')',
        'echo "$avail"',
        '[ "$avail" -ge "$NEED" ] || { echo "needs $NEED bytes under $BASE, $avail are free" >&2; false; }',
      ].join('\n'),
    ),
    // This run's folder: a new random name, RUNAS's, 0700. From here on root only reads
    // what RUNAS's commands print; whatever is inside is made and changed as RUNAS.
    verifyStep('scratch', 'bsync_new_run "$BASE" "$S" "$RUNAS"'),
    'DIR=$bsync_o',
    verifyStep(
      'restore',
      [
        'as mkdir -m 0700 "$DIR/data" "$DIR/sock" "$DIR/spool" "$DIR/tablespaces"',
        `as ${pgbackrest} ${restoreOptions} restore`,
      ].join(' && '),
    ),
  ];
}

/** The restored server: a free port, its settings, its start, the checks, and what the folder holds. */
function serverSteps(job: VerifyJob): string[] {
  const queryDelimiter = `BSYNC_QUERY_${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
  return [
    // A port nothing on localhost listens on, looked for from a random start so that two
    // verifies starting together rarely pick the same (steps run in subshells: it comes back as output).
    // Below Linux's ephemeral range (32768-60999): a port there can be the local end of an
    // outgoing connection, which no connect test sees and which makes the server's bind fail.
    verifyStep(
      'port',
      [
        'first=$((25432 + RANDOM % 1000))',
        'for i in $(seq 0 999); do p=$((25432 + (first - 25432 + i) % 1000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; exit 0; }; done',
        'echo "no free port in 25432-26431 on localhost" >&2; false',
      ].join('\n'),
    ),
    'PORT=$bsync_o',
    configureStep(job),
    // pg_ctl -w may return while recovery still runs (without hot standby nobody can connect
    // yet): wait until the server takes connections, or has stopped, or time is up.
    verifyStep(
      'start',
      [
        'log() { as tail -n 20 "$DIR/server.log" >&2; false; }',
        'as "$BIN/pg_ctl" -D "$DIR/data" -o "-c config_file=$DIR/verify.conf" -l "$DIR/server.log" -w -t "$TIMEOUT" start >/dev/null || log || exit 1',
        'n=0',
        `until as env ${RESTORED_PSQL} -c 'SELECT 1' >/dev/null 2>&1; do`,
        '  as "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1 || { log; exit 1; }',
        '  n=$((n + 1)); [ "$n" -lt "$TIMEOUT" ] || { echo "the restored server did not take connections within $TIMEOUT s" >&2; log; exit 1; }',
        '  sleep 1',
        'done',
      ].join('\n'),
    ),
    verifyStep('checks', `as env ${RESTORED_PSQL} <<'BSYNC_SQL'\n${CHECK_SQL}\nBSYNC_SQL`),
    job.query
      ? verifyStep('query', `as env ${RESTORED_PSQL} <<'${queryDelimiter}'\n${job.query}\n${queryDelimiter}`)
      : '',
    job.amcheck
      ? verifyStep(
          'amcheck',
          `as "$BIN/pg_amcheck" -h "$DIR/sock" -p "$PORT" -U postgres --all --schema=pg_catalog --install-missing`,
        )
      : '',
    // What the scratch folder holds with the server up and checked: the run's peak disk use.
    verifyStep('measure', 'as du -sb "$DIR" | cut -f1'),
  ];
}

/**
 * Written by RUNAS (a shell reading this step's script on stdin, $DIR and $PORT from its
 * environment): a link RUNAS planted in its folder leads nowhere RUNAS could not write.
 */
function configureStep(job: VerifyJob): string {
  // %f and "%p" are for PostgreSQL; $PCT_DIR, $DIR with each % doubled for PostgreSQL, is
  // expanded by the script when it writes the file.
  const restoreCommand = pgCommand`${job.pgbackrest ?? 'pgbackrest'} --stanza=${job.stanza} ${resetOptions(job)} --pg1-path=$PCT_DIR/data archive-get %f "%p"`;
  return verifyStep(
    'configure',
    [
      `as env DIR="$DIR" PORT="$PORT" /bin/sh -s <<'BSYNC_CONFIGURE'`,
      'set -e',
      `PCT_DIR=$(printf '%s\\n' "$DIR" | sed 's/%/%%/g')`,
      `printf '%s\\n' "hba_file = '$DIR/pg_hba.conf'" "ident_file = '$DIR/pg_ident.conf'" > "$DIR/verify.conf"`,
      // Only the scratch folder's socket, which only RUNAS (and root) can reach.
      `printf 'local all all trust\\n' > "$DIR/pg_hba.conf"`,
      ': > "$DIR/pg_ident.conf"',
      `cat >> "$DIR/data/postgresql.auto.conf" <<BSYNC_CONF\n${isolatedSettings(
        {
          port: '$PORT',
          socketDir: '$DIR/sock',
          clusterName: `bsync-verify-${job.stanza}`,
          restoreCommand,
          hotStandby: false,
          clearPreloadLibraries: true,
        },
        'bsync verify: a throwaway restore; never to be mistaken for the cluster or archive into its repository',
      )}\nBSYNC_CONF`,
      'BSYNC_CONFIGURE',
    ].join('\n'),
  );
}

/** The steps the script reported, in order; lines that are not a step and its frame are not data. */
export function parseVerifyOutput(output: string): VerifyStep[] {
  const steps: VerifyStep[] = [];
  const lines = output.split('\n');
  for (let index = 0; index < lines.length - 1; index += 1) {
    const header = /^step:([a-z]+):(\d+)$/.exec(lines[index].trim());
    const name = header?.[1] as VerifyStepName | undefined;
    if (!header || !name || !(VERIFY_STEPS as readonly string[]).includes(name)) continue;
    const result = readFramed(lines[index + 1]);
    if (result) steps.push({ name, startedMs: Number(header[2]), ...result });
  }
  return steps;
}
