// A clone: a stanza's backup restored onto another host, or into another data directory
// and port, and started as an independent server for investigations and restore drills.
// It never archives (archive_mode off, its own name, port and socket), so it cannot push
// WAL into its source's stanza; it reads the repository only for archive-get. The source
// server is not touched. A pure function of (inventory, facts, request).
//
// Beside the data directory a marker file (`<path>.bsync-clone`) says the folder is a
// clone bsync made and whether it was finished: an interrupted clone is cleared and made
// again by the next run; a finished one is replaced only with --allow-overwrite; a folder
// without the marker is never touched. A lock file beside it (`<path>.lock`, root's) is
// held while a clone is cleared and restored, so a restore that a killed bsync left running
// on the host is waited for, not written over.
//
// The folder's parent must be one only root can change (it holds the marker, written by
// root); inside the clone's folder, which the restoring user owns, everything is done as
// that user: what they plant there (links, a pid file) steers only their own hands.
import { within } from '../config/folders.js';
import { processesFor, type ProcessChoice } from '../desired/processes.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { HostResources } from '../desired/builder.js';
import { pgDataOf } from '../desired/layout.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { zonePrimary } from '../desired/backups.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { SpaceFacts } from '../facts/space.js';
import type { OperationOf } from '../plan/types.js';
import { PSQL_SESSION_OPTIONS } from '../psql.js';
import { objectStoresOnly } from '../repositories/index.js';
import { inPhase, runChange, type Resource, type ResourceRef } from '../resources/types.js';
import { humanBytes } from '../status/render-text.js';
import { replayProgressLine } from './recovery-wait.js';
import type { BackupInfo, HostFacts } from '../facts/types.js';
import { pgCommand } from '../formats/pg-command.js';
import { shq } from '../formats/shell.js';
import { FOLDER_FUNCTIONS } from '../verify/folders.js';
import { findBinaries, requireBinaries } from '../verify/script.js';
import { isolatedSettings } from '../verify/isolated-server.js';
import {
  checkInWindow,
  checkSpace,
  checkWal,
  checkWindowEnd,
  chooseBackup,
  readableRepo,
  when,
} from './restore-checks.js';
import { recoveryWindow } from '../status/window.js';
import { addArchiveNow } from './restore.js';
import { CLONES_DIR, cloneOperation, type CloneRequest } from './requests.js';
import { restoreCommandOption, restoreTargetOptions, targetText } from './target.js';
import { checkRepoTargetTime, repoTimeField, repoTimeNote, repoTimeOptions } from './repo-target-time.js';

/** The zone whose stanza is cloned: --zone, else the zone of the --to host. */
export function cloneZone(inventory: Inventory, request: Pick<CloneRequest, 'zone' | 'to'>): Zone {
  const number = request.zone ?? inventory.hosts.find((host) => host.name === request.to.host)?.zone;
  const zone = zonesOf(inventory).find((candidate) => candidate.zone === number);
  if (!zone)
    throw new BsyncError(`--zone ${number ?? '?'}: name the zone whose stanza to clone`, {
      where: inventory.configPath,
    });
  return zone;
}

export function clonePath(request: CloneRequest, stanza: string): string {
  return request.to.path ?? `${CLONES_DIR}/${stanza}`;
}

/** The host the clone goes to, and why a host that cannot read the stanza's repository is refused. */
export function cloneHost(inventory: Inventory, zone: Zone, name: string): HostSpec {
  const host = inventory.hosts.find((candidate) => candidate.name === name);
  if (!host) throw new BsyncError(`--to ${name}: no such host in the config`, { where: inventory.configPath });
  const inZone = host.zone === zone.zone;
  // Object stores are reached the same way from every PostgreSQL host of the config.
  const sharedStore = host.role === 'postgres' && objectStoresOnly(inventory.repos);
  if (!inZone && !sharedStore) {
    throw new BsyncError(`--to ${name}: that host cannot read ${zone.stanza}'s repository`, {
      hint: `A clone goes to a host of zone ${zone.zone} (${[...zone.postgresHosts, ...(zone.backupHost ? [zone.backupHost] : [])].map((entry) => entry.name).join(', ')}), or, with object-store repositories only, to any PostgreSQL host.`,
    });
  }
  return host;
}

