// What the drift check reports besides drift: whether backups can run at all. A host
// where bsync relies on pgBackRest but it does not run, or a stanza its repository
// reports as broken, is a problem: plan exits 1 naming the host, whatever the diff says.
// Read-only: it looks at facts already gathered, it runs nothing.
import type { Inventory } from '../config/inventory.js';
import { zoneHosts, zonesOf, type FactsByHost } from '../desired/zone.js';

interface HealthProblem {
  host: string;
  problem: string;
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
        problems.push({
          host: host.name,
          problem: `pgBackRest does not run here (${hostFacts.pgbackrestProblem ?? 'no version'}); backups and WAL archiving of stanza ${zone.stanza} depend on it`,
        });
      }
    }
    if (!hosts.includes(zone.repoOwner.name)) continue;
    const several = inventory.repos.length > 1;
    for (const repo of facts.get(zone.repoOwner.name)?.repos ?? []) {
      // A repository that does not answer may hold the stanza: its state is unknown, which is a problem too.
      if (!repo.backupInfoExists && !repo.unreadable) continue;
      // Not asked because pgbackrest.conf is missing (deleted by hand): drift the plan repairs, not a broken stanza.
      if (repo.notAsked) continue;
      if (repo.statusCode !== null && USABLE_STATUS.has(repo.statusCode)) continue;
      const status = repo.statusCode === null ? 'could not be read' : `reports status ${repo.statusCode}`;
      problems.push({
        host: zone.repoOwner.name,
        problem: `stanza ${zone.stanza}${several ? ` repo${repo.key}` : ''}: pgbackrest info ${status}: ${repo.statusMessage.split('\n')[0] || 'no message'}`,
      });
    }
  }
  return problems;
}
