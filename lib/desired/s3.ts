// S3 repositories (the role's backup_repo_type: s3): no backup host; every PostgreSQL
// host writes WAL and backups to the bucket itself, and the zone's primary owns the stanza.
import type { HostSpec, Inventory, S3Repo } from '../config/inventory.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import type { ConfValue } from '../resources/pgbackrest-conf.js';
import type { DesiredCronEntry } from '../resources/crontab.js';
import { shq } from '../transport/shell.js';
import { S3_CA_PATH } from '../facts/paths.js';


export function s3Options(s3: S3Repo): Array<[string, ConfValue]> {
  const options: Array<[string, ConfValue]> = [
    ['repo1-type', 's3'],
    ['repo1-s3-bucket', s3.bucket],
    ['repo1-s3-endpoint', s3.endpoint],
    ['repo1-s3-region', s3.region],
    ['repo1-s3-key', { secret: s3.key }],
    ['repo1-s3-key-secret', { secret: s3.keySecret }],
    ['repo1-s3-uri-style', s3.uriStyle],
  ];
  if (s3.port !== undefined) options.push(['repo1-storage-port', s3.port]);
  if (!s3.verifyTls) options.push(['repo1-storage-verify-tls', 'n']);
  if (s3.caCert !== undefined) options.push(['repo1-storage-ca-file', S3_CA_PATH]);
  return options;
}

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
export function standbySafeCron(inventory: Inventory, host: HostSpec, stanza: string, pg: PostgresFacts | undefined): DesiredCronEntry[] {
  // cron's PATH is minimal and PGDG's psql is off it: the running server's own psql.
  const psql = pg?.binDir ? shq(`${pg.binDir}/psql`) : 'psql';
  const onStandby = `[ "$(${psql} -XAtq -p ${host.pgPort} -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]`;
  return (['full', 'diff'] as const).map((type) => ({
    schedule: inventory.schedule[type],
    command: `${onStandby} || pgbackrest --stanza=${shq(stanza)} --type=${type} backup`,
    id: `${type}:${stanza}`,
  }));
}