interface CloneInputs {
  inventory: Inventory;
  facts: FactsByHost;
  request: CloneRequest;
  space: SpaceFacts;
  now: number;
}

/** What a clone restores and where, once every refusal has passed. */
interface CloneSource {
  zone: Zone;
  host: HostSpec;
  /** The zone's primary, whose WAL up to now reaches the repository first. */
  source?: HostSpec;
  path: string;
  repoKey: number;
  backup: BackupInfo;
  pgVersion: string;
  spaceNote: string;
}

/** The shell lines every clone step starts with, and what they run as. */
interface CloneScripts {
  runAs: string;
  vars: string;
  findBin: string;
  /** pgBackRest pointed at the clone's folder (and, on the repository's host, away from the PostgreSQL hosts). */
  pgbackrest: string;
  /** process-max for the restore: the host's cores unless the config sets it. */
  processes: ProcessChoice;
}

export function planClone(inputs: CloneInputs): {
  resources: Resource[];
  operation: OperationOf<'clone'>;
} {
  const { inventory, facts, request } = inputs;
  const clone = cloneSource(inputs);
  const { zone, host, source, path, backup, repoKey, spaceNote } = clone;
  const scripts = cloneScripts(inventory, facts, request, clone);
  // The source primary's WAL up to now reaches the repository first, as for a restore.
  const sourceOut = source ? new HostResources(source.name) : undefined;
  // At a repository time, WAL archived now would not be read.
  const archived = source && sourceOut && !request.repoTargetTime ? addArchiveNow(sourceOut, source, zone) : undefined;
  const out = new HostResources(host.name);
  const restored = addCloneRestore(out, request, clone, scripts, archived);
  addCloneStart(out, request, clone, scripts, restored);
  return {
    resources: [...(sourceOut?.resources ?? []), ...out.resources],
    operation: cloneOperation(request, { zone: zone.zone, host: host.name, path, set: backup.label, repo: repoKey }, [
      `A clone of ${zone.stanza} starts on ${host.name} in ${path}, port ${request.port}, as an independent server with archiving off; the zone's servers are not touched.`,
      ...(request.repoTargetTime ? [repoTimeNote(request.repoTargetTime, repoKey)] : []),
      `Space: ${spaceNote}.`,
    ]),
  };
}

/** The refusals: where the clone goes, which repository and set, what space. */
function cloneSource({ inventory, facts, request, space, now }: CloneInputs): CloneSource {
  const zone = cloneZone(inventory, request);
  const host = cloneHost(inventory, zone, request.to.host);
  const source = zonePrimary(zone.postgresHosts, facts);
  const path = clonePath(request, zone.stanza);
  checkBesideServer(host, facts.get(host.name)!, path, zone, request.port);
  const repoKey = request.repo ?? inventory.repos[0].key;
  checkRepoTargetTime(inventory, request, repoKey, { readers: [host, zone.repoOwner], facts }, now);
  const repo = readableRepo(inventory, zone, facts, repoKey);
  checkWindowEnd(request, now, source && { host: source, facts: facts.get(source.name)! });
  const archiver = source && facts.get(source.name)?.postgres?.archiver;
  checkInWindow(request, recoveryWindow(repo, archiver), repoKey, source !== undefined && !request.repoTargetTime);
  const backup = chooseBackup(repo, request, zone.stanza);
  checkWal(repo, backup);
  const spaceNote = checkSpace(host, path, backup, space);
  const pgVersion = backup.pgVersion ?? inventory.cluster.pgVersion?.toString();
  if (pgVersion === undefined) throw new BsyncError(`the PostgreSQL version of backup ${backup.label} is unknown`);
  return { zone, host, ...(source ? { source } : {}), path, repoKey, backup, pgVersion, spaceNote };
}

