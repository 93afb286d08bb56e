// A standby site in `bsync status` (docs/recovery.md, "A standby site"): a zone declared
// standby_of has no stanza of its own, so it is shown as a standby of its source's stanza,
// with what a day at the other site asks: does it still replay, what did it replay last and
// when was that committed, is the source's newest archived WAL past it. The archive is read
// where the standby reads it, on its own host (its probes read the stanza it replays), so a
// site whose source is gone still tells. Pure functions of the facts.
import type { Inventory } from '../config/inventory.js';
import { stanzaFor } from '../config/inventory.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import type { HostFacts, RepoFacts, ReplayFacts } from '../facts/types.js';
import { age, iso } from './times.js';

export interface StandbySiteStatus {
  zone: number;
  /** The zone's one PostgreSQL server. */
  host: string;
  /** The stanza it replays: the source zone's, in repoN. */
  standbyOf: { zone: number; stanza: string; repo: string };
  running: boolean;
  /** null when the server does not answer; false: it runs as a primary (promoted outside bsync). */
  inRecovery: boolean | null;
  /** The end of the last WAL record replayed (pg_last_wal_replay_lsn). */
  replayedLsn: string | null;
  /** When the last transaction replayed was committed on the source (pg_last_xact_replay_timestamp), UTC. */
  replayedAt: string | null;
  replayedAgeSeconds: number | null;
  /** The source stanza's newest archived WAL segment, as pgbackrest info tells the standby's host. */
  newestArchived: string | null;
  /** The newest archived segment is past what it replayed; null when either is unknown. */
  behind: boolean | null;
  /** 0 when it replayed the newest archived segment; while behind, the age of its last replayed transaction. */
  replayLagSeconds: number | null;
  /** Why it needs attention, in words; empty when all is well. */
  problems: string[];
}

/** A WAL position as a number of bytes. */
const lsnBytes = (lsn: string): bigint => {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** Where a segment begins: its log and segment numbers (the name's last 16 hex digits) at the server's segment size. */
const segmentStart = (segment: string, segmentBytes: number): bigint =>
  (BigInt(`0x${segment.slice(8, 16)}`) << 32n) + BigInt(`0x${segment.slice(16, 24)}`) * BigInt(segmentBytes);

/** PostgreSQL's segment sizes: powers of two from 1 MiB to 1 GiB. */
const segmentSize = (bytes: number) => bytes >= 2 ** 20 && bytes <= 2 ** 30 && (bytes & (bytes - 1)) === 0;

/**
 * Whether the archive's newest segment is past the replay: a standby that replayed any of it
 * has read all the archive holds (a record cut at its end waits for the next segment).
 * Positions compare across timelines; null when either end is unknown.
 */
export function behindArchive(replay: ReplayFacts, newest: string | null): boolean | null {
  if (replay.lsn === null || newest === null || !segmentSize(replay.segmentBytes)) return null;
  return lsnBytes(replay.lsn) <= segmentStart(newest, replay.segmentBytes);
}

/** The replay's lag: none once it replayed the newest archived segment, else the age of its last replayed transaction. */
function replayLag(behind: boolean | null, replay: ReplayFacts | undefined, now: number): number | null {
  if (behind === null) return null;
  return behind ? age(replay?.at, now) : 0;
}

/** The source's stanza in the repository the standby reads, as its host's pgbackrest info found it. */
function sourceArchive(hostFacts: HostFacts | undefined, stanza: string, repo: number): RepoFacts | undefined {
  return hostFacts?.repos?.find((entry) => entry.key === repo && entry.stanza === stanza);
}

function siteProblems(site: StandbySiteStatus, hostFacts: HostFacts | undefined, archive: RepoFacts | undefined) {
  const pg = hostFacts?.postgres;
  const of = `zone ${site.standbyOf.zone}'s stanza ${site.standbyOf.stanza}`;
  if (!site.running)
    site.problems.push(
      `PostgreSQL on ${site.host} does not answer (${pg?.error?.split('\n')[0] || 'not read'}): it replays nothing`,
    );
  else if (site.inRecovery === false)
    site.problems.push(
      `PostgreSQL on ${site.host} runs as a primary, not a standby of ${of}: promoted outside bsync, or never restored as one`,
    );
  if (archive?.statusCode !== 0 && archive?.statusCode !== 2)
    site.problems.push(
      `${of} in ${site.standbyOf.repo} could not be read on ${site.host}: ${archive ? `pgbackrest info status ${archive.statusCode ?? 'unknown'}: ${archive.statusMessage.split('\n')[0]}` : 'not read'}`,
    );
}

function siteStatus(inventory: Inventory, zone: Zone, facts: FactsByHost, now: number): StandbySiteStatus {
  const of = inventory.standbyOf!.get(zone.zone)!;
  const host = zone.postgresHosts[0];
  const hostFacts = facts.get(host.name);
  const pg = hostFacts?.postgres;
  const stanza = stanzaFor(inventory, of.zone);
  const archive = sourceArchive(hostFacts, stanza, of.repo);
  const running = pg?.running === true;
  const replay = running && pg?.inRecovery ? pg.replay : undefined;
  const newestArchived = archive?.archiveMax ?? null;
  const behind = replay ? behindArchive(replay, newestArchived) : null;
  const site: StandbySiteStatus = {
    zone: zone.zone,
    host: host.name,
    standbyOf: { zone: of.zone, stanza, repo: `repo${of.repo}` },
    running,
    inRecovery: running ? pg!.inRecovery : null,
    replayedLsn: replay?.lsn ?? null,
    replayedAt: iso(replay?.at),
    replayedAgeSeconds: age(replay?.at, now),
    newestArchived,
    behind,
    replayLagSeconds: replayLag(behind, replay, now),
    problems: [],
  };
  siteProblems(site, hostFacts, archive);
  return site;
}

/** The standby sites among `zones`, each as a standby of its source's stanza. */
export function standbySites(
  inventory: Inventory,
  zones: Zone[],
  facts: FactsByHost,
  now: number,
): StandbySiteStatus[] {
  return zones
    .filter((zone) => inventory.standbyOf?.has(zone.zone))
    .map((zone) => siteStatus(inventory, zone, facts, now));
}
