// [[zone]]: settings of one zone, whose hosts are the [[host]] tables with that zone number.
// from_backup says where a new zone's first data comes from (docs/recovery.md, "A cluster
// from a backup"); standby_of makes the zone a standby site of another zone's stanza ("A
// standby site"). Both read another zone's repository from the zone's one server, so they
// share their checks: the zones exist and differ, their stanzas differ, the repository is
// one the new zone's host reads with the passphrase it is given (an object store; a posix
// folder every host mounts; an ssh repository on the source's backup host, reached over SSH
// with the trust bsync adds, lib/desired/source-repo.ts); from_backup's target is one.
import { BsyncError } from '../errors.js';
import { parseTarget } from '../recovery-target.js';
import type { FromBackup, StandbyOf } from './inventory.js';
import type { ConfigProblems, Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';

type RawZone = NonNullable<RawConfig['zone']>[number];
type RawFrom = NonNullable<RawZone['from_backup']>;
/** What both keys name: the source zone and the repository read. */
type RawSource = Pick<RawFrom, 'zone' | 'repo'>;

/** What the checks read of the rest of the config. */
interface ZoneContext {
  raw: RawConfig;
  rawRepos: RawRepo[];
  problems: ConfigProblems;
}

const zoneOf = (host: RawConfig['host'][number]) => host.zone ?? 1;
const stanzaOf = (raw: RawConfig, zone: number) => raw.cluster.stanza ?? `pgedge-${raw.cluster.name}-${zone}`;

/** Every [[zone]]'s problems; the hosts, repositories and [cluster] must be sound for them to be read. */
export function checkZones(context: ZoneContext, sound: Sound): void {
  const zones = context.raw.zone ?? [];
  if (!sound('zone', 'host', 'cluster', 'repo', 'patroni')) return;
  zones.forEach((zone, index) => {
    const path = `zone[${index + 1}]`;
    if (!context.raw.host.some((host) => zoneOf(host) === zone.id))
      context.problems.add(
        `${path}.id`,
        `no [[host]] is in zone ${zone.id}`,
        'Give the zone its hosts (zone = N on each [[host]]), or remove this [[zone]].',
      );
    else if (zones.findIndex((other) => other.id === zone.id) < index)
      context.problems.add(`${path}.id`, `zone ${zone.id} has a [[zone]] table already`, 'Keep one [[zone]] per zone.');
    else if (zone.from_backup && zone.standby_of)
      context.problems.add(
        path,
        `zone ${zone.id} has both from_backup and standby_of`,
        'A standby site replays its source for good (standby_of); a cluster from a backup lives on its own from the start (from_backup): keep one.',
      );
    else if (zone.from_backup) checkFromBackup(context, zone.id, zone.from_backup, `${path}.from_backup`);
    else if (zone.standby_of) checkSourceZone(context, zone.id, zone.standby_of, `${path}.standby_of`, STANDBY_WORDS);
  });
}

/** How a key's refusals name what it does. */
interface KeyWords {
  /** The zone itself as its source. */
  own: string;
  /** One stanza for both. */
  shared: string;
  /** Under [patroni], when the key is not supported there. */
  patroni?: string;
  /** Several PostgreSQL hosts in the zone. */
  hosts: string;
  /** docs/recovery.md's section. */
  section: string;
}

const FROM_WORDS: KeyWords = {
  own: 'cannot start from its own backup',
  shared: 'the new zone would archive into the stanza it starts from',
  hosts: 'a zone from a backup starts as one server',
  section: 'A cluster from a backup',
};

const STANDBY_WORDS: KeyWords = {
  own: 'cannot be a standby of itself',
  shared: 'the standby site would be a host of the stanza it replays, and archive into it once promoted',
  patroni:
    'a Patroni standby cluster is not supported yet: Patroni reads bootstrap.dcs.standby_cluster only when it starts, and bsync bootstraps a zone through a running Patroni',
  hosts: 'a standby site is one server',
  section: 'A standby site',
};

function checkFromBackup(context: ZoneContext, id: number, from: RawFrom, path: string): void {
  if (!checkSourceZone(context, id, from, path, FROM_WORDS)) return;
  const target = targetProblem(from.target ?? 'latest');
  if (target) context.problems.add(`${path}.target`, target.message, target.hint);
}

/** What from_backup and standby_of both need; false when the source zone itself is wrong (nothing else is checked). */
function checkSourceZone(context: ZoneContext, id: number, from: RawSource, path: string, words: KeyWords): boolean {
  const { raw, rawRepos, problems } = context;
  const add = (key: string, message: string, hint?: string) => problems.add(`${path}${key}`, message, hint);
  const source = sourceProblem(raw, id, from, words);
  if (source) {
    add(source.key, source.message, source.hint);
    return false;
  }
  if (from.repo !== undefined && from.repo > rawRepos.length)
    add('.repo', `the config has no repo${from.repo}`, `Repositories: repo1 … repo${rawRepos.length}.`);
  if (raw.patroni && words.patroni)
    add('', words.patroni, `Declare a standalone zone (no [patroni]); docs/recovery.md, "${words.section}".`);
  if (rawRepos.some((repo) => repo.transport === 'tls'))
    add(
      '',
      `zone ${id}'s host cannot reach zone ${from.zone}'s backup host: with transport = "tls" its TLS server lets in zone ${from.zone}'s own hosts only (tls-server-auth)`,
      "Reach the backup hosts over SSH (no transport), where bsync lets the new zone's host in; or clone instead (bsync restore --zone N --to HOST).",
    );
  if (
    rawRepos.some((repo) => (repo.cipher_type ?? 'aes-256-cbc') !== 'none' && (repo.cipher_pass ?? 'auto') === 'auto')
  )
    add(
      '',
      `needs the repositories' cipher_pass named: with "auto" each stanza has its own passphrase, and zone ${id} would not have zone ${from.zone}'s`,
      'Set cipher_pass = { file = "..." } or { env = "..." } on the repository: every stanza then shares it.',
    );
  checkNewZoneHost(context, id, path, words);
  return true;
}

/** The source zone: another zone of this config, with another stanza. */
function sourceProblem(
  raw: RawConfig,
  id: number,
  from: RawSource,
  words: KeyWords,
): { key: string; message: string; hint: string } | undefined {
  const problem = (key: string, message: string, hint: string) => ({ key, message, hint });
  if (from.zone === id) return problem('.zone', `zone ${id} ${words.own}`, 'Name another zone of this config.');
  if (!raw.host.some((host) => zoneOf(host) === from.zone))
    return problem(
      '.zone',
      `no [[host]] is in zone ${from.zone}: the source zone is unknown`,
      `Zones of this config: ${[...new Set(raw.host.map(zoneOf))].join(', ')}.`,
    );
  if (stanzaOf(raw, id) === stanzaOf(raw, from.zone))
    return problem(
      '',
      `zone ${id} and zone ${from.zone} have one stanza, ${stanzaOf(raw, id)}: ${words.shared}`,
      'Remove [cluster] stanza, so that each zone has its own (pgedge-<name>-<zone>).',
    );
  return undefined;
}

/** The new zone starts as one server (under Patroni, as its members), in the folder the config names. */
function checkNewZoneHost({ raw, problems }: ZoneContext, id: number, path: string, words: KeyWords): void {
  const servers = raw.host.filter((host) => zoneOf(host) === id && host.role === 'postgres');
  if (raw.patroni) {
    for (const server of servers.filter((host) => !host.pg_data))
      problems.add(
        path,
        `host ${server.name} has no pg_data: Patroni's bootstrap restores into the folder the config names`,
        `Set pg_data on [[host]] ${server.name}: Patroni's postgresql.data_dir.`,
      );
    return;
  }
  if (servers.length !== 1) {
    problems.add(
      path,
      `zone ${id} has ${servers.length} PostgreSQL hosts: ${words.hosts}`,
      'Declare its one PostgreSQL host; add replicas once it has data.',
    );
    return;
  }
  if (!servers[0].pg_data)
    problems.add(
      path,
      `host ${servers[0].name} has no pg_data: the first data goes into the folder the config names`,
      `Set pg_data on [[host]] ${servers[0].name}, the empty (or missing) folder to restore into.`,
    );
}

/** A target's grammar problem, said without the command line's --target. */
function targetProblem(text: string): { message: string; hint?: string } | undefined {
  try {
    parseTarget(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof BsyncError)) throw error;
    return { message: error.message.replace(/^--target /, ''), ...(error.hint ? { hint: error.hint } : {}) };
  }
}

/** The declared from_backup of each zone, once the checks have passed. */
export function fromBackupOf(raw: RawConfig): Map<number, FromBackup> | undefined {
  const declared = (raw.zone ?? []).flatMap((zone) => (zone.from_backup ? [[zone.id, zone.from_backup] as const] : []));
  if (declared.length === 0) return undefined;
  return new Map(
    declared.map(([id, from]) => [
      id,
      { zone: from.zone, target: parseTarget(from.target ?? 'latest'), repo: from.repo ?? 1 },
    ]),
  );
}

/** The declared standby_of of each zone, once the checks have passed. */
export function standbyOfOf(raw: RawConfig): Map<number, StandbyOf> | undefined {
  const declared = (raw.zone ?? []).flatMap((zone) => (zone.standby_of ? [[zone.id, zone.standby_of] as const] : []));
  if (declared.length === 0) return undefined;
  return new Map(declared.map(([id, of]) => [id, { zone: of.zone, repo: of.repo ?? 1, stream: of.stream ?? false }]));
}