/** On a PostgreSQL host the clone keeps out of the server's data directory and off its port. */
function checkBesideServer(host: HostSpec, hostFacts: HostFacts, path: string, zone: Zone, port: number): void {
  if (host.role !== 'postgres') return;
  const own = hostFacts.postgres?.running || host.pgData ? pgDataOf(host, hostFacts) : undefined;
  if (own !== undefined && (within(path, own) || within(own, path))) {
    throw new BsyncError(`--to ${host.name}:${path} overlaps the data directory of the server there (${own})`, {
      hint: `Choose another folder, such as ${CLONES_DIR}/${zone.stanza}; to replace that server's data, use bsync restore without --to.`,
    });
  }
  if (hostFacts.postgres?.running && host.pgPort === port)
    throw new BsyncError(`--port ${port}: the server on ${host.name} listens there; give the clone another`);
}

function cloneScripts(
  inventory: Inventory,
  facts: FactsByHost,
  request: CloneRequest,
  clone: CloneSource,
): CloneScripts {
  const { zone, host, path, repoKey, pgVersion } = clone;
  const runAs = pgbackrestUser(inventory, host);
  const local = host.role === 'postgres' ? facts.get(host.name)!.postgres : undefined;
  const binDir =
    local?.running && local.binDir && String(Math.floor(local.versionNum / 10000)) === pgVersion
      ? local.binDir
      : undefined;
  // On the repository's own host the stanza lists the PostgreSQL hosts: reset them, so it restores here.
  const resets =
    host.role === 'backup' ? zone.postgresHosts.map((_, index) => `--reset-pg${index + 1}-host`).join(' ') : '';
  const pgbackrest = [
    zone.pgbackrest,
    `--stanza=${shq(zone.stanza)}`,
    `--repo=${repoKey}`,
    // Restore and the clone's restore_command both read the repository as it was at the time.
    ...repoTimeOptions(request.repoTargetTime),
    ...(resets ? [resets] : []),
    `--pg1-path=${shq(path)}`,
  ].join(' ');
  const marker = `${path}.bsync-clone`;
  const vars = `P=${shq(path)} M=${shq(marker)} L=${shq(`${path}.lock`)} U=${shq(runAs)} PORT=${request.port}`;
  const binaries = { pgVersion, ...(binDir ? { binDir } : {}) };
  const findBin = `${findBinaries(binaries)}; ${requireBinaries(binaries, 'exit 1')}`;
  const processes = processesFor(inventory, 'restore', facts.get(host.name));
  return { runAs, vars, findBin, pgbackrest, processes };
}

