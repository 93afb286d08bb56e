// A restore as a plan: which backup set and WAL reach the target, what stops and starts,
// and every refusal made before anything stops. A pure function of (inventory, facts,
// request); lib/cli/restore.ts gathers the facts and lib/apply runs the steps.
//
// In place, standalone: (primary running) commit a marker and archive the WAL written so
// far, stop the server, pgBackRest restore (delta by default) with the target, start,
// wait for recovery to end on a new timeline, tidy pgBackRest's recovery settings, and
// `pgbackrest check` that archiving goes on. docs/recovery.md tells the story.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError, HostError } from '../errors.js';
import { pgDataOf, serverLayout } from '../desired/layout.js';
import { HostResources } from '../desired/builder.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { PG_OS_USER } from '../facts/probe.js';
import type { NeedsPart } from '../facts/needs.js';
import type { BackupInfo, HostFacts, RepoFacts } from '../facts/types.js';
import type { SpaceFacts } from '../facts/space.js';
import { psqlCommand } from '../psql.js';
import { debianClusterOf, pgCtlLog, pgCtlStep, serviceStep, type ServerLayout } from '../resources/pg-service.js';
import { psqlStep } from '../resources/pg-settings.js';
import type { Change, Resource, ResourceRef, Step } from '../resources/types.js';
import type { PlanOperation } from '../plan/types.js';
import { shq } from '../formats/shell.js';
import { neededBytes } from '../verify/targets.js';
import { interruptedRestore, markStep, restoreMarkNeeds, unmarkStep } from './interrupted.js';
import {
  lsnValue,
  parseTarget,
  restoreTargetOptions,
  segmentTimeline,
  targetText,
  type RecoveryTarget,
} from './target.js';

export type TargetAction = 'promote' | 'pause';

/** What the operator asked for, as the command line gives it. */
export interface RestoreRequest {
  zone?: number;
  host?: string;
  target: RecoveryTarget;
  set?: string;
  repo?: number;
  delta: boolean;
  targetAction: TargetAction;
  allowOverwrite: boolean;
  /** Rebuild the host as a standby of its zone's primary from the repository (--type=standby), not a recovery. */
  standby?: boolean;
}

export interface RestorePlan {
  resources: Resource[];
  operation: PlanOperation;
}

/** The request a saved restore plan was made from, with its set pinned (the schema checked the value types). */
export function restoreRequestOf(operation: PlanOperation): RestoreRequest {
  const { request } = operation;
  return {
    zone: Number(request.zone),
    host: request.host === undefined ? undefined : String(request.host),
    target: parseTarget(String(request.target)),
    set: String(request.set),
    repo: Number(request.repo),
    delta: request.delta === true,
    targetAction: request.targetAction === 'pause' ? 'pause' : 'promote',
    allowOverwrite: request.allowOverwrite === true,
    standby: request.standby === true,
  };
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
  const leader = inventory.patroni
    ? zone.postgresHosts.find((host) =>
        facts
          ?.get(host.name)
          ?.patroni?.members.some(
            (entry) => /leader/i.test(entry.role) && (entry.name === host.name || entry.host === host.address),
          ),
      )
    : undefined;
  if (leader) return { zone, host: leader };
  const interrupted =
    inventory.patroni && facts ? interruptedRestore(patroniScope(zone, facts), zone.postgresHosts, facts) : undefined;
  if (interrupted) return { zone, host: interrupted };
  const primary = zone.postgresHosts.find(
    (host) => facts?.get(host.name)?.postgres?.running && !facts.get(host.name)?.postgres?.inRecovery,
  );
  if (primary) return { zone, host: primary };
  if (zone.postgresHosts.length === 1) return { zone, host: zone.postgresHosts[0] };
  throw new BsyncError(
    `zone ${zone.zone} has several PostgreSQL hosts and none runs as primary: say which to restore`,
    {
      where: inventory.configPath,
      hint: `Add --host NAME (${zone.postgresHosts.map((host) => host.name).join(', ')}).`,
    },
  );
}

