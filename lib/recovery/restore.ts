// A restore as a plan: which backup set and WAL reach the target, what stops and starts,
// and every refusal made before anything stops. A pure function of (inventory, facts,
// request); lib/cli/restore.ts gathers the facts and lib/apply runs the steps.
//
// In place, standalone: (primary running) commit a marker and archive the WAL written so
// far, stop the server, pgBackRest restore (delta by default) with the target, start,
// wait for recovery to end on a new timeline, tidy pgBackRest's recovery settings, and
// `pgbackrest check` that archiving goes on. docs/recovery.md tells the story.
import { processesFor, type ProcessChoice } from '../desired/processes.js';
import { walFetch, type WalFetch } from './wal-fetch.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError, HostError } from '../errors.js';
import { pgDataOf, serverLayout } from '../desired/layout.js';
import { packagedBinDirs, storedLayoutOf } from '../desired/stored-layout.js';
import { archiveSettings } from '../desired/archive-settings.js';
import { HostResources } from '../desired/builder.js';
import { interruptedRestore, restoreMarkNeeds } from './interrupted.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { PG_OS_USER } from '../facts/probe.js';
import { read, type NeedsPart } from '../facts/needs.js';
import type { BackupInfo, HostFacts, RepoFacts } from '../facts/types.js';
import type { SpaceFacts } from '../facts/space.js';
import { psqlCommand } from '../psql.js';
import { pgCtlStep, serviceStep, type ServerLayout } from '../resources/pg-service.js';
import { psqlStep } from '../resources/pg-settings.js';
import type { StanzaCommands } from '../resources/stanza.js';
import {
  inPhase,
  runChange,
  type FieldChange,
  type Resource,
  type ResourceRef,
  type Step,
} from '../resources/types.js';
import type { OperationOf } from '../plan/types.js';
import { shq } from '../formats/shell.js';
import { primaryOf, recoveryWindow, segmentTimeline, windowText, type RecoveryWindow } from '../status/window.js';
import {
  checkConverged,
  checkInWindow,
  checkSpace,
  checkWal,
  checkWindowEnd,
  chooseBackup,
  readableRepo,
  when,
} from './restore-checks.js';
import { recoveryWaitSteps, waitUntil } from './recovery-wait.js';
import { humanBytes } from '../status/render-text.js';
import {
  addPatroniPause,
  addPatroniResume,
  lostCluster,
  patroniCluster,
  patroniLeader,
  patroniNote,
  type PatroniRestore,
} from './restore-patroni.js';
import { restoreCommandOption, restoreTargetOptions, targetText } from './target.js';
import { checkRepoTargetTime, repoTimeField, repoTimeNote, repoTimeOptions } from './repo-target-time.js';
import { restoreOperation, type RestoreRequest } from './requests.js';
import { followingReplicas, replicasChoice, replicasNote } from './restore-replicas.js';
import type { Instant } from '../target-time.js';

export interface RestorePlan {
  resources: Resource[];
  operation: OperationOf<'restore' | 'standby'>;
}

/** The Patroni scope the zone's members report (any of them). */
function patroniScope(zone: Zone, facts: FactsByHost): string {
  return zone.postgresHosts.map((host) => facts.get(host.name)?.patroni?.scope).find(Boolean) ?? '';
}