/** The folder made ready, then the backup restored into it; returns the restore. */
function addCloneRestore(
  out: HostResources,
  request: CloneRequest,
  { path, backup, zone, repoKey }: CloneSource,
  { runAs, vars, findBin, pgbackrest, processes }: CloneScripts,
  archived: ResourceRef | undefined,
): ResourceRef {
  const prepared = out.add(
    'clone_prepare',
    undefined,
    `make room for the clone in ${path}`,
    runChange(
      `a folder bsync cloned into before is cleared (a finished clone only with --allow-overwrite); any other content is refused; port ${request.port} must be free`,
      inPhase('preparation', [{ command: prepareScript(vars, findBin, request.allowOverwrite) }]),
    ),
    [archived],
  );
  return out.add(
    'clone_restore',
    undefined,
    `restore backup ${backup.label} into ${path}`,
    runChange(
      'archive_mode off from the start: the clone never pushes WAL into the stanza',
      [
        {
          user: runAs,
          phase: 'pgBackRest restore',
          progress: { reader: 'restore', goal: `of ${humanBytes(backup.size ?? null)}` },
          // Under the clone's lock, as prepare took it: a killed run's restore is waited for.
          command: [
            'flock -w 86400',
            shq(`${path}.lock`),
            pgbackrest,
            // Its own spool folder: the host's may belong to another user, and stays untouched.
            `--spool-path=${shq(`${path}.spool`)}`,
            '--log-level-console=detail',
            ...processes.options,
            `--set=${shq(backup.label)}`,
            ...restoreTargetOptions(request.target).map(shq),
            ...(request.target.type !== 'latest' ? ['--target-action=promote'] : []),
            '--archive-mode=off',
            `--tablespace-map-all=${shq(`${path}.tablespaces`)}`,
            ...restoreCommandOption(
              zone.pgbackrest,
              pgCommand`${pgbackrest} --spool-path=${shq(`${path}.spool`)} archive-get %f "%p"`,
            ),
            'restore',
          ].join(' '),
        },
      ],
      [
        { name: 'backup set', after: `${backup.label} (${backup.type}, consistent at ${when(backup.stop)})` },
        { name: 'target', after: targetText(request.target) },
        { name: 'source', after: `${zone.stanza}, repo${repoKey}` },
        ...(request.repoTargetTime ? [repoTimeField(request.repoTargetTime)] : []),
        { name: 'port', after: String(request.port) },
        processes.field,
      ],
    ),
    [prepared],
  );
}

/** The clone's own settings (port, socket, name, archiving off), then its start and promotion. */
function addCloneStart(
  out: HostResources,
  request: CloneRequest,
  { path, backup, zone, host }: CloneSource,
  { runAs, vars, findBin, pgbackrest }: CloneScripts,
  restored: ResourceRef,
): void {
  const restoreCommand = pgCommand`${pgbackrest} archive-get %f "%p"`;
  const settings = isolatedSettings(
    {
      port: String(request.port),
      socketDir: path,
      clusterName: `bsync-clone-${zone.stanza}`,
      restoreCommand,
      hotStandby: true,
      clearPreloadLibraries: host.role === 'backup',
    },
    `bsync clone of ${zone.stanza} (backup ${backup.label}, target ${targetText(request.target)}): an independent server that never archives`,
  );
  const configured = out.add(
    'clone_configure',
    undefined,
    `its own port, socket and name; archiving off`,
    runChange('appended to the restored postgresql.auto.conf, so they win over what the copy brought', [
      { user: runAs, command: configureScript(vars), stdin: [`${settings}\n`], phase: 'preparation' },
    ]),
    [restored],
  );
  out.add(
    'clone_start',
    undefined,
    `start the clone on port ${request.port}`,
    runChange(
      `replays WAL to the target and promotes; then psql -h ${path} -p ${request.port} reaches it as ${runAs}`,
      [
        {
          user: runAs,
          command: startScript(vars, findBin, path, request.port),
          phase: 'WAL replay',
          progress: { reader: 'replay', goal: `target ${targetText(request.target)}` },
        },
        // In the folder's parent, by root: the next clone's prepare step reads it.
        { command: `${vars}\necho ready > "$M"`, phase: 'promotion' },
      ],
    ),
    [configured],
  );
}

/** What to do when the clone's folder is somewhere root will not work. */
const PARENT_HINT = `a clone goes into a folder only root can change (root-owned, not writable by group or others), such as ${CLONES_DIR}: choose another (--to HOST:PATH), or remove what another user made there`;

/**
 * Clears what an earlier clone left (stopping its server, as the clone's user), refuses a
 * folder bsync did not clone into or whose parent others can change, and makes the folder,
 * marked "restoring" until the clone has started.
 */
