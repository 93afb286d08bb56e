// An on-demand backup where the scheduled ones run, planned and run at once (a backup
// replaces nothing); after it, the new backup's label, size and time, read back from the
// repository and told apart from the sets the plan saw.
import { zonesOf } from '../desired/zone.js';
import { gatherHostFacts } from '../facts/gather.js';
import type { BackupInfo } from '../facts/types.js';
import { buildPlan } from '../plan/build.js';
import { planBackup } from '../recovery/backup.js';
import { decodeBackupRequest, type BackupRequest } from '../recovery/requests.js';
import type { Operation } from './operation.js';
import type { AfterReport, Planning } from './planning.js';
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
  return {
    selection: request.zone !== undefined ? { zones: [request.zone] } : undefined,
    again: `bsync backup --type ${request.type}${request.zone !== undefined ? ` --zone ${request.zone}` : ''} --out FILE`,
    plan: async (session, facts, nonce) =>
      usingFacts(session, facts, (checked) => {
        const planned = planBackup(session.inventory, checked, request);
        const owner = zonesOf(session.inventory).find((zone) => zone.stanza === planned.stanza)!.repoOwner.name;
        const repo = checked.get(owner)?.repos?.find((entry) => entry.key === planned.repo);
        const before = new Set((repo?.backups ?? []).map((backup) => backup.label));
        return {
          ...buildPlan(session.inventory, [planned.host], planned.resources, nonce, [], planned.operation),
          after: newBackups({ owner, repo: planned.repo, before }),
        };
      }),
  };
}

/** The backup sets of repoN that were not there when the plan was made, read from its owner's facts again. */
function newBackups(where: { owner: string; repo: number; before: Set<string> }): AfterReport {
  return async (session, say) => {
    const owner = session.inventory.hosts.find((host) => host.name === where.owner)!;
    const facts = await gatherHostFacts(
      session.connections.get(owner.name)!,
      session.inventory,
      owner,
      session.needsOf(owner),
    );
    const added = (facts.repos?.find((entry) => entry.key === where.repo)?.backups ?? []).filter(
      (backup) => !where.before.has(backup.label),
    );
    say(
      added.length > 0
        ? `New backup in repo${where.repo}: ${added.map(described).join(', ')}`
        : `The backup ran, but repo${where.repo} shows no new backup set (bsync status tells more)`,
    );
  };
}

export const BACKUP: Operation<BackupRequest> = {
  command: 'backup',
  decode: decodeBackupRequest,
  planning: backupPlanning,
};