/** The zone and host a restore is for: the asked-for host, else the zone's primary, else its only PostgreSQL host. */
export function restorePlace(
  inventory: Inventory,
  request: Pick<RestoreRequest, 'zone' | 'host'>,
  facts?: FactsByHost,
): { zone: Zone; host: HostSpec } {
  const zones = zonesOf(inventory);
  const spec = request.host === undefined ? undefined : inventory.hosts.find((host) => host.name === request.host);
  if (request.host !== undefined && !spec)
    throw new BsyncError(`--host ${request.host}: no such host in the config`, { where: inventory.configPath });
  const zoneNumber = request.zone ?? spec?.zone ?? (zones.length === 1 ? zones[0].zone : undefined);
  if (zoneNumber === undefined) {
    throw new BsyncError(`the config has ${zones.length} zones: say which one to restore`, {
      where: inventory.configPath,
      hint: `Add --zone N (zones: ${zones.map((zone) => zone.zone).join(', ')}) or --host NAME.`,
    });
  }
  const zone = zones.find((candidate) => candidate.zone === zoneNumber);
  if (!zone) throw new BsyncError(`--zone ${zoneNumber}: no such zone in the config`, { where: inventory.configPath });
  if (spec && (spec.zone !== zone.zone || spec.role !== 'postgres')) {
    throw new BsyncError(`--host ${spec.name} is not a PostgreSQL host of zone ${zone.zone}`, {
      where: inventory.configPath,
      hint: `PostgreSQL hosts of zone ${zone.zone}: ${zone.postgresHosts.map((host) => host.name).join(', ')}`,
    });
  }
  if (spec) return { zone, host: spec };
  // Patroni names its leader; paused, not once the leader's server stopped: then the
  // member an interrupted restore marked is the one to restore.
  const leader = inventory.patroni && facts ? patroniLeader(zone, facts) : undefined;
  if (leader) return { zone, host: leader };
  const interrupted =
    inventory.patroni && facts ? interruptedRestore(patroniScope(zone, facts), zone.postgresHosts, facts) : undefined;
  if (interrupted) return { zone, host: interrupted };
  // A Patroni cluster whose data is gone: the first member declared that answers leads it again.
  if (inventory.patroni && facts && lostCluster(zone, facts))
    return { zone, host: zone.postgresHosts.find((host) => facts.get(host.name)?.patroni?.scope)! };
  const primary = zone.postgresHosts.find(
    (host) => facts?.get(host.name)?.postgres?.running && !facts.get(host.name)?.postgres?.inRecovery,
  );
  if (primary) return { zone, host: primary };
  if (zone.postgresHosts.length === 1) return { zone, host: zone.postgresHosts[0] };
  throw new BsyncError(
    `zone ${zone.zone} has several PostgreSQL hosts and none runs as primary: say which to restore`,
    {
      where: inventory.configPath,
      hint: `Add --host NAME (${zone.postgresHosts.map((host) => host.name).join(', ')}): the primary, or after an interrupted restore the host it was restoring.`,
    },
  );
}

/**
 * What a restore reads of its host beyond the plan's facts: where a server that cannot say
 * keeps its data, version, port and binaries (a running server tells them itself), and in
 * a Patroni zone the mark of an interrupted restore.
 */
export function restoreNeeds(inventory: Inventory, host: HostSpec): NeedsPart[] {
  if (host.role !== 'postgres') return [];
  return [read.storedLayout, ...(inventory.patroni ? [restoreMarkNeeds] : [])];
}

/**
 * The data directory a restore replaces: the running server's, else the config's or the
 * host's files' (stored-layout.ts) for the stanza's major (pg_version, else the repository's).
 */
export function restoredDataDirectory(
  inventory: Inventory,
  place: { zone: Zone; host: HostSpec },
  facts: FactsByHost,
): string {
  const hostFacts = facts.get(place.host.name);
  if (!hostFacts || hostFacts.postgres?.running) return pgDataOf(place.host, hostFacts);
  const major =
    inventory.cluster.pgVersion?.toString()
    ?? facts.get(place.zone.repoOwner.name)?.repos?.find((repo) => repo.database)?.database?.version;
  return storedLayoutOf(inventory, place.host, hostFacts, major).dataDirectory;
}

/** The server's layout: what it says when it runs, else the config and what the host holds. */
function layoutOf(
  inventory: Inventory,
  host: HostSpec,
  facts: HostFacts,
  major: string,
): ServerLayout & { notes: string[] } {
  const pg = facts.postgres;
  if (pg?.running) return { ...serverLayout(pg), notes: [] };
  const { dataDirectory, binDir, configFile, serviceUnit, from, notes } = storedLayoutOf(inventory, host, facts, major);
  // Asked for (a live restore always is): the server's binaries of the backup's major must be there.
  if (facts.storedLayout && binDir === undefined) {
    throw new HostError(
      host.name,
      `PostgreSQL ${major}'s server is not installed: neither ${packagedBinDirs(major).join(' nor ')} holds pg_ctl`,
      { hint: `The backup is of PostgreSQL ${major}: install its server package on ${host.name}, then plan again.` },
    );
  }
  return {
    major: Number(major),
    dataDirectory,
    ...(configFile ? { configFile } : {}),
    ...(binDir ? { binDir } : {}),
    ...(serviceUnit ? { serviceUnit } : {}),
    notes: from === 'pg_data' ? notes : [`${host.name}'s data directory ${dataDirectory} is ${from}.`, ...notes],
  };
}

interface RestoreInputs {
  inventory: Inventory;
  facts: FactsByHost;
  request: RestoreRequest;
  /** The setup plan's resources of the zone, when they could be planned (not with the server down). */
  setup?: Resource[];
  space: SpaceFacts;
  /** Each following replica's data directory's space (restore-replicas.ts says which follow). */
  replicaSpace?: ReadonlyMap<string, SpaceFacts>;
  now: number;
}

