// A restore in place of a primary with plain streaming replicas (no Patroni: Patroni rebuilds
// its own, restore-patroni.ts). Restored to a target, the primary starts a new timeline that
// its replicas, past the target on the old one, cannot follow. Which replicas follow (each is
// rebuilt by the standby rebuild's own steps, restore.ts), what is refused before anything
// stops, and what the plan says in plain words, with --replicas follow and with leave.
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import { BsyncError } from '../errors.js';
import type { ReplicasChoice, RestoreRequest } from './requests.js';

interface Place {
  zone: Zone;
  host: HostSpec;
}

/** The zone's other PostgreSQL hosts: replicas a restore in place leaves behind; none under Patroni. */
export function plainReplicas(inventory: Inventory, { zone, host }: Place): HostSpec[] {
  if (inventory.patroni) return [];
  return zone.postgresHosts.filter((other) => other.name !== host.name);
}

/** What the restore records of --replicas: only where the zone has plain replicas it decides about. */
export function replicasChoice(
  inventory: Inventory,
  request: RestoreRequest,
  place: Place,
): ReplicasChoice | undefined {
  return plainReplicas(inventory, place).length > 0 && !request.standby ? request.replicas : undefined;
}

const names = (hosts: HostSpec[]) => hosts.map((host) => host.name).join(', ');
const rebuilds = (hosts: HostSpec[]) =>
  hosts.map((host) => `bsync restore --host ${host.name} --standby --allow-overwrite`).join('; ');

/**
 * The replicas a restore rebuilds as standbys of the restored primary, or why it cannot
 * (before anything stops): a primary that pauses at its target never starts the timeline
 * they would follow, and a second primary in the zone is no replica.
 */
export function followingReplicas(
  inventory: Inventory,
  request: RestoreRequest,
  place: Place,
  facts: FactsByHost,
): HostSpec[] {
  if (request.standby) return [];
  if (inventory.patroni && request.replicas === 'leave')
    throw new BsyncError("--replicas leave: Patroni's replicas are rebuilt by Patroni (patronictl reinit)", {
      hint: 'Leave --replicas out in a Patroni zone.',
    });
  const replicas = plainReplicas(inventory, place);
  if (request.replicas !== 'follow' || replicas.length === 0) return [];
  const { zone, host } = place;
  if (request.target.type !== 'latest' && request.targetAction === 'pause')
    throw new BsyncError(
      `--target-action pause keeps ${host.name} in recovery at the target, and its replicas (${names(replicas)}) can follow only a primary that promoted`,
      { hint: `Add --replicas leave, and once replay is resumed rebuild them: ${rebuilds(replicas)}.` },
    );
  if (request.repoTargetTime)
    throw new BsyncError(
      `--repo-target-time reads the repository as it was, and ${host.name}'s replicas (${names(replicas)}) would be built from it as it is now`,
      { hint: `Add --replicas leave, and once the stanza is repaired rebuild them: ${rebuilds(replicas)}.` },
    );
  const primary = replicas.find((replica) => {
    const pg = facts.get(replica.name)?.postgres;
    return pg?.running && !pg.inRecovery;
  });
  if (primary)
    throw new BsyncError(
      `${primary.name} runs as a primary in zone ${zone.zone} beside ${host.name}: it is no replica that can follow the restore`,
      {
        hint: `A restore rebuilds the zone's streaming replicas from the repository; it does not replace a second primary. Plan again with --replicas leave to keep ${primary.name} as it is.`,
      },
    );
  return replicas;
}

/** The plan's first word on the replicas: who follows and how, or who is left behind and what then. */
export function replicasNote(
  inventory: Inventory,
  request: RestoreRequest,
  place: Place,
  source: { backup: string; repoKey: number },
): string[] {
  const replicas = plainReplicas(inventory, place);
  if (replicas.length === 0 || request.standby) return [];
  const one = replicas.length === 1;
  const { host } = place;
  if (request.replicas === 'leave')
    return [
      `--replicas leave: ${names(replicas)} ${one ? 'is' : 'are'} left as ${one ? 'it is' : 'they are'}, on the old timeline past the target. ${one ? 'It' : 'They'} cannot follow ${host.name} on its new timeline, so streaming stops and ${one ? 'it keeps' : 'they keep'} serving the old data read-only. Rebuild ${one ? 'it' : 'them'} from the repository when the restore is done: ${rebuilds(replicas)}.`,
    ];
  return [
    `Replicas follow: once ${host.name} has promoted on its new timeline, ${names(replicas)} ${one ? 'is' : 'are each'} stopped, restored from backup ${source.backup} of repo${source.repoKey} as a standby (pgBackRest --type=standby, recovery_target_timeline latest) and started: ${one ? 'it follows' : 'they follow'} the new timeline and stream${one ? 's' : ''} from ${host.name} as primary_conninfo in ${one ? 'its' : 'their'} own configuration files says. Until then ${one ? 'it keeps' : 'they keep'} the old data, read-only (the last copy of it, should the restore fail). --replicas leave keeps ${one ? 'it' : 'them'} as ${one ? 'it is' : 'they are'}.`,
  ];
}
