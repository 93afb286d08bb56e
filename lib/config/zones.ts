// [[zone]]: settings of one zone, whose hosts are the [[host]] tables with that zone number.
// from_backup says where a new zone's first data comes from (docs/recovery.md, "A cluster
// from a backup"). What a schema cannot check is checked here: the zones exist and differ,
// their stanzas differ, the target is one, and the new zone's host can read the source's
// repository with the passphrase it is given.
import { BsyncError } from '../errors.js';
import { objectStoresOnly } from '../repositories/index.js';
import { parseTarget } from '../recovery-target.js';
import type { FromBackup } from './inventory.js';
import type { ConfigProblems, Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';

type RawZone = NonNullable<RawConfig['zone']>[number];
type RawFrom = NonNullable<RawZone['from_backup']>;

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
    else if (zone.from_backup) checkFromBackup(context, zone.id, zone.from_backup, `${path}.from_backup`);
  });
}

function checkFromBackup(context: ZoneContext, id: number, from: RawFrom, path: string): void {
  const { raw, rawRepos, problems } = context;
  const add = (key: string, message: string, hint?: string) => problems.add(`${path}${key}`, message, hint);
  const source = sourceProblem(raw, id, from);
  if (source) {
    add(source.key, source.message, source.hint);
    return;
  }
  const target = targetProblem(from.target ?? 'latest');
  if (target) add('.target', target.message, target.hint);
  if (from.repo !== undefined && from.repo > rawRepos.length)
    add('.repo', `the config has no repo${from.repo}`, `Repositories: repo1 … repo${rawRepos.length}.`);
  if (raw.patroni)
    add(
      '',
      'a Patroni zone from a backup is not supported yet',
      'Start a standalone zone from the backup (no [patroni]); docs/recovery.md, "A cluster from a backup".',
    );
  if (!objectStoresOnly(rawRepos.map((repo) => ({ type: repo.type ?? 'ssh' }))))
    add(
      '',
      `zone ${id}'s host cannot read zone ${from.zone}'s repository: it is on zone ${from.zone}'s own hosts`,
      'A zone starts from a backup in an object store (s3, azure, gcs) that every PostgreSQL host reaches alike; with an ssh or posix repository, clone it instead (bsync restore --zone N --to HOST).',
    );
  if (
    rawRepos.some((repo) => (repo.cipher_type ?? 'aes-256-cbc') !== 'none' && (repo.cipher_pass ?? 'auto') === 'auto')
  )
    add(
      '',
      'needs the repositories\' cipher_pass named: with "auto" each stanza has its own passphrase, and the new zone would not have the source\'s',
      'Set cipher_pass = { file = "..." } or { env = "..." } on the repository: every stanza then shares it.',
    );
  checkNewZoneHost(context, id, path);
}

/** The source zone: another zone of this config, with another stanza. */
function sourceProblem(
  raw: RawConfig,
  id: number,
  from: RawFrom,
): { key: string; message: string; hint: string } | undefined {
  const problem = (key: string, message: string, hint: string) => ({ key, message, hint });
  if (from.zone === id)
    return problem(
      '.zone',
      `zone ${id} cannot start from its own backup`,
      'Name the zone whose backup holds the data to start from.',
    );
  if (!raw.host.some((host) => zoneOf(host) === from.zone))
    return problem(
      '.zone',
      `no [[host]] is in zone ${from.zone}: the source zone is unknown`,
      `Zones of this config: ${[...new Set(raw.host.map(zoneOf))].join(', ')}.`,
    );
  if (stanzaOf(raw, id) === stanzaOf(raw, from.zone))
    return problem(
      '',
      `zone ${id} and zone ${from.zone} have one stanza, ${stanzaOf(raw, id)}: the new zone would archive into the stanza it starts from`,
      'Remove [cluster] stanza, so that each zone has its own (pgedge-<name>-<zone>).',
    );
  return undefined;
}

/** The new zone starts as one server, in the folder the config names. */
function checkNewZoneHost({ raw, problems }: ZoneContext, id: number, path: string): void {
  const servers = raw.host.filter((host) => zoneOf(host) === id && host.role === 'postgres');
  if (servers.length !== 1) {
    problems.add(
      path,
      `zone ${id} has ${servers.length} PostgreSQL hosts: a zone from a backup starts as one server`,
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