/** What a restore reads and replaces, once every refusal made before anything stops has passed. */
export interface RestoreSource {
  zone: Zone;
  host: HostSpec;
  hostFacts: HostFacts;
  pg: HostFacts['postgres'];
  cluster?: PatroniRestore;
  repoKey: number;
  repo: RepoFacts;
  window: RecoveryWindow;
  backup: BackupInfo;
  /** With what the operator reads about where a stopped server's layout came from. */
  layout: ServerLayout & { notes: string[] };
  spaceNote: string;
  processes: ProcessChoice;
  /** How recovery gets its WAL (ahead of replay, unless the config says how). */
  fetch: WalFetch;
  /** The zone's plain streaming replicas rebuilt as standbys of the restored primary. */
  followers: HostSpec[];
  /**
   * A new zone's first data (lib/desired/first-data.ts): restored into an empty folder
   * (neither --delta nor --force, so pgBackRest refuses one with files) with archiving off,
   * and no check of the source's stanza: it is not the server's own.
   */
  newServer?: boolean;
}

export function planRestore(inputs: RestoreInputs): RestorePlan {
  const { inventory, request } = inputs;
  const source = restoreSource(inputs);
  const { zone, host, pg, cluster } = source;
  const out = new HostResources(host.name);
  // At a repository time, WAL archived now would not be read (and the bucket may be damaged).
  const archives = !request.standby && !request.repoTargetTime;
  const archivesNow = Boolean(pg?.running && !pg.inRecovery) && archives;
  // In recovery, it may be an interrupted restore's, about to promote (see addArchiveNow).
  const recovering = Boolean(pg?.running && pg.inRecovery) && archives;
  const archived = archivesNow || recovering ? addArchiveNow(out, host, zone, recovering) : undefined;
  const stopped = addServerStop(out, source, archived);
  const started = addRestoreAndStart(out, inventory, source, request, [stopped]);
  if (request.standby) return standbyPlan(out, source, request, started);
  const followers = addFollowers(inputs, source, addRecoveryEnd(out, source, request, started));
  return {
    resources: [
      ...out.resources,
      ...(cluster?.replicas ?? []).flatMap((replica) => replica.out.resources),
      ...followers.resources,
    ],
    operation: restoreOperation(request, chosen(source, replicasChoice(inventory, request, source)), [
      ...restoreNotes(source, archivesNow, recovering, request.repoTargetTime),
      ...replicasNote(inventory, request, source, { backup: source.backup.label, repoKey: source.repoKey }),
      ...followers.notes,
      ...windowNote(source, request, archivesNow),
    ]),
  };
}

/**
 * Each following replica rebuilt as `restore --host R --standby` rebuilds it (its stop if it
 * runs, the standby restore, the start, the wait until consistent), from the restored
 * primary's backup set (a later one may lie past the branch to the new timeline) and once
 * the primary archives on its new timeline: the standby's recovery finds that timeline's
 * history in the archive and follows it (recovery_target_timeline latest).
 */
function addFollowers(
  inputs: RestoreInputs,
  primary: RestoreSource,
  after: ResourceRef | undefined,
): { resources: Resource[]; notes: string[] } {
  const built = primary.followers.map((replica) => {
    const source = followerSource(inputs, primary, replica);
    const out = new HostResources(replica.name);
    const asStandby: RestoreRequest = {
      ...inputs.request,
      host: replica.name,
      target: { type: 'latest' },
      targetAction: 'promote',
      standby: true,
    };
    const started = addRestoreAndStart(out, inputs.inventory, source, asStandby, [addServerStop(out, source, after)]);
    addStandbyReady(out, source, started);
    return {
      resources: out.resources,
      notes: [standbyHostNote(source), `Space on ${replica.name}: ${source.spaceNote}.`],
    };
  });
  return { resources: built.flatMap((each) => each.resources), notes: built.flatMap((each) => each.notes) };
}

/** A following replica as a standby rebuild reads its host, with the primary's set, repository and window. */
function followerSource(inputs: RestoreInputs, primary: RestoreSource, replica: HostSpec): RestoreSource {
  const { inventory, facts, request, setup, replicaSpace } = inputs;
  const hostFacts = facts.get(replica.name)!;
  checkConverged(setup, [replica.name]);
  const layout = restoredLayout(inventory, replica, hostFacts, primary.backup);
  refuseRunning(replica, hostFacts.postgres, layout.dataDirectory, request.allowOverwrite, {
    hint: `It follows the restored primary as a standby rebuilt from the repository; WAL it holds beyond the repository's is lost. If that is what you want, plan again with --allow-overwrite; --replicas leave keeps ${replica.name} as it is.`,
  });
  const space = replicaSpace?.get(replica.name);
  if (!space) throw new Error(`bsync did not measure the space of ${replica.name}'s data directory`);
  const processes = processesFor(inventory, 'restore', hostFacts);
  return {
    ...primary,
    host: replica,
    hostFacts,
    pg: hostFacts.postgres,
    layout,
    spaceNote: checkSpace(replica, layout.dataDirectory, primary.backup, space),
    processes,
    fetch: walFetch(inventory, primary.zone, processes),
    followers: [],
  };
}

