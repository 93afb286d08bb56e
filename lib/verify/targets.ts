// Which backup each stanza's verify restores, where, as whom, and what it needs: a pure
// function of the inventory and the facts already gathered.
import { processesFor } from '../desired/processes.js';
import { stanzaFor, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { BackupInfo } from '../facts/types.js';
import { serverMajor } from '../facts/postgres.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { refuseStandbySite } from '../desired/standby-site.js';
import type { VerifyJob } from './script.js';

export interface VerifyPlan {
  zone: Zone;
  host: string;
  backup: BackupInfo;
  job: VerifyJob;
  /** Where the recovery point's marker is written, when asked for. */
  primary?: { host: string; port: number };
}

/** Room for the restored data: its size, a tenth more, and 128 MiB for WAL replayed on start. */
export function neededBytes(size: number): number {
  return Math.ceil(size * 1.1) + 128 * 1024 * 1024;
}

interface VerifyRequest {
  stanza?: string;
  set?: string;
  recoveryPoint: boolean;
}

/** A zone with nothing to verify: why, in words. */
export interface VerifySkip {
  zone: Zone;
  host: string;
  problem: string;
}

/** The zones verified: the one whose stanza is named, or all; a standby site has no stanza of its own. */
function verifiedZones(inventory: Inventory, stanza: string | undefined): Zone[] {
  const zones = zonesOf(inventory).filter((zone) => !inventory.standbyOf?.has(zone.zone));
  if (stanza === undefined) return zones;
  const named = zonesOf(inventory).filter((zone) => zone.stanza === stanza);
  for (const zone of named)
    refuseStandbySite(
      inventory,
      zone.zone,
      'verify',
      (source) =>
        `Verify the stanza it replays, whose backups it was restored from: bsync verify --stanza ${stanzaFor(inventory, source)}`,
    );
  if (named.length > 0) return named;
  throw new BsyncError(`--stanza ${stanza}: no such stanza in the config`, {
    where: inventory.configPath,
    hint: `Stanzas: ${zones.map((zone) => zone.stanza).join(', ')}`,
  });
}

export function verifyPlans(
  inventory: Inventory,
  facts: FactsByHost,
  request: VerifyRequest,
): Array<VerifyPlan | VerifySkip> {
  const zones = verifiedZones(inventory, request.stanza);
  return zones.map((zone) => {
    const primary = zone.postgresHosts.find(
      (host) => facts.get(host.name)?.postgres?.running && !facts.get(host.name)?.postgres?.inRecovery,
    );
    const host =
      inventory.verify.hosts.get(zone.zone) ?? zone.backupHost?.name ?? primary?.name ?? zone.postgresHosts[0].name;
    // repo1's backups: restore, like pgBackRest without --repo, reads the first repository that has the set.
    const backups = (facts.get(zone.repoOwner.name)?.repos?.[0]?.backups ?? []).filter((backup) => !backup.error);
    const backup =
      request.set !== undefined ? backups.find((candidate) => candidate.label === request.set) : backups.at(-1);
    if (!backup) {
      const problem =
        request.set !== undefined
          ? `the repository holds no valid backup set ${request.set}`
          : 'the repository holds no valid backup yet';
      return { zone, host, problem };
    }
    if (request.recoveryPoint && !primary)
      return { zone, host, problem: 'no running primary to write the recovery point marker on' };
    const primaryFacts = primary ? facts.get(primary.name)?.postgres : undefined;
    const pgVersion =
      backup.pgVersion
      ?? (primaryFacts ? String(serverMajor(primaryFacts)) : undefined)
      ?? inventory.cluster.pgVersion?.toString();
    if (pgVersion === undefined)
      return {
        zone,
        host,
        problem: "the backup's PostgreSQL version is unknown (pgbackrest info does not say, and no server answers)",
      };
    // A verify host that runs PostgreSQL of that major has its server binaries where they run
    // (a backup host's probe does not look for PostgreSQL: its verify script finds them).
    const spec = inventory.hosts.find((candidate) => candidate.name === host)!;
    const local = spec.role === 'postgres' ? facts.get(host)?.postgres : undefined;
    const binDir =
      local?.running && local.binDir && String(serverMajor(local)) === pgVersion ? local.binDir : undefined;
    const processes = processesFor(inventory, 'restore', facts.get(host));
    const job: VerifyJob = {
      stanza: zone.stanza,
      ...(processes.count ? { processMax: processes.count } : {}),
      ...(zone.pgbackrest === 'pgbackrest' ? {} : { pgbackrest: zone.pgbackrest }),
      runAs: pgbackrestUser(inventory, spec),
      pgVersion,
      ...(binDir ? { binDir } : {}),
      label: backup.label,
      recovery: request.recoveryPoint ? 'default' : 'immediate',
      pgHostCount: zone.backupHost ? zone.postgresHosts.length : 1,
      path: inventory.verify.path,
      neededBytes: neededBytes(backup.size ?? 0),
      timeoutSeconds: inventory.verify.timeoutSeconds,
      amcheck: inventory.verify.amcheck,
      ...(inventory.verify.query ? { query: inventory.verify.query } : {}),
    };
    return {
      zone,
      host,
      backup,
      job,
      ...(request.recoveryPoint && primary ? { primary: { host: primary.name, port: primary.pgPort } } : {}),
    };
  });
}
