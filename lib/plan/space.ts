// A repository that will not hold the next full backup (issue 31, item 4): on a folder
// repository (ssh, posix), the space free there against what the next full needs before
// expire removes the old one, the last full's size in the repository plus the WAL archived
// over one full backup's cycle. A health problem of the plan, naming repository and numbers.
import type { Inventory } from '../config/inventory.js';
import type { BackupInfo, RepoFacts } from '../facts/types.js';
import { humanBytes } from '../human-units.js';

/** PostgreSQL's default WAL segment size: the archive's files are at most this large each (compression makes them smaller). */
const SEGMENT_BYTES = 16 * 1024 * 1024;

/** A segment's number on its timeline (`000000010000000200000003` → 2 × 256 + 3, with 16 MiB segments). */
const segmentNumber = (name: string) =>
  Number.parseInt(name.slice(8, 16), 16) * 256 + Number.parseInt(name.slice(16, 24), 16);

/**
 * The WAL segments one full backup's cycle archives: from the full before the newest to the
 * newest, or with one full from its start to the newest archived segment.
 */
function cycleSegments(fulls: BackupInfo[], archiveMax: string | undefined): number {
  const [previous, newest] = fulls.length > 1 ? fulls.slice(-2) : [fulls[0], undefined];
  const from = previous?.archiveStart;
  const to = newest ? newest.archiveStart : archiveMax;
  if (!from || !to) return 0;
  return Math.max(0, segmentNumber(to) - segmentNumber(from) + 1);
}

/** Why the repository will not hold the next full, or null when it will (or cannot tell: no free space read, no full yet). */
export function spaceProblem(inventory: Inventory, stanza: string, repo: RepoFacts): string | null {
  const fulls = repo.backups.filter((backup) => !backup.error && backup.type === 'full');
  const last = fulls.at(-1);
  if (repo.freeBytes === undefined || last?.repoDelta === undefined) return null;
  const segments = cycleSegments(fulls, repo.archiveMax);
  const needed = last.repoDelta + segments * SEGMENT_BYTES;
  if (repo.freeBytes >= needed) return null;
  const several = inventory.repos.length > 1;
  return `stanza ${stanza}${several ? ` repo${repo.key}` : ''}: the repository has ${humanBytes(repo.freeBytes)} free, and the next full backup needs about ${humanBytes(needed)} before expire removes the oldest (the last full took ${humanBytes(last.repoDelta)} there, plus up to ${humanBytes(segments * SEGMENT_BYTES)} of WAL: ${segments} segments archived over a full backup's cycle)`;
}