/** A running server is replaced only when --allow-overwrite says so. */
function refuseRunning(
  host: HostSpec,
  pg: HostFacts['postgres'],
  dataDirectory: string,
  allowOverwrite: boolean,
  { hint }: { hint: string },
): void {
  if (!pg?.running || allowOverwrite) return;
  throw new BsyncError(
    `${host.name} runs PostgreSQL on port ${host.pgPort}${pg.inRecovery ? ' (in recovery)' : ' as a primary'}: a restore stops it and replaces its data in ${dataDirectory}`,
    { hint },
  );
}

/** The refusals, in the order an operator meets them: where, which repository and set, which server, what space. */
function restoreSource({ inventory, facts, request, setup, space, now }: RestoreInputs): RestoreSource {
  const { zone, host } = restorePlace(inventory, request, facts);
  if (request.standby) checkStandbyRequest(inventory, request, host, facts);
  const cluster = inventory.patroni ? patroniCluster(inventory, zone, host, facts) : undefined;
  const hostFacts = facts.get(host.name)!;
  const pg = hostFacts.postgres;
  const repoKey = request.repo ?? inventory.repos[0].key;
  // Before the repository is read: its info was read at the time, which an old pgBackRest refuses.
  checkRepoTargetTime(inventory, request, repoKey, { readers: [host, zone.repoOwner], facts }, now);
  const repo = readableRepo(inventory, zone, facts, repoKey);
  checkConverged(setup, [host.name, zone.repoOwner.name]);
  checkWindowEnd(request, now, { host, facts: hostFacts });
  const window = recoveryWindow(repo, primaryOf(zone, facts)?.postgres?.archiver);
  checkInWindow(request, window, repoKey, Boolean(pg?.running && !pg.inRecovery) && !request.repoTargetTime);
  const backup = chooseBackup(repo, request, zone.stanza);
  checkWal(repo, backup);
  const layout = restoredLayout(inventory, host, hostFacts, backup);
  refuseRunning(host, pg, layout.dataDirectory, request.allowOverwrite, {
    hint: 'Everything written after the target is lost. If that is what you want, plan again with --allow-overwrite.',
  });
  const followers = followingReplicas(inventory, request, { zone, host }, facts);
  const spaceNote = checkSpace(host, layout.dataDirectory, backup, space);
  const processes = processesFor(inventory, 'restore', hostFacts);
  const fetch = walFetch(
    inventory,
    zone,
    processes,
    request.repoTargetTime && { repo: repoKey, at: request.repoTargetTime },
  );
  return {
    zone,
    host,
    hostFacts,
    pg,
    ...(cluster ? { cluster } : {}),
    repoKey,
    repo,
    window,
    backup,
    layout,
    spaceNote,
    processes,
    fetch,
    followers,
  };
}

/** The server the backup is restored into, refused when it runs another major version than the backup's. */
export function restoredLayout(
  inventory: Inventory,
  host: HostSpec,
  hostFacts: HostFacts,
  backup: BackupInfo,
): RestoreSource['layout'] {
  const pg = hostFacts.postgres;
  const major =
    backup.pgVersion
    ?? inventory.cluster.pgVersion?.toString()
    ?? (pg?.running
      ? String(Math.floor(pg.versionNum / 10000))
      : storedLayoutOf(inventory, host, hostFacts).major?.toString());
  if (major === undefined)
    throw new BsyncError(`the PostgreSQL version of backup ${backup.label} is unknown`, {
      hint: `Set pg_version in [cluster] (the major version the backup is of), then plan again.`,
    });
  const layout = layoutOf(inventory, host, hostFacts, major);
  if (pg?.running && String(layout.major) !== major) {
    throw new BsyncError(
      `backup ${backup.label} is of PostgreSQL ${major}, but ${host.name} runs PostgreSQL ${layout.major}`,
      { hint: 'A backup restores only into the major version it was taken from.' },
    );
  }
  return layout;
}

/** A pgBackRest command line for the restore's stanza (its zone's `pgbackrest`: with the environment a web-id repository needs). */
function pgbackrest({ stanza, pgbackrest }: StanzaCommands, command: string, options: string[] = []): string {
  return [pgbackrest, `--stanza=${shq(stanza)}`, ...options, command].join(' ');
}

