// A restore in place, or a standby rebuilt from the repository: where it runs, the space its
// data directory can have (a second, small round trip: the folder is known only from the
// first one's facts), the setup plan it relies on, and the plan.
import type { HostSpec, Inventory } from '../config/inventory.js';
import type { Zone } from '../desired/zone.js';
import { desiredState } from '../desired/index.js';
import { aboutHostState, errorOf, firstError } from '../diagnostics.js';
import type { HostFacts } from '../facts/types.js';
import { measureSpace } from '../facts/space.js';
import { buildPlan } from '../plan/build.js';
import type { Resource } from '../resources/types.js';
import { decodeRestoreRequest, decodeStandbyRequest, type RestoreRequest } from '../recovery/requests.js';
import { planRestore, restoredDataDirectory, restoreNeeds, restorePlace } from '../recovery/restore.js';
import { followingReplicas } from '../recovery/restore-replicas.js';
import { repoTimeAgain, repoTimeNeeds } from '../recovery/repo-target-time.js';
import { targetText } from '../recovery/target.js';
import { hostsOf, type Operation, type RequestSource } from './operation.js';
import type { Planning } from './planning.js';
import { usingFacts } from './session.js';

export function restorePlanning(request: RestoreRequest, source: RequestSource = 'command line'): Planning {
  const options = [
    request.host !== undefined ? `--host ${request.host}` : request.zone !== undefined ? `--zone ${request.zone}` : '',
    `--target ${targetText(request.target)}`,
    request.allowOverwrite ? '--allow-overwrite' : '',
    request.standby ? '--standby' : '',
    request.replicas === 'leave' ? '--replicas leave' : '',
    ...repoTimeAgain(request),
  ].filter(Boolean);
  return {
    // A saved plan pins the host; it concerns the zone it was made for, as `bsync restore --zone` selects it.
    selection:
      request.zone !== undefined && source === 'saved plan'
        ? { zones: [request.zone] }
        : request.host !== undefined
          ? { hosts: [request.host] }
          : request.zone !== undefined
            ? { zones: [request.zone] }
            : undefined,
    extraNeeds: (inventory, host) => [...restoreNeeds(inventory, host), ...repoTimeNeeds(inventory, request)],
    again: `bsync restore ${options.join(' ')} --out FILE`,
    plan: async (session, facts, nonce) => {
      const { inventory } = session;
      const { host, zone, folders } = usingFacts(session, facts, (checked) => {
        const place = restorePlace(inventory, request, checked);
        return { ...place, folders: restoredFolders(inventory, request, place, checked) };
      });
      const [space, ...replicas] = await Promise.all(
        folders.map(({ name, dataDirectory }) => measureSpace(session.connections.get(name)!, name, dataDirectory)),
      );
      const replicaSpace = new Map(folders.slice(1).map(({ name }, index) => [name, replicas[index]]));
      return usingFacts(session, facts, (checked) => {
        // Down, and brought back by this restore: its host, a Patroni member, a replica that follows.
        const down = (name: string) =>
          name === host.name
          || ((inventory.patroni !== undefined || replicaSpace.has(name)) && stoppedMember(zone, name, checked));
        const setup = restoreSetup(inventory, checked, down);
        const restore = planRestore({
          inventory,
          facts: checked,
          request,
          setup,
          space,
          replicaSpace,
          now: Date.now(),
        });
        return buildPlan(inventory, hostsOf(restore.resources), restore.resources, nonce, [], restore.operation);
      });
    },
  };
}

/** The data directories a restore replaces, each to be measured: its host's, then each following replica's. */
function restoredFolders(
  inventory: Inventory,
  request: RestoreRequest,
  place: { zone: Zone; host: HostSpec },
  facts: Map<string, HostFacts>,
): Array<{ name: string; dataDirectory: string }> {
  return [place.host, ...followingReplicas(inventory, request, place, facts)].map((host) => ({
    name: host.name,
    dataDirectory: restoredDataDirectory(inventory, { zone: place.zone, host }, facts),
  }));
}

/**
 * The declared state's resources, which the restore relies on; undefined when a host that is
 * down cannot be planned for: the restore is what brings it back. Planning stopped at the first
 * error before diagnostics were values, and what follows it may follow from that host being down
 * (a paused Patroni names no leader once its server stops), so the first error decides.
 */
export function restoreSetup(
  inventory: Inventory,
  facts: Map<string, HostFacts>,
  down: (host: string) => boolean,
): Resource[] | undefined {
  const { resources, diagnostics } = desiredState(inventory, facts);
  const error = firstError(diagnostics);
  if (!error) return resources;
  if (aboutHostState(error) && down(error.host)) return undefined;
  throw errorOf(error);
}

/** A PostgreSQL host of the zone whose server does not run (a Patroni member or a replica an interrupted restore stopped). */
function stoppedMember(
  zone: { postgresHosts: Array<{ name: string }> },
  name: string,
  facts: Map<string, HostFacts>,
): boolean {
  return zone.postgresHosts.some((member) => member.name === name) && !facts.get(name)?.postgres?.running;
}

export const RESTORE: Operation<RestoreRequest> = {
  command: 'restore',
  decode: decodeRestoreRequest,
  planning: restorePlanning,
};

export const STANDBY: Operation<RestoreRequest> = {
  command: 'restore',
  decode: decodeStandbyRequest,
  planning: restorePlanning,
};