/** The binary folders where PostgreSQL's packages put pg_ctl: Debian's, then PGDG's. */
function packagedBinDirs(major: string): string[] {
  return [`/usr/lib/postgresql/${major}/bin`, `/usr/pgsql-${major}/bin`];
}

/** A Debian data directory's cluster (/var/lib/postgresql/<v>/<cluster>): its config file's path. */
function debianConfigFor(pgData: string | undefined): string | undefined {
  const match = /^\/var\/lib\/postgresql\/([^/]+)\/([^/]+)\/?$/.exec(pgData ?? '');
  return match ? `/etc/postgresql/${match[1]}/${match[2]}/postgresql.conf` : undefined;
}

/**
 * What a restore reads of its host beyond the plan's facts: whether a stopped server is a
 * Debian cluster, and where its pg_ctl is (a running server tells both itself).
 */
export function restoreNeeds(inventory: Inventory, host: HostSpec): NeedsPart[] {
  if (host.role !== 'postgres') return [];
  const major = inventory.cluster.pgVersion?.toString();
  const debianConfig = debianConfigFor(host.pgData);
  const paths = [
    ...(debianConfig ? [debianConfig] : []),
    ...(major ? packagedBinDirs(major).map((dir) => `${dir}/pg_ctl`) : []),
  ];
  return [
    { files: paths.map((path) => ({ path, readContent: false })) },
    ...(inventory.patroni ? [restoreMarkNeeds] : []),
  ];
}

/** The server's layout: what it says when it runs, else the config and the files found. */
function layoutOf(host: HostSpec, facts: HostFacts, major: string): ServerLayout {
  const pg = facts.postgres;
  if (pg?.running) return serverLayout(pg);
  const dataDirectory = pgDataOf(host, facts);
  const debianConfig = debianConfigFor(dataDirectory);
  const binDir = packagedBinDirs(major).find((dir) => facts.files[`${dir}/pg_ctl`]?.exists);
  return {
    major: Number(major),
    dataDirectory,
    ...(debianConfig && facts.files[debianConfig]?.exists ? { configFile: debianConfig } : {}),
    ...(binDir ? { binDir } : {}),
  };
}

/** Where the server's own log is, for the message when it does not come up. */
function serverLogOf(layout: ServerLayout): string {
  const cluster = debianClusterOf(layout.configFile);
  return cluster ? `/var/log/postgresql/postgresql-${cluster[0]}-${cluster[1]}.log` : pgCtlLog(layout);
}