/** A recovery to a target (not to the archive's end, and not a standby's). */
const isTargeted = (request: RestoreRequest) => request.target.type !== 'latest' && !request.standby;

/**
 * Starts or stops the server: a Patroni member with its own pg_ctl (Patroni is paused),
 * else the way the host runs it.
 */
function serverControl({ cluster, hostFacts, layout }: RestoreSource, verb: 'start' | 'stop'): Step {
  return cluster ? pgCtlStep(layout, verb) : serviceStep(hostFacts.os, layout, verb);
}

/**
 * The server stopped (after Patroni's pause and its replicas' stops, or after `archived`: the
 * WAL archived, or a follower's primary restored); returns what the restore waits for.
 */
function addServerStop(out: HostResources, source: RestoreSource, archived?: ResourceRef): ResourceRef | undefined {
  const { host, pg, cluster } = source;
  const { paused, replicasStopped } = cluster
    ? addPatroniPause(out, cluster, archived)
    : { paused: undefined, replicasStopped: [] };
  return pg?.running
    ? out.add(
        'pg_stop',
        undefined,
        `stop PostgreSQL on port ${host.pgPort}`,
        runChange('its data directory is about to be replaced', inPhase('stop', [serverControl(source, 'stop')])),
        [archived, paused, ...replicasStopped],
      )
    : (paused ?? archived);
}

/** pgBackRest's restore into the data directory, then the server's start; returns the start. */
export function addRestoreAndStart(
  out: HostResources,
  inventory: Inventory,
  source: RestoreSource,
  request: RestoreRequest,
  after: Array<ResourceRef | undefined>,
): ResourceRef {
  const { zone, host, backup, layout, repoKey, processes, fetch } = source;
  // A standby follows the newest timeline in the archive: a restored primary's, when it follows one.
  const targetOptions = request.standby
    ? ['--type=standby', '--target-timeline=latest']
    : restoreTargetOptions(request.target);
  const restoreOptions = [
    ...processes.options,
    `--repo=${repoKey}`,
    `--set=${shq(backup.label)}`,
    // A new server's archive_mode stays off until the declared state names its own stanza.
    ...(source.newServer ? ['--archive-mode=off'] : [request.delta ? '--delta' : '--force']),
    ...repoTimeOptions(request.repoTargetTime),
    ...targetOptions.map(shq),
    ...(isTargeted(request) ? [`--target-action=${request.targetAction}`] : []),
    // A standby's restore_command is the declared one (removed from postgresql.auto.conf below;
    // a new standby's stays there, bsync's own line, until postgresql.conf names it too).
    ...(request.standby ? standbyRestoreCommand(zone, source.newServer === true) : fetch.restoreOptions),
  ];
  const restored = out.add(
    'pg_restore',
    undefined,
    `restore ${layout.dataDirectory} from backup ${backup.label}`,
    runChange(
      source.newServer
        ? 'into the empty folder (pgBackRest refuses one with files), archive_mode off: nothing is pushed into the source stanza'
        : `the data directory's current content is replaced (${request.delta ? 'delta: only files that differ are rewritten' : 'full: every file is written anew'})`,
      // Under a lock on the data directory itself: a restore whose bsync was killed may still
      // run on the host, and the next one waits for it instead of writing beside it.
      inPhase('pgBackRest restore', [
        ...(request.standby ? [] : fetch.prepare),
        ...(source.newServer ? [emptyFolderStep(layout.dataDirectory)] : []),
        {
          user: PG_OS_USER,
          // At detail level pgBackRest says each file's share of the set: the restore's progress.
          command: `flock -w 86400 ${shq(layout.dataDirectory)} ${pgbackrest(zone, 'restore', ['--log-level-console=detail', ...restoreOptions])}`,
          progress: { reader: 'restore', goal: `of ${humanBytes(backup.size ?? null)}` },
        },
        // A standby keeps bsync's restore_command from postgresql.conf (the same stanza):
        // pgBackRest's line in postgresql.auto.conf would override it, which the next plan
        // would show as drift. A recovery tidies its settings once promoted instead. A new
        // standby (a standby site's first data) keeps it: its postgresql.conf names no
        // stanza yet, and the line is the declared one, which the next plan leaves.
        ...(request.standby && !source.newServer
          ? [
              {
                user: PG_OS_USER,
                command: `sed -i '/^restore_command = /d' ${shq(`${layout.dataDirectory}/postgresql.auto.conf`)}`,
              },
            ]
          : []),
      ]),
      [
        { name: 'backup set', after: `${backup.label} (${backup.type}, consistent at ${when(backup.stop)})` },
        {
          name: 'target',
          after: request.standby
            ? 'standby: replays the archive, then follows its primary'
            : targetText(request.target),
        },
        { name: 'WAL needed', after: `from ${backup.archiveStart} on` },
        ...(source.newServer ? [firstDataField(zone.stanza, request.standby === true)] : []),
        {
          name: 'repository',
          after: `repo${repoKey} (${inventory.repos.find((entry) => entry.key === repoKey)!.type})`,
        },
        ...(request.repoTargetTime ? [repoTimeField(request.repoTargetTime)] : []),
        processes.field,
        ...(request.standby ? [] : [fetch.field]),
      ],
    ),
    after,
  );
  return out.add(
    'pg_start',
    undefined,
    `start PostgreSQL on port ${host.pgPort}`,
    runChange(
      request.standby ? 'it replays WAL from the archive as a standby' : 'it replays WAL from the backup to the target',
      inPhase('start', [serverControl(source, 'start')]),
    ),
    [restored],
  );
}

