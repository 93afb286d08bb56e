// A restore or a clone that reads its repository as it was at a time (`--repo-target-time`,
// pgBackRest's repo-target-time since 2.54): a versioned bucket after a ransomware event or
// a mistaken delete, where pgBackRest lists the objects' versions and reads, of each, the
// newest at or before the time. The time takes what `--target time=` takes, the plan shows
// it in UTC, and pgBackRest gets it to the second. Refused before anything stops where
// pgBackRest cannot do it. docs/recovery.md, A bucket after a ransomware event.
import { repoKeyPath, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import type { NeedsPart } from '../facts/needs.js';
import type { HostFacts } from '../facts/types.js';
import { availability } from '../pgbackrest-options/index.js';
import { quotedValue } from '../printable.js';
import { repoType } from '../repositories/index.js';
import { type RecoveryTarget, targetText } from './target.js';
import { type Instant, parseTime, utcText } from '../target-time.js';

const OPTION = 'repo-target-time';

/** `--repo-target-time`'s value as an instant, or why not (the same grammar as --target time=). */
export function parseRepoTargetTime(text: string): Instant {
  return parseTime(text, (why) => {
    throw new BsyncError(`--repo-target-time ${quotedValue(text)}: ${why}`, {
      hint: 'A time with its zone, as psql prints it: 2026-12-07 11:26:24+00 (or T, Z, UTC, +01, +05:30).',
    });
  });
}

/** The time as the plan and a saved plan say it: UTC, ISO 8601. */
export const repoTimeText = (instant: Instant): string => utcText(instant);

/**
 * What pgBackRest takes, `2026-12-07 11:26:24+00`: UTC to the second, as pgBackRest reads the
 * objects' times (a fraction is dropped: the repository is read as it was at that second).
 */
export function repoTimeValue(instant: Instant): string {
  return `${new Date(Math.floor(instant.ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')}+00`;
}

/**
 * The option for pgBackRest's restore, info and archive-get, none without a time. In double
 * quotes: one shell word that is also safe inside restore_command, which PostgreSQL's
 * configuration file holds in single quotes.
 */
export function repoTimeOptions(readAt: Instant | undefined): string[] {
  return readAt ? [`--${OPTION}="${repoTimeValue(readAt)}"`] : [];
}

/** The repository's info read as it was at the time: the backup set is chosen from what it held then. */
export function repoTimeNeeds(inventory: Inventory, request: { repoTargetTime?: Instant; repo?: number }): NeedsPart[] {
  const { repoTargetTime } = request;
  if (!repoTargetTime) return [];
  return [{ repoReadAt: { repo: request.repo ?? inventory.repos[0].key, value: repoTimeValue(repoTargetTime) } }];
}

/** The option as a command line gives it again (the messages about saved plans). */
export function repoTimeAgain(request: { repoTargetTime?: Instant }): string[] {
  return request.repoTargetTime ? [`--repo-target-time ${repoTimeText(request.repoTargetTime)}`] : [];
}

/** The plan's field for the restore step. */
export function repoTimeField(readAt: Instant) {
  const second = repoTimeValue(readAt);
  return {
    name: 'repository as of',
    after: `${repoTimeText(readAt)} (each object's newest version at or before ${second.replace(' ', 'T').replace('+00', 'Z')})`,
  };
}

/** What the operator reads before a restore at a repository time. */
export function repoTimeNote(readAt: Instant, repoKey: number): string {
  return `repo${repoKey} is read as it was at ${repoTimeText(readAt)} (UTC): the backup set, its files and the WAL are the versions the bucket held then; what was written or deleted after it is not read. The WAL written since is not archived first (it would not be read), and archiving afterwards goes into the bucket as it is now: if the event damaged the stanza, repair it before trusting new backups (docs/recovery.md, A bucket after a ransomware event).`;
}

/**
 * The refusals, before anything stops: a repository that keeps no versions (a folder), a
 * bucket not declared versioned, a host whose pgBackRest lacks the option, a time in the
 * future, and a recovery target after the time (the WAL written after it is not read).
 */
export function checkRepoTargetTime(
  inventory: Inventory,
  request: { repoTargetTime?: Instant; target: RecoveryTarget },
  repoKey: number,
  /** The hosts whose pgBackRest reads the repository at the time (restore and archive-get; info). */
  { readers, facts }: { readers: Array<{ name: string }>; facts: Map<string, HostFacts> },
  now: number,
): void {
  const readAt = request.repoTargetTime;
  if (!readAt) return;
  const text = repoTimeText(readAt);
  const repo = inventory.repos.find((entry) => entry.key === repoKey);
  if (!repo) return;
  const type = repoType(repo);
  if (!type.versioned) {
    throw new BsyncError(
      `--repo-target-time ${text}: repo${repoKey} (${type.name}) is a folder, which keeps no earlier versions of its files`,
      {
        hint: 'Only an object store (s3, gcs, azure) with versioning on keeps what pgBackRest reads at a time. Leave --repo-target-time out, or name a versioned bucket with --repo N.',
      },
    );
  }
  if (!type.versioned(repo)) {
    throw new BsyncError(
      `--repo-target-time ${text}: repo${repoKey}'s bucket is not declared versioned, so it may hold no earlier versions to read`,
      {
        where: inventory.configPath,
        hint: `If versioning is on for the bucket, say so: versioned = true in [${repoKeyPath(inventory, repo)}.${type.name}] (docs/config.md). bsync does not ask the bucket.`,
      },
    );
  }
  for (const name of new Set(readers.map((host) => host.name))) checkRelease({ name, facts: facts.get(name) }, text);
  if (readAt.ms > now)
    throw new BsyncError(`--repo-target-time ${text} is in the future (it is ${new Date(now).toISOString()})`, {
      hint: 'The repository can be read as it was, not as it will be.',
    });
  const { target } = request;
  if (target.type === 'time' && target.ms > readAt.ms)
    throw new BsyncError(
      `--target ${targetText(target)} is after --repo-target-time ${text}: the repository as it was then holds no WAL written after it`,
      { hint: 'Choose a target at or before the repository time, or a later repository time.' },
    );
}

/** A host that runs pgBackRest with the option must have it (2.54 and later; bsync judges by its option lists). */
function checkRelease(host: { name: string; facts?: HostFacts }, text: string): void {
  const version = host.facts?.pgbackrestVersion;
  const hint = `pgBackRest added ${OPTION} in 2.54: upgrade pgBackRest on ${host.name}, then plan again.`;
  if (!version)
    throw new BsyncError(
      `--repo-target-time ${text}: the version of pgBackRest on ${host.name} is unknown, so bsync cannot tell whether it has ${OPTION}`,
      { hint },
    );
  const available = availability(OPTION, version);
  if (!available.ok)
    throw new BsyncError(
      `--repo-target-time ${text}: pgBackRest ${version} on ${host.name} cannot read a repository at a time: ${available.why}`,
      { hint },
    );
}