const GiB = 1024 ** 3;
export const size = (bytes: number) =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`;
export const when = (seconds: number | undefined) =>
  seconds === undefined ? 'an unknown time' : new Date(seconds * 1000).toISOString();

/** The repository the restore reads, as the repository's owner reports it; refused when it cannot serve. */
export function readableRepo(inventory: Inventory, zone: Zone, facts: FactsByHost, key: number): RepoFacts {
  if (!inventory.repos.some((repo) => repo.key === key)) {
    throw new BsyncError(`--repo ${key}: the stanza has no repo${key}`, {
      hint: `Repositories: ${inventory.repos.map((repo) => `repo${repo.key} (${repo.type})`).join(', ')}`,
    });
  }
  const repo = facts.get(zone.repoOwner.name)?.repos?.find((entry) => entry.key === key);
  if (!repo || repo.statusCode === null || repo.unreadable) {
    throw new BsyncError(
      `repo${key} of ${zone.stanza} cannot be read from ${zone.repoOwner.name}: ${repo?.statusMessage || 'no answer'}`,
      {
        hint: 'A wrong or missing cipher passphrase, an unreachable repository or a missing stanza looks like this; nothing was stopped. Check with bsync status.',
      },
    );
  }
  return repo;
}

/** The backup set that reaches the target, or why none does. */
export function chooseBackup(repo: RepoFacts, request: RestoreRequest, stanza: string): BackupInfo {
  const valid = repo.backups.filter((backup) => !backup.error);
  if (request.set !== undefined) {
    const asked = valid.find((backup) => backup.label === request.set);
    if (!asked) {
      throw new BsyncError(`--set ${request.set}: repo${repo.key} holds no valid backup set of that label`, {
        hint: `Valid sets: ${valid.map((backup) => backup.label).join(', ') || 'none'}`,
      });
    }
    return asked;
  }
  if (valid.length === 0) throw new BsyncError(`repo${repo.key} holds no valid backup of ${stanza} yet`);
  const { target } = request;
  if (target.type === 'time') {
    const before = valid.filter((backup) => backup.stop !== undefined && backup.stop * 1000 <= target.ms);
    if (before.length === 0) {
      throw new BsyncError(
        `--target ${targetText(target)} is before the recovery window: the oldest backup of repo${repo.key} became consistent at ${when(valid[0].stop)}`,
        {
          hint: 'A point before the oldest backup cannot be recovered; choose a later time. bsync status lists the backups.',
        },
      );
    }
    return before.at(-1)!;
  }
  if (target.type === 'lsn') {
    const before = valid.filter(
      (backup) => backup.lsnStop !== undefined && lsnValue(backup.lsnStop) <= lsnValue(target.lsn),
    );
    if (before.length === 0) {
      throw new BsyncError(
        `--target ${targetText(target)} is before the recovery window: the oldest backup of repo${repo.key} became consistent at LSN ${valid[0].lsnStop ?? 'unknown'}`,
      );
    }
    return before.at(-1)!;
  }
  // A transaction or a restore point can only be found by replaying WAL: the oldest set has the widest window.
  if (target.type === 'xid' || target.type === 'name') return valid[0];
  return valid.at(-1)!;
}

/** The upper end of the window: nothing past the clock, or what the primary has written. */
export function checkWindowEnd(
  request: Pick<RestoreRequest, 'target'>,
  now: number,
  primary?: { host: HostSpec; facts: HostFacts },
): void {
  const { target } = request;
  const pg = primary?.facts.postgres;
  if (target.type === 'time' && target.ms > now) {
    throw new BsyncError(`--target ${targetText(target)} is in the future (it is ${new Date(now).toISOString()})`, {
      hint: 'A recovery can only stop at a point that has been written.',
    });
  }
  if (target.type === 'lsn' && pg?.running && pg.currentLsn && lsnValue(target.lsn) > lsnValue(pg.currentLsn)) {
    throw new BsyncError(
      `--target ${targetText(target)} is past the end of the recovery window: ${primary!.host.name} has written WAL up to ${pg.currentLsn}`,
    );
  }
}

/** The WAL from the backup to the archive's end must all be in the repository. */
export function checkWal(repo: RepoFacts, backup: BackupInfo): void {
  if (!backup.archiveStart || !repo.archiveMin || !repo.archiveMax) {
    throw new BsyncError(`repo${repo.key} holds no WAL archive for backup ${backup.label}`, {
      hint: 'Without the WAL from the backup on, no recovery is possible; check archiving with bsync status.',
    });
  }
  if (repo.archiveMin > backup.archiveStart) {
    throw new BsyncError(
      `backup ${backup.label} needs WAL from ${backup.archiveStart}, but repo${repo.key}'s archive starts at ${repo.archiveMin}`,
      { hint: 'That WAL has expired; choose a newer set (--set) or a later target.' },
    );
  }
}

export function checkSpace(host: HostSpec, dataDirectory: string, backup: BackupInfo, space: SpaceFacts): string {
  const needed = neededBytes(backup.size ?? 0);
  const usable = space.availableBytes + space.usedBytes;
  if (needed > usable) {
    throw new BsyncError(
      `restoring backup ${backup.label} into ${dataDirectory} on ${host.name} needs about ${size(needed)}; ${size(usable)} can be had there (${size(space.availableBytes)} free, ${size(space.usedBytes)} held by the data directory now)`,
      { hint: 'Free space on that file system first; nothing was stopped.' },
    );
  }
  return `needs about ${size(needed)} in ${dataDirectory}; ${size(usable)} can be had there (${size(space.availableBytes)} free + ${size(space.usedBytes)} of current data)`;
}

