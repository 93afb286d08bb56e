// What the drift check reports besides drift: whether backups can run at all. A host
// where bsync relies on pgBackRest but it does not run, a stanza its repository reports
// as broken, WAL archiving that fails on the zone's primary, or a folder repository that
// will not hold the next full backup (space.ts) is a problem: plan exits 1
// naming the host, whatever the diff says.
// Read-only: it looks at facts already gathered, it runs nothing.
import type { Inventory } from '../config/inventory.js';
import { archiveSettings } from '../desired/archive-settings.js';
import { zonePrimary } from '../desired/backups.js';
import { zoneHosts, zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import type { Diagnostic } from '../diagnostics.js';
import { archivingFails } from '../facts/postgres.js';
import { spaceProblem } from './space.js';

/** A problem is an error diagnostic about a host: the plan is whole, but backups cannot run there. */
export type HealthProblem = Diagnostic & { severity: 'error'; host: string };

function problemOn(host: string, message: string): HealthProblem {
  return { severity: 'error', host, message };
}

/** pgBackRest info status codes that say the stanza is usable (0 ok, 2 no valid backup yet: the plan adds one). */
const USABLE_STATUS = new Set([0, 2]);

export function healthProblems(inventory: Inventory, facts: FactsByHost, hosts: string[]): HealthProblem[] {
  const problems: HealthProblem[] = [];
  for (const zone of zonesOf(inventory)) {
    for (const host of zoneHosts(zone)) {
      const hostFacts = facts.get(host.name);
      if (!hostFacts || !hosts.includes(host.name)) continue;
      if (hostFacts.pgbackrestVersion === null) {
        problems.push(
          problemOn(
            host.name,
            `pgBackRest does not run here (${hostFacts.pgbackrestProblem ?? 'no version'}); backups and WAL archiving of stanza ${zone.stanza} depend on it`,
          ),
        );
      }
    }
    const archiving = archivingProblem(zone, facts, hosts);
    if (archiving) problems.push(archiving);
    // A standby site has no stanza of its own to check (lib/desired/standby-site.ts).
    if (!hosts.includes(zone.repoOwner.name) || inventory.standbyOf?.has(zone.zone)) continue;
    const several = inventory.repos.length > 1;
    for (const repo of facts.get(zone.repoOwner.name)?.repos ?? []) {
      // A repository that does not answer may hold the stanza: its state is unknown, which is a problem too.
      if (!repo.backupInfoExists && !repo.unreadable) continue;
      // Not asked because pgbackrest.conf is missing (deleted by hand): drift the plan repairs, not a broken stanza.
      if (repo.notAsked) continue;
      if (repo.statusCode !== null && USABLE_STATUS.has(repo.statusCode)) {
        const space = spaceProblem(inventory, zone.stanza, repo);
        if (space) problems.push(problemOn(zone.repoOwner.name, space));
        continue;
      }
      const status = repo.statusCode === null ? 'could not be read' : `reports status ${repo.statusCode}`;
      problems.push(
        problemOn(
          zone.repoOwner.name,
          `stanza ${zone.stanza}${several ? ` repo${repo.key}` : ''}: pgbackrest info ${status}: ${repo.statusMessage.split('\n')[0] || 'no message'}`,
        ),
      );
    }
  }
  return problems;
}

/**
 * WAL archiving into the zone's stanza that fails now on its primary: a backup waits for
 * WAL that never arrives, and a restore stops short. Only pgBackRest's own archive_command
 * counts: another one is drift the plan replaces, not a failure of bsync's setup.
 */
function archivingProblem(zone: Zone, facts: FactsByHost, hosts: string[]): HealthProblem | undefined {
  const primary = zonePrimary(zone.postgresHosts, facts);
  const pg = primary && hosts.includes(primary.name) ? facts.get(primary.name)?.postgres : undefined;
  const ours = archiveSettings(zone).archive_command;
  if (!pg || !archivingFails(pg.archiver) || pg.settings.archive_command?.setting !== ours) return undefined;
  const archiver = pg.archiver!;
  const at = (seconds: number | null) => (seconds === null ? 'never' : new Date(seconds * 1000).toISOString());
  return problemOn(
    primary!.name,
    `WAL archiving into stanza ${zone.stanza} fails: ${archiver.lastFailedWal} failed at ${at(archiver.lastFailedTime)} (${archiver.failedCount} failures since the statistics were reset), the last WAL archived was ${archiver.lastArchivedWal ?? 'none'} at ${at(archiver.lastArchivedTime)}; PostgreSQL's log says why`,
  );
}