/** The --recovery-option that writes the declared restore_command, when pgBackRest's own line would differ or must be bsync's. */
function standbyRestoreCommand(zone: StanzaCommands, newServer: boolean): string[] {
  const declared = archiveSettings(zone).restore_command;
  return newServer
    ? [`--recovery-option=${shq(`restore_command=${declared}`)}`]
    : restoreCommandOption(zone.pgbackrest, declared);
}

/** What a new server's restore starts: a zone of its own, or a standby site of the source. */
function firstDataField(stanza: string, standby: boolean): FieldChange {
  return {
    name: 'first data',
    after: standby
      ? `a standby of ${stanza}: once the server runs, apply keeps it one (no stanza, archiving or backups of its own)`
      : `from ${stanza}'s backup; once the server runs, apply plans its own stanza, archiving and first backup`,
  };
}

/**
 * A new server's data directory, as postgres: made when missing (pgBackRest restores only into
 * a folder that exists), refused when it holds anything (bsync never restores over data).
 */
function emptyFolderStep(dataDirectory: string): Step {
  const dir = shq(dataDirectory);
  return {
    user: PG_OS_USER,
    command: [
      `if [ ! -e ${dir} ]; then mkdir -p -m 0700 ${dir} || exit 1; fi`,
      `[ -d ${dir} ] && [ -z "$(ls -A ${dir})" ] || { echo ${shq(`${dataDirectory} is not an empty folder: bsync does not restore over it`)} >&2; exit 1; }`,
    ].join('\n'),
  };
}

/**
 * The recovery's end (promoted on a new timeline, or paused at the target), Patroni's
 * resume and its replicas' rebuilds, and after a promotion the check that archiving goes on
 * (returned: what following replicas wait for).
 */
export function addRecoveryEnd(
  out: HostResources,
  source: RestoreSource,
  request: RestoreRequest,
  started: ResourceRef,
): ResourceRef | undefined {
  const { zone, host, layout, cluster, repo } = source;
  const archiveTimeline = segmentTimeline(repo.archiveMax!);
  const promote = request.targetAction === 'promote' || !isTargeted(request);
  const ended = out.add(
    'recovery_end',
    undefined,
    promote ? 'recovery reaches the target and promotes' : 'recovery reaches the target and pauses',
    runChange(
      promote
        ? `waits until the server accepts writes on a timeline after ${archiveTimeline}, then removes pgBackRest's recovery settings from postgresql.auto.conf`
        : 'waits until replay pauses at the target (resume with SELECT pg_wal_replay_resume())',
      [
        ...recoveryWaitSteps(host, layout, { promote, archiveTimeline, target: targetText(request.target) }),
        ...(promote ? inPhase('promotion', source.fetch.cleanup) : []),
      ],
    ),
    [started],
  );
  const resumed = cluster ? addPatroniResume(out, cluster, ended) : undefined;
  // At a repository time the bucket as it is now may be what the event left: not checked here (the note says so).
  // Nor is a new zone's first data: the source's stanza is not the server's own.
  if (!promote || request.repoTargetTime || source.newServer) return undefined;
  return out.add(
    'archive_check',
    undefined,
    'WAL archiving into the stanza goes on',
    runChange(
      'pgbackrest check on the restored server',
      inPhase('archive check', [{ user: PG_OS_USER, command: pgbackrest(zone, 'check') }]),
    ),
    [resumed ?? ended],
  );
}