/** The kinds a restore relies on being as bsync.toml says: pgBackRest's config and the repository's reach. */
const RESTORE_RELIES_ON = new Set([
  'pgbackrest_conf',
  'legacy_pgbackrest_conf',
  'repo_ca',
  'cipher_pass',
  'ssh_keypair',
  'authorized_keys',
  'known_hosts',
]);

/** A restore through a config that differs from bsync.toml would read another repository, or none. */
function checkConverged(setup: Resource[] | undefined, hosts: string[]): void {
  const pending = (setup ?? []).filter(
    (resource) => resource.change !== null && hosts.includes(resource.host) && RESTORE_RELIES_ON.has(resource.kind),
  );
  if (pending.length > 0) {
    throw new BsyncError(
      `the zone is not as bsync.toml says, so a restore cannot trust its pgBackRest setup: ${pending.map((resource) => resource.address).join(', ')}`,
      {
        hint: 'Run bsync plan to see the changes and bsync apply to make them, then plan the restore again; nothing was stopped.',
      },
    );
  }
}

interface RestoreInputs {
  inventory: Inventory;
  facts: FactsByHost;
  request: RestoreRequest;
  /** The setup plan's resources of the zone, when they could be planned (not with the server down). */
  setup?: Resource[];
  space: SpaceFacts;
  now: number;
}

