// An on-demand backup as a plan of one step: where the scheduled ones run (the backup host
// of an ssh repository, else the zone's primary), as the user they run as, refused at plan
// time when the stanza is not there to take it. A pure function of (inventory, facts, request).
import { backupProcesses } from '../desired/processes.js';
import type { Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { HostResources } from '../desired/builder.js';
import { zonePrimary } from '../desired/backups.js';
import { refuseStandbySite } from '../desired/standby-site.js';
import { zonesOf, type FactsByHost, type Zone } from '../desired/zone.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { OperationOf } from '../plan/types.js';
import { runChange, type Resource } from '../resources/types.js';
import { shq } from '../formats/shell.js';
import { backupOperation, type BackupRequest } from './requests.js';

export interface BackupPlan {
  resources: Resource[];
  operation: OperationOf<'backup'>;
  /** The host that runs it and whose repository facts name the new backup afterwards. */
  host: string;
  stanza: string;
  repo: number;
}

function zoneOf(inventory: Inventory, number: number | undefined): Zone {
  const zones = zonesOf(inventory);
  if (number === undefined && zones.length === 1) return zones[0];
  const zone = zones.find((candidate) => candidate.zone === number);
  if (zone) return zone;
  throw new BsyncError(
    number === undefined
      ? `the config has ${zones.length} zones: say which one to back up`
      : `--zone ${number}: no such zone in the config`,
    { where: inventory.configPath, hint: `Add --zone N (zones: ${zones.map((entry) => entry.zone).join(', ')}).` },
  );
}

export function planBackup(inventory: Inventory, facts: FactsByHost, request: BackupRequest): BackupPlan {
  const zone = zoneOf(inventory, request.zone);
  refuseStandbySite(
    inventory,
    zone.zone,
    'back up',
    (source) =>
      `Back up the stanza it replays, zone ${source}'s: bsync backup --zone ${source} --type ${request.type}${request.repo ? ` --repo ${request.repo}` : ''}`,
  );
  const repoKey = request.repo ?? inventory.repos[0].key;
  if (!inventory.repos.some((repo) => repo.key === repoKey))
    throw new BsyncError(`--repo ${repoKey}: the stanza has no repo${repoKey}`);
  const host = zone.backupHost ?? zonePrimary(zone.postgresHosts, facts);
  if (!host) {
    throw new BsyncError(`zone ${zone.zone} has no backup host and no running primary to take the backup`, {
      hint: 'Backups to object stores and posix repositories run on the primary; start it and try again.',
    });
  }
  const repo = facts.get(zone.repoOwner.name)?.repos?.find((entry) => entry.key === repoKey);
  if (!repo?.backupInfoExists) {
    throw new BsyncError(`repo${repoKey} holds no stanza ${zone.stanza} yet: ${repo?.statusMessage || 'not read'}`, {
      hint: 'Run bsync apply first: it creates the stanza and takes the first full backup.',
    });
  }
  const hasFull = repo.backups.some((backup) => !backup.error && backup.type === 'full');
  const user = pgbackrestUser(inventory, host);
  const processes = backupProcesses(
    inventory,
    zone.postgresHosts.map((member) => facts.get(member.name)),
  );
  const out = new HostResources(host.name);
  out.add(
    'backup',
    `${request.type}:repo${repoKey}`,
    `${request.type} backup of ${zone.stanza} into repo${repoKey}`,
    runChange(
      request.type !== 'full' && !hasFull
        ? 'repo1 holds no full backup yet: pgBackRest takes a full one instead'
        : `as ${user}, where the scheduled backups run`,
      [
        {
          user,
          command: [
            `${zone.pgbackrest} --stanza=${shq(zone.stanza)} --repo=${repoKey}`,
            ...processes.options,
            `--type=${request.type} backup`,
          ].join(' '),
        },
      ],
      [processes.field],
    ),
  );
  return {
    resources: out.resources,
    operation: backupOperation({ zone: zone.zone, type: request.type, repo: repoKey }),
    host: host.name,
    stanza: zone.stanza,
    repo: repoKey,
  };
}