/** What the operator reads first: what is lost, how far the WAL is known to reach, the space. */
function restoreNotes(source: RestoreSource, archivesNow: boolean, recovering: boolean, readAt?: Instant): string[] {
  const { host, pg, layout, backup, repoKey, repo, spaceNote, cluster } = source;
  return [
    ...(readAt ? [repoTimeNote(readAt, repoKey)] : []),
    ...(cluster ? [patroniNote(cluster, host)] : []),
    ...layout.notes,
    ...(pg?.running
      ? [
          `The current data of ${host.name} in ${layout.dataDirectory} is replaced: everything written after the target is lost.`,
        ]
      : [
          `PostgreSQL does not run on ${host.name}: its data directory ${layout.dataDirectory} is restored and started.`,
        ]),
    ...(archivesNow || readAt
      ? []
      : recovering
        ? [
            `PostgreSQL on ${host.name} is in recovery: one with a target that promotes (an interrupted restore's) is waited for and its WAL archived; a standby's is not, so a target past the end of the archive fails when PostgreSQL replays it.`,
          ]
        : [
            'The server is down, so bsync cannot tell how far its WAL reached the repository: a target past the end of the archive fails when PostgreSQL replays it.',
          ]),
    `WAL: the backup needs it from ${backup.archiveStart} on; repo${repoKey}'s archive holds ${repo.archiveMin} .. ${repo.archiveMax}.`,
    `Space: ${spaceNote}.`,
  ];
}

/** Without --target (latest), the window the restore could reach instead, before the operator says yes. */
function windowNote({ window, repoKey }: RestoreSource, request: RestoreRequest, archivesNow: boolean): string[] {
  if (request.target.type !== 'latest') return [];
  const now = archivesNow ? '; the WAL written until the server stops is archived first, so it reaches that too' : '';
  return [
    `Recovery window of repo${repoKey} (UTC): ${windowText(window)}${now}. A --target time=... inside it restores to that point instead.`,
  ];
}

/** What bsync chose for the request, pinned in its saved plan (and --replicas, where the zone has plain replicas). */
function chosen({ zone, host, backup, repoKey }: RestoreSource, replicas?: RestoreRequest['replicas']) {
  return { zone: zone.zone, host: host.name, set: backup.label, repo: repoKey, ...(replicas ? { replicas } : {}) };
}

/**
 * On a running primary: a commit stamped now, then `pgbackrest check`, which switches and
 * archives the current WAL segment. Recovery to a time stops at the first commit after
 * it: without one in the repository, PostgreSQL ends recovery short of the target and
 * refuses to start. Restores and clones both begin with it.
 *
 * `recovering`: the server is in recovery. If it is replaying toward a target that promotes
 * (the recovery of a restore whose bsync was killed), it is waited for: once promoted, its
 * new timeline is the one the next recovery follows, and it too needs a commit after the
 * target. A standby, a recovery that pauses, or a server that stops meanwhile archive nothing.
 */
export function addArchiveNow(
  out: HostResources,
  host: HostSpec,
  zone: StanzaCommands,
  recovering = false,
): ResourceRef {
  const steps: Step[] = recovering
    ? [{ user: PG_OS_USER, command: promotionWait(host, zone) }]
    : [
        psqlStep(host.pgPort, 'SELECT pg_catalog.txid_current();\n'),
        { user: PG_OS_USER, command: pgbackrest(zone, 'check') },
      ];
  return out.add(
    'restore_wal',
    undefined,
    'archive the WAL written so far',
    runChange(
      recovering
        ? 'a recovery toward a target that promotes is waited for; then a commit stamped now, and pgbackrest check pushes the current WAL segment'
        : 'a commit stamped now, then pgbackrest check pushes the current WAL segment: the repository reaches past the target',
      inPhase('archive the WAL written so far', steps),
    ),
  );
}

const PROMOTING_TARGET = `SELECT current_setting('recovery_target_action') = 'promote' AND (${[
  'recovery_target',
  'recovery_target_time',
  'recovery_target_lsn',
  'recovery_target_xid',
  'recovery_target_name',
]
  .map((name) => `current_setting('${name}') <> ''`)
  .join(' OR ')})`;

/** The shell of addArchiveNow's wait: up to 10 minutes for the promotion, then the commit and check. */
function promotionWait(host: HostSpec, zone: StanzaCommands): string {
  const psql = psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1');
  return [
    `q() { ${psql} -c "$1"; }`,
    'n=0',
    'while :; do',
    `  r=$(q 'SELECT pg_is_in_recovery()' 2>/dev/null) || { echo 'the server stopped: no WAL to archive from it'; exit 0; }`,
    '  [ "$r" = t ] || break',
    `  [ "$(q ${shq(PROMOTING_TARGET)})" = t ] || { echo 'a standby, or a recovery that pauses: no WAL to archive from it'; exit 0; }`,
    '  n=$((n + 1)); [ "$n" -lt 600 ] || { echo "the recovery in progress did not promote within 600 s" >&2; exit 1; }',
    '  sleep 1',
    'done',
    "q 'SELECT pg_catalog.txid_current()' >/dev/null",
    pgbackrest(zone, 'check'),
  ].join('\n');
}