export function planRestore({ inventory, facts, request, setup, space, now }: RestoreInputs): RestorePlan {
  const { zone, host } = restorePlace(inventory, request, facts);
  if (request.standby) checkStandbyRequest(inventory, request, host, facts);
  const cluster = inventory.patroni ? patroniCluster(inventory, zone, host, facts) : undefined;
  const hostFacts = facts.get(host.name)!;
  const pg = hostFacts.postgres;
  const repoKey = request.repo ?? inventory.repos[0].key;
  const repo = readableRepo(inventory, zone, facts, repoKey);
  checkConverged(setup, [host.name, zone.repoOwner.name]);
  checkWindowEnd(request, now, { host, facts: hostFacts });
  const backup = chooseBackup(repo, request, zone.stanza);
  checkWal(repo, backup);
  const major =
    backup.pgVersion
    ?? inventory.cluster.pgVersion?.toString()
    ?? (pg?.running ? String(Math.floor(pg.versionNum / 10000)) : undefined);
  if (major === undefined) throw new BsyncError(`the PostgreSQL version of backup ${backup.label} is unknown`);
  const layout = layoutOf(host, hostFacts, major);
  if (pg?.running && String(layout.major) !== major) {
    throw new BsyncError(
      `backup ${backup.label} is of PostgreSQL ${major}, but ${host.name} runs PostgreSQL ${layout.major}`,
      { hint: 'A backup restores only into the major version it was taken from.' },
    );
  }
  if (pg?.running && !request.allowOverwrite) {
    throw new BsyncError(
      `${host.name} runs PostgreSQL on port ${host.pgPort}${pg.inRecovery ? ' (in recovery)' : ' as a primary'}: a restore stops it and replaces its data in ${layout.dataDirectory}`,
      {
        hint: 'Everything written after the target is lost. If that is what you want, plan again with --allow-overwrite.',
      },
    );
  }
  const spaceNote = checkSpace(host, layout.dataDirectory, backup, space);
  const archiveTimeline = segmentTimeline(repo.archiveMax!);

  const out = new HostResources(host.name);
  const pgbackrest = (command: string, options: string[] = []) =>
    ['pgbackrest', `--stanza=${shq(zone.stanza)}`, ...options, command].join(' ');
  const run = (reason: string, steps: Step[], fields: Change['fields'] = []): Change => ({
    action: 'run',
    reason,
    fields,
    steps,
  });
  const archivesNow = Boolean(pg?.running && !pg.inRecovery) && !request.standby;
  const archived = archivesNow ? addArchiveNow(out, host, zone.stanza) : undefined;
  // Patroni: paused first, so it neither restarts a stopped member nor fails over; its
  // members are then started and stopped with their own pg_ctl.
  const control = (verb: 'start' | 'stop') =>
    cluster ? pgCtlStep(layout, verb) : serviceStep(hostFacts.os, layout, verb);
  const paused = cluster
    ? out.add(
        'patroni_pause',
        cluster.scope,
        `pause Patroni's cluster ${cluster.scope}`,
        run('no failover and no restart while the leader is restored', [markStep(cluster.scope), cluster.pause]),
        [archived],
      )
    : undefined;
  const replicasStopped = (cluster?.replicas ?? []).flatMap((replica) =>
    replica.stop
      ? [
          replica.out.add(
            'pg_stop',
            undefined,
            `stop PostgreSQL on port ${replica.host.pgPort}`,
            run('a replica of the old timeline; rebuilt from the restored leader after', [replica.stop]),
            [paused],
          ),
        ]
      : [],
  );
  const stopped = pg?.running
    ? out.add(
        'pg_stop',
        undefined,
        `stop PostgreSQL on port ${host.pgPort}`,
        run('its data directory is about to be replaced', [control('stop')]),
        [archived, paused, ...replicasStopped],
      )
    : paused;
  const targetOptions = request.standby ? ['--type=standby'] : restoreTargetOptions(request.target);
  const targeted = request.target.type !== 'latest' && !request.standby;
  const restoreOptions = [
    `--repo=${repoKey}`,
    `--set=${shq(backup.label)}`,
    request.delta ? '--delta' : '--force',
    ...targetOptions.map(shq),
    ...(targeted ? [`--target-action=${request.targetAction}`] : []),
  ];
  const restored = out.add(
    'pg_restore',
    undefined,
    `restore ${layout.dataDirectory} from backup ${backup.label}`,
    run(
      `the data directory's current content is replaced (${request.delta ? 'delta: only files that differ are rewritten' : 'full: every file is written anew'})`,
      // Under a lock on the data directory itself: a restore whose bsync was killed may still
      // run on the host, and the next one waits for it instead of writing beside it.
      [
        {
          user: PG_OS_USER,
          command: `flock -w 86400 ${shq(layout.dataDirectory)} ${pgbackrest('restore', restoreOptions)}`,
        },
        // A standby keeps bsync's restore_command from postgresql.conf (the same stanza):
        // pgBackRest's line in postgresql.auto.conf would override it, which the next plan
        // would show as drift. A recovery tidies its settings once promoted instead.
        ...(request.standby
          ? [
              {
                user: PG_OS_USER,
                command: `sed -i '/^restore_command = /d' ${shq(`${layout.dataDirectory}/postgresql.auto.conf`)}`,
              },
            ]
          : []),
      ],
      [
        { name: 'backup set', after: `${backup.label} (${backup.type}, consistent at ${when(backup.stop)})` },
        {
          name: 'target',
          after: request.standby
            ? 'standby: replays the archive, then follows its primary'
            : targetText(request.target),
        },
        { name: 'WAL needed', after: `from ${backup.archiveStart} on` },
        {
          name: 'repository',
          after: `repo${repoKey} (${inventory.repos.find((entry) => entry.key === repoKey)!.type})`,
        },
      ],
    ),
    [stopped],
  );
  const started = out.add(
    'pg_start',
    undefined,
    `start PostgreSQL on port ${host.pgPort}`,
    run(
      request.standby ? 'it replays WAL from the archive as a standby' : 'it replays WAL from the backup to the target',
      [control('start')],
    ),
    [restored],
  );
  if (request.standby)
    return standbyPlan({ out, host, zone, backup, repoKey, request, pg, layout, spaceNote, started });
  const promote = request.targetAction === 'promote' || !targeted;
  const ended = out.add(
    'recovery_end',
    undefined,
    promote ? 'recovery reaches the target and promotes' : 'recovery reaches the target and pauses',
    run(
      promote
        ? `waits until the server accepts writes on a timeline after ${archiveTimeline}, then removes pgBackRest's recovery settings from postgresql.auto.conf`
        : 'waits until replay pauses at the target (resume with SELECT pg_wal_replay_resume())',
      [recoveryWaitStep(host, layout, promote, archiveTimeline)],
    ),
    [started],
  );
  // Patroni resumes with the restored leader; each replica is built again from it (its
  // create_replica_methods: the repository first where declared).
  const resumed = cluster
    ? out.add(
        'patroni_resume',
        cluster.scope,
        `resume Patroni's cluster ${cluster.scope}`,
        run('the restored server leads again', [cluster.resume, unmarkStep]),
        [ended],
      )
    : undefined;
  for (const replica of cluster?.replicas ?? []) {
    replica.out.add(
      'patroni_reinit',
      replica.host.name,
      `rebuild ${replica.host.name} as a replica of the restored leader`,
      run('its data is of the old timeline: patronictl reinit', [replica.reinit]),
      [resumed],
    );
  }
  if (promote) {
    out.add(
      'archive_check',
      undefined,
      'WAL archiving into the stanza goes on',
      run('pgbackrest check on the restored server', [{ user: PG_OS_USER, command: pgbackrest('check') }]),
      [resumed ?? ended],
    );
  }

  const notes = [
    ...(pg?.running
      ? [
          `The current data of ${host.name} in ${layout.dataDirectory} is replaced: everything written after the target is lost.`,
        ]
      : [
          `PostgreSQL does not run on ${host.name}: its data directory ${layout.dataDirectory} is restored and started.`,
        ]),
    ...(archivesNow
      ? []
      : [
          'The server is down, so bsync cannot tell how far its WAL reached the repository: a target past the end of the archive fails when PostgreSQL replays it.',
        ]),
    `WAL: the backup needs it from ${backup.archiveStart} on; repo${repoKey}'s archive holds ${repo.archiveMin} .. ${repo.archiveMax}.`,
    `Space: ${spaceNote}.`,
  ];
  if (cluster)
    notes.unshift(
      `Patroni's cluster ${cluster.scope} is paused while its leader ${host.name} is restored; ${cluster.replicas.map((replica) => replica.host.name).join(', ') || 'no replica'} ${cluster.replicas.length === 1 ? 'is' : 'are'} rebuilt from it after.`,
    );
  return {
    resources: [...out.resources, ...(cluster?.replicas ?? []).flatMap((replica) => replica.out.resources)],
    operation: { command: 'restore', request: requestRecord(zone, host, request, backup, repoKey), notes },
  };
}