function prepareScript(vars: string, findBin: string, allowOverwrite: boolean): string {
  return [
    vars,
    'cd /',
    FOLDER_FUNCTIONS,
    // The marker and the folder's siblings live in the parent: root's alone, or nothing happens.
    `bsync_trusted_folder "$(dirname "$P")" 0755 ${shq(PARENT_HINT)} >/dev/null || exit 1`,
    // A clone whose bsync was killed may still restore on the host: wait for it, then clear.
    'bsync_lock_file "$L" || exit 1',
    'exec 9<"$L"',
    'flock -w 86400 9 || { echo "another clone into $P still runs on this host" >&2; exit 1; }',
    'state=$(cat "$M" 2>/dev/null)',
    'if [ -e "$P" ] && [ -n "$(ls -A "$P" 2>/dev/null)" ]; then',
    '  case "$state" in',
    '    restoring*) ;;',
    allowOverwrite
      ? '    ready*) ;;'
      : '    ready*) echo "$P holds a finished clone: --allow-overwrite replaces it" >&2; exit 1 ;;',
    '    *) echo "$P holds files bsync did not clone there: choose another folder (--to HOST:PATH)" >&2; exit 1 ;;',
    '  esac',
    `  if [ -f "$P/postmaster.pid" ]; then ${findBin}; bsync_stop_server "$P" "$U" "$BIN" fast 120; fi`,
    '  rm -rf -- "$P" "$P.tablespaces" "$P.spool"',
    'fi',
    `if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is in use on this host: give the clone another (--port)" >&2; exit 1; fi`,
    'rm -f -- "$M"',
    'echo restoring > "$M" && chmod 0644 "$M"',
    'install -d -o "$U" -g "$(id -gn "$U")" -m 0700 "$P" "$P.spool"',
  ].join('\n');
}

/**
 * Runs as the clone's user, in their folder. A Debian backup's data directory has no
 * postgresql.conf or pg_hba.conf (they live in /etc): the clone gets its own.
 */
function configureScript(vars: string): string {
  return [
    vars,
    'cd "$P" || exit 1',
    `[ -f postgresql.conf ] || printf '%s\\n' "# bsync clone: the source's settings came from its own folder" "hba_file = '$P/pg_hba.conf'" "ident_file = '$P/pg_ident.conf'" > postgresql.conf || exit 1`,
    // The socket is in the clone's own folder (0700): only its user and root reach it.
    `[ -f pg_hba.conf ] || printf '%s\\n' 'local all all trust' 'host all all 127.0.0.1/32 scram-sha-256' 'host all all ::1/128 scram-sha-256' > pg_hba.conf || exit 1`,
    '[ -f pg_ident.conf ] || : > pg_ident.conf || exit 1',
    // The settings arrive on stdin (the plan shows them above, as the step's reason).
    `cat >> postgresql.auto.conf`,
  ].join('\n');
}

/** Runs as the clone's user: starts the server and waits until it has promoted. */
function startScript(vars: string, findBin: string, path: string, port: number): string {
  const psql = `env PGOPTIONS=${shq(PSQL_SESSION_OPTIONS)} "$BIN/psql" -X -At -h ${shq(path)} -p ${port} -U postgres -d postgres`;
  return [
    vars,
    'cd /',
    findBin,
    'if ! "$BIN/pg_ctl" -D "$P" status >/dev/null 2>&1; then',
    '  "$BIN/pg_ctl" -D "$P" -l "$P/clone.log" -W start >/dev/null || { tail -n 15 "$P/clone.log" >&2; exit 1; }',
    // -W returns at once: the postmaster writes its pid file a moment later.
    '  n=0; until [ -s "$P/postmaster.pid" ] || [ "$n" -ge 30 ]; do n=$((n + 1)); sleep 1; done',
    'fi',
    'n=0',
    `until [ "$(${psql} -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; do`,
    '  if ! "$BIN/pg_ctl" -D "$P" status >/dev/null 2>&1; then echo "the clone stopped during recovery:" >&2; tail -n 15 "$P/clone.log" >&2; exit 1; fi',
    `  ${replayProgressLine(psql)}`,
    '  n=$((n + 1)); [ "$n" -lt 86400 ] || exit 1',
    '  sleep 1',
    'done',
    `${psql} -c 'SELECT 1' >/dev/null`,
  ].join('\n');
}