/** What only a standby rebuild refuses: a Patroni member, a primary, a recovery target. */
function checkStandbyRequest(inventory: Inventory, request: RestoreRequest, host: HostSpec, facts: FactsByHost): void {
  if (request.host === undefined)
    throw new BsyncError('--standby rebuilds one server as a standby: name it with --host', {
      where: inventory.configPath,
    });
  if (inventory.patroni) {
    throw new BsyncError(`--standby: ${host.name} is a member of a Patroni cluster, which builds its own replicas`, {
      hint: 'patronictl reinit builds it again, from the repository first when [patroni] create_replica_methods says so (docs/recovery.md).',
    });
  }
  const pg = facts.get(host.name)?.postgres;
  if (pg?.running && !pg.inRecovery) {
    throw new BsyncError(
      `--standby: ${host.name} runs as a primary; a standby rebuild would replace the zone's writable data`,
      {
        hint: 'Name the replica to rebuild with --host; a primary is restored with a recovery target instead (without --standby).',
      },
    );
  }
  if (request.repoTargetTime)
    throw new BsyncError(
      '--standby follows the primary, which archives into the repository as it is now: --repo-target-time does not apply',
      {
        hint: 'Restore the primary with --repo-target-time (in place, or a clone with --to); then rebuild its standbys.',
      },
    );
  if (request.target.type !== 'latest' || request.targetAction !== 'promote') {
    throw new BsyncError('--standby follows the primary to its newest WAL: --target and --target-action do not apply', {
      hint: 'Leave them out; a standby replays the archive, then streams from its primary.',
    });
  }
}

/**
 * A standby rebuilt from the repository: after the start, wait until it is consistent as a
 * standby (replay past the backup's end) and say whether it streams; nothing promotes, no
 * new timeline, and the zone's primary and archive are left alone.
 */
function standbyPlan(
  out: HostResources,
  source: RestoreSource,
  request: RestoreRequest,
  started: ResourceRef,
): RestorePlan {
  const { repoKey, spaceNote } = source;
  addStandbyReady(out, source, started);
  return {
    resources: out.resources,
    operation: restoreOperation(request, chosen(source), [
      standbyHostNote(source),
      `It replays repo${repoKey}'s archive, then streams from its primary when primary_conninfo in its configuration files says where (postgresql.auto.conf in the data directory is the backup's, so a primary_conninfo kept there is gone).`,
      `Space: ${spaceNote}.`,
    ]),
  };
}

/** What a standby rebuild does to its host's data. */
function standbyHostNote({ host, backup, pg, layout }: RestoreSource): string {
  return pg?.running
    ? `${host.name}'s data in ${layout.dataDirectory} is replaced by backup ${backup.label}; it starts again as a standby.`
    : `PostgreSQL does not run on ${host.name}: ${layout.dataDirectory} is restored from backup ${backup.label} and started as a standby.`;
}

/** The wait until a started standby is consistent (replay past the backup's end, in recovery), then whether it streams. */
export function addStandbyReady(out: HostResources, source: RestoreSource, started: ResourceRef): ResourceRef {
  const { host, backup, layout } = source;
  const psql = psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1');
  // An LSN as pgBackRest reports it (hex/hex), as an SQL literal.
  const lsnStop = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(backup.lsnStop ?? '') ? backup.lsnStop : '0/0';
  const ready = `SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '${lsnStop}'::pg_lsn`;
  return out.add(
    'standby_ready',
    undefined,
    'the standby becomes consistent',
    runChange(
      `waits until it has replayed past the end of backup ${backup.label} (${backup.lsnStop ?? 'its stop LSN'}), in recovery`,
      [
        {
          user: PG_OS_USER,
          phase: 'WAL replay',
          progress: { reader: 'replay', goal: `consistent at ${backup.lsnStop ?? 'the backup end'}` },
          command: [
            ...waitUntil(psql, ready, layout, true),
            `${psql} -c "SELECT 'standby: ' || coalesce((SELECT status || ' from ' || sender_host FROM pg_stat_wal_receiver), 'replaying the archive, not streaming (no primary_conninfo, or the primary does not answer)')"`,
          ].join('\n'),
        },
      ],
    ),
    [started],
  );
}