/** What a saved restore plan records of its request, the backup set pinned (restoreRequestOf reads it back). */
function requestRecord(
  zone: Zone,
  host: HostSpec,
  request: RestoreRequest,
  backup: BackupInfo,
  repoKey: number,
): PlanOperation['request'] {
  return {
    zone: zone.zone,
    host: host.name,
    target: targetText(request.target),
    set: backup.label,
    repo: repoKey,
    delta: request.delta,
    targetAction: request.targetAction,
    allowOverwrite: request.allowOverwrite,
    ...(request.standby ? { standby: true } : {}),
  };
}

/** A patronictl command that also succeeds when it says the cluster is already as asked. */
function alreadySo(command: string, already: string): Step {
  return {
    command: `out=$(${command} 2>&1) || { echo "$out" | grep -qi ${shq(already)} || { echo "$out" >&2; exit 1; }; }`,
  };
}

interface PatroniRestore {
  scope: string;
  pause: Step;
  resume: Step;
  replicas: Array<{ host: HostSpec; out: HostResources; stop?: Step; reinit: Step }>;
}

/**
 * A Patroni zone's restore runs on its leader, as Patroni names it (a leader whose server
 * a killed restore left stopped is still the leader while the cluster is paused).
 */
function patroniCluster(inventory: Inventory, zone: Zone, host: HostSpec, facts: FactsByHost): PatroniRestore {
  const config = inventory.patroni!.config;
  const patroni = facts.get(host.name)?.patroni;
  if (!patroni?.scope || patroni.members.length === 0) {
    throw new HostError(host.name, `Patroni does not answer: ${patroni?.errors.join('; ') || 'no facts'}`, {
      hint: 'A restore of a Patroni cluster pauses it through patronictl: Patroni and its DCS must run; nothing was stopped.',
    });
  }
  const isLeader = (member: HostSpec) =>
    patroni.members.some(
      (entry) => /leader/i.test(entry.role) && (entry.name === member.name || entry.host === member.address),
    );
  const leader = zone.postgresHosts.find(isLeader);
  const interrupted = leader ? undefined : interruptedRestore(patroni.scope, zone.postgresHosts, facts);
  if (!isLeader(host) && host !== interrupted) {
    throw new BsyncError(`${host.name} is not the leader of Patroni's cluster ${patroni.scope}: restore the leader`, {
      hint: leader
        ? `Plan again with --host ${leader.name} (or without --host).`
        : interrupted
          ? `An interrupted restore was restoring ${interrupted.name}: plan again with --host ${interrupted.name} (or without --host).`
          : 'Patroni names no leader now.',
    });
  }
  const patronictl = (args: string) => `patronictl -c ${shq(config)} ${args}`;
  const scope = shq(patroni.scope);
  return {
    scope: patroni.scope,
    // Run again after an interruption, a paused cluster is what pause and resume want anyway.
    pause: alreadySo(patronictl(`pause ${scope} --wait`), 'already paused'),
    resume: alreadySo(patronictl(`resume ${scope} --wait`), 'not paused'),
    replicas: zone.postgresHosts
      .filter((member) => member.name !== host.name)
      .map((member) => {
        const pg = facts.get(member.name)?.postgres;
        return {
          host: member,
          out: new HostResources(member.name),
          ...(pg?.running ? { stop: pgCtlStep(serverLayout(pg), 'stop') } : {}),
          reinit: { command: patronictl(`reinit ${scope} ${shq(member.name)} --force --wait`) },
        };
      }),
  };
}

