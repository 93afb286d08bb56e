// bsync backup: an on-demand backup where the scheduled ones run, planned, shown and run
// at once (a backup replaces nothing), under the host's lease; then the new backup's
// label, size and time, read back from the repository.
import { BsyncError } from '../errors.js';
import { gatherHostFacts } from '../facts/gather.js';
import type { BackupInfo } from '../facts/types.js';
import { buildPlan } from '../plan/build.js';
import { planBackup } from '../recovery/backup.js';
import { decodeBackupRequest, type BackupRequest } from '../recovery/requests.js';
import { zonesOf } from '../desired/zone.js';
import { applyWith, type ApplyOptions } from './apply.js';
import { isFleet } from './fleet-configs.js';
import type { Planning } from './planning.js';
import { planCommand } from './plan.js';
import { usingFacts } from './session.js';

const MiB = 1024 ** 2;

function described(backup: BackupInfo): string {
  const seconds = backup.start !== undefined && backup.stop !== undefined ? backup.stop - backup.start : undefined;
  const size = backup.size === undefined ? 'size unknown' : `${(backup.size / MiB).toFixed(1)} MiB`;
  const added =
    backup.repoDelta === undefined ? '' : `, ${(backup.repoDelta / MiB).toFixed(1)} MiB added to the repository`;
  return `${backup.label} (${backup.type}, ${size}${added}${seconds === undefined ? '' : `, ${seconds} s`})`;
}

export function backupPlanning(request: BackupRequest): Planning {
  let before = new Set<string>();
  let where: { host: string; repo: number; owner: string } | undefined;
  return {
    selection: request.zone !== undefined ? { zones: [request.zone] } : undefined,
    again: `bsync backup --type ${request.type}${request.zone !== undefined ? ` --zone ${request.zone}` : ''} --out FILE`,
    plan: async (session, facts, nonce) =>
      usingFacts(session, facts, (checked) => {
        const planned = planBackup(session.inventory, checked, request);
        const owner = zonesOf(session.inventory).find((zone) => zone.stanza === planned.stanza)!.repoOwner.name;
        const repo = checked.get(owner)?.repos?.find((entry) => entry.key === planned.repo);
        before = new Set((repo?.backups ?? []).map((backup) => backup.label));
        where = { host: planned.host, repo: planned.repo, owner };
        return buildPlan(session.inventory, [planned.host], planned.resources, nonce, [], planned.operation);
      }),
    after: async (session, say) => {
      if (!where) return;
      const owner = session.inventory.hosts.find((host) => host.name === where!.owner)!;
      const facts = await gatherHostFacts(
        session.connections.get(owner.name)!,
        session.inventory,
        owner,
        session.needsOf(owner),
      );
      const added = (facts.repos?.find((entry) => entry.key === where!.repo)?.backups ?? []).filter(
        (backup) => !before.has(backup.label),
      );
      say(
        added.length > 0
          ? `New backup in repo${where.repo}: ${added.map(described).join(', ')}`
          : `The backup ran, but repo${where.repo} shows no new backup set (bsync status tells more)`,
      );
    },
  };
}

export interface BackupOptions extends ApplyOptions {
  type: string;
  repo?: string;
  out?: string;
}

export async function backupCommand(options: BackupOptions): Promise<number> {
  if (isFleet(options.configs)) throw new BsyncError('a backup is of one cluster: give its one config (-c FILE)');
  if ((options.zone?.length ?? 0) > 1) throw new BsyncError('bsync backup takes one --zone at a time');
  if (options.host !== undefined)
    throw new BsyncError('bsync backup runs where the scheduled backups run: name the --zone, not a host');
  const planning = backupPlanning(
    decodeBackupRequest({ zone: options.zone?.[0], type: options.type, repo: options.repo }),
  );
  if (options.out) return planCommand({ ...options, detailedExitcode: false, out: options.out }, planning, 'backup');
  return applyWith({ ...options, yes: true }, { name: 'backup', planning });
}
