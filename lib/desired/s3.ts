// S3 repositories (the role's backup_repo_type: s3): no backup host; every PostgreSQL
// host writes WAL and backups to the bucket itself, and the zone's primary owns the stanza.
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import type { DesiredCronEntry } from '../resources/crontab.js';
import { shq } from '../transport/shell.js';

/**
 * The host that creates the stanza and takes the first backup: the zone's primary (the
 * first PostgreSQL host not in recovery), so the choice follows the cluster, not the config order.
 */
export function zonePrimary(hosts: HostSpec[], facts: Map<string, HostFacts>): HostSpec | undefined {
  return hosts.find((host) => facts.get(host.name)?.postgres?.running && !facts.get(host.name)?.postgres?.inRecovery);
}

/**
 * Cron entries for postgres on every PostgreSQL host: on a standby they exit 0 without
 * trying; on the primary (or when the server does not answer) pgBackRest runs, so its
 * failures reach cron's mail and log.
 */
export function standbySafeCron(
  inventory: Inventory,
  host: HostSpec,
  stanza: string,
  pg: PostgresFacts | undefined,
): DesiredCronEntry[] {
  // cron's PATH is minimal and PGDG's psql is off it: the running server's own psql.
  const psql = pg?.binDir ? shq(`${pg.binDir}/psql`) : 'psql';
  const onStandby = `[ "$(${psql} -XAtq -p ${host.pgPort} -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]`;
  return (['full', 'diff'] as const).map((type) => ({
    schedule: inventory.schedule[type],
    command: `${onStandby} || pgbackrest --stanza=${shq(stanza)} --type=${type} backup`,
    id: `${type}:${stanza}`,
  }));
}