/**
 * On a running primary: a commit stamped now, then `pgbackrest check`, which switches and
 * archives the current WAL segment. Recovery to a time stops at the first commit after
 * it: without one in the repository, PostgreSQL ends recovery short of the target and
 * refuses to start. Restores and clones both begin with it.
 */
export function addArchiveNow(out: HostResources, host: HostSpec, stanza: string): ResourceRef {
  return out.add('restore_wal', undefined, 'archive the WAL written so far', {
    action: 'run',
    reason:
      'a commit stamped now, then pgbackrest check pushes the current WAL segment: the repository reaches past the target',
    fields: [],
    steps: [
      psqlStep(host.pgPort, 'SELECT pg_catalog.txid_current();\n'),
      { user: PG_OS_USER, command: `pgbackrest --stanza=${shq(stanza)} check` },
    ],
  });
}

/** Shell lines that wait until `query` answers t, failing at once with the log's tail when the postmaster is gone. */
function waitUntil(psql: string, query: string, layout: ServerLayout): string[] {
  const pidFile = shq(`${layout.dataDirectory}/postmaster.pid`);
  return [
    'n=0',
    `until [ "$(${psql} -c ${shq(`${query};`)} 2>/dev/null)" = t ]; do`,
    `  pid=$(head -n 1 ${pidFile} 2>/dev/null)`,
    `  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then echo "PostgreSQL stopped during recovery; the end of ${serverLogOf(layout)}:" >&2; tail -n 15 ${shq(serverLogOf(layout))} >&2; exit 1; fi`,
    '  n=$((n + 1)); [ "$n" -lt 86400 ] || exit 1',
    '  sleep 1',
    'done',
  ];
}

/**
 * Waits (as postgres, over the local socket) until the server answers and recovery has
 * ended (or paused); fails at once with the log's tail when the postmaster is gone. After a
 * promotion the server must be on a timeline newer than the archive's, and pgBackRest's
 * recovery settings leave postgresql.auto.conf so the next plan finds nothing to change.
 */
function recoveryWaitStep(host: HostSpec, layout: ServerLayout, promote: boolean, archiveTimeline: number): Step {
  const psql = `${psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1')}`;
  const done = promote
    ? `SELECT NOT pg_is_in_recovery()`
    : `SELECT pg_is_in_recovery() AND pg_get_wal_replay_pause_state() = 'paused'`;
  const tidy = [
    'restore_command',
    'recovery_target',
    'recovery_target_time',
    'recovery_target_lsn',
    'recovery_target_xid',
    'recovery_target_name',
    'recovery_target_action',
    'recovery_target_timeline',
    'recovery_target_inclusive',
  ]
    // One statement per -c: ALTER SYSTEM cannot run inside the transaction a multi-statement string makes.
    .map((name) => `-c ${shq(`ALTER SYSTEM RESET ${name}`)}`)
    .join(' ');
  const lines = waitUntil(psql, done, layout);
  if (promote) {
    lines.push(
      `tli=$(${psql} -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')`,
      `[ $((0x$tli)) -gt ${archiveTimeline} ] || { echo "the restored server is on timeline $((0x$tli)), not after the archive's ${archiveTimeline}" >&2; exit 1; }`,
      `echo "timeline $((0x$tli))"`,
      `${psql} -q ${tidy} -c 'SELECT pg_reload_conf()' >/dev/null`,
    );
  }
  return { user: PG_OS_USER, command: lines.join('\n') };
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
function standbyPlan(parts: {
  out: HostResources;
  host: HostSpec;
  zone: Zone;
  backup: BackupInfo;
  repoKey: number;
  request: RestoreRequest;
  pg: HostFacts['postgres'];
  layout: ServerLayout;
  spaceNote: string;
  started: ResourceRef;
}): RestorePlan {
  const { out, host, zone, backup, repoKey, request, pg, layout, spaceNote, started } = parts;
  const psql = psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1');
  // An LSN as pgBackRest reports it (hex/hex), as an SQL literal.
  const lsnStop = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(backup.lsnStop ?? '') ? backup.lsnStop : '0/0';
  const ready = `SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '${lsnStop}'::pg_lsn`;
  out.add(
    'standby_ready',
    undefined,
    'the standby becomes consistent',
    {
      action: 'run',
      reason: `waits until it has replayed past the end of backup ${backup.label} (${backup.lsnStop ?? 'its stop LSN'}), in recovery`,
      fields: [],
      steps: [
        {
          user: PG_OS_USER,
          command: [
            ...waitUntil(psql, ready, layout),
            `${psql} -c "SELECT 'standby: ' || coalesce((SELECT status || ' from ' || sender_host FROM pg_stat_wal_receiver), 'replaying the archive, not streaming (no primary_conninfo, or the primary does not answer)')"`,
          ].join('\n'),
        },
      ],
    },
    [started],
  );
  return {
    resources: out.resources,
    operation: {
      command: 'restore',
      request: requestRecord(zone, host, request, backup, repoKey),
      notes: [
        pg?.running
          ? `${host.name}'s data in ${layout.dataDirectory} is replaced by backup ${backup.label}; it starts again as a standby.`
          : `PostgreSQL does not run on ${host.name}: ${layout.dataDirectory} is restored from backup ${backup.label} and started as a standby.`,
        `It replays repo${repoKey}'s archive, then streams from its primary when primary_conninfo in its configuration files says where (postgresql.auto.conf in the data directory is the backup's, so a primary_conninfo kept there is gone).`,
        `Space: ${spaceNote}.`,
      ],
    },
  };
}
