// A new zone's first data, restored (docs/recovery.md, "A cluster from a backup"): the
// declared state found a zone whose server has no data yet (lib/desired/first-data.ts); here
// the source zone's backup is restored there to the declared target, started and promoted,
// with the restore's own steps (restore.ts) and its refusals (restore-checks.ts). archive_mode
// is off from the restore on, so the copy never pushes WAL into the source's stanza; the
// declared state, planned again once the server runs, gives it its own stanza and archiving.
// A standby site's first data (standby_of) is a standby restore instead: the newest backup,
// --type=standby, started and waited for until consistent; never promoted, and planned again
// as a standby of the source (lib/desired/standby-site.ts).
import type { Inventory } from '../config/inventory.js';
import { HostResources } from '../desired/builder.js';
import { BsyncError } from '../errors.js';
import type { PendingFirstData } from '../desired/first-data.js';
import { processesFor } from '../desired/processes.js';
import { zonesOf, type FactsByHost } from '../desired/zone.js';
import { shq } from '../formats/shell.js';
import type { Resource } from '../resources/types.js';
import { primaryOf, recoveryWindow } from '../status/window.js';
import type { RestoreRequest } from './requests.js';
import { chooseBackup, checkInWindow, checkWal, readableRepo } from './restore-checks.js';
import { patroniBootstrap } from './patroni-bootstrap.js';
import { addRecoveryEnd, addRestoreAndStart, addStandbyReady, restoredLayout, type RestoreSource } from './restore.js';
import { walFetch } from './wal-fetch.js';

/** The kinds only a first data has in the declared state: the plan that holds one is followed by another. */
const FIRST_DATA_KINDS = new Set(['pg_restore', 'patroni_bootstrap']);

/** The source's backup restored, started and promoted on the pending host (under Patroni, bootstrapped); refused as a restore refuses. */
export function firstDataResources(
  inventory: Inventory,
  facts: FactsByHost,
  pending: PendingFirstData,
  planned?: string[],
): Resource[] {
  const { restore, request } = firstDataSource(inventory, facts, pending, planned);
  if (pending.patroni) return patroniBootstrap(inventory, facts, pending, restore, request);
  const out = new HostResources(pending.host.name);
  const started = addRestoreAndStart(out, inventory, restore, request, pending.after);
  if (pending.standby) addStandbyReady(out, restore, started);
  else addRecoveryEnd(out, restore, request, started);
  return out.resources;
}

/** The source's backup and window, checked as a restore checks them, and the restore that brings it here. */
function firstDataSource(
  inventory: Inventory,
  facts: FactsByHost,
  pending: PendingFirstData,
  planned: string[] | undefined,
): { restore: RestoreSource; request: RestoreRequest } {
  const { zone, host, from, standby } = pending;
  const source = zonesOf(inventory).find((candidate) => candidate.zone === from.zone)!;
  // Its facts are read with the new zone's (linked zones); its backup host's trust must be applied too.
  if (!facts.has(source.repoOwner.name) || (planned && !planned.includes(source.repoOwner.name))) {
    throw new BsyncError(
      `zone ${zone.zone}'s first data comes from zone ${from.zone}'s backup, whose repository is read on ${source.repoOwner.name}: it is not among the hosts planned`,
      { hint: `Plan the whole config (without --host or --zone), so that zone ${from.zone}'s repository is read too.` },
    );
  }
  const request: RestoreRequest = {
    zone: zone.zone,
    target: from.target,
    repo: from.repo,
    delta: false,
    targetAction: 'promote',
    allowOverwrite: false,
    ...(standby ? { standby } : {}),
  };
  const repo = readableRepo(inventory, source, facts, from.repo);
  const window = recoveryWindow(repo, primaryOf(source, facts)?.postgres?.archiver);
  // Nothing is archived first: the target must lie inside what the source's archive holds now.
  checkInWindow(request, window, from.repo, false);
  const backup = chooseBackup(repo, request, source.stanza);
  checkWal(repo, backup);
  const hostFacts = facts.get(host.name)!;
  const layout = restoredLayout(inventory, host, hostFacts, backup);
  const processes = processesFor(inventory, 'restore', hostFacts);
  // The source's stanza is not in a new zone's pgbackrest.conf: the folder goes on the command
  // line. A standby site's names it, with this folder: its restore_command is the declared one.
  const stanza = standby
    ? source
    : { ...source, pgbackrest: `${source.pgbackrest} --pg1-path=${shq(layout.dataDirectory)}` };
  const restore: RestoreSource = {
    ...{ zone: stanza, host, hostFacts, pg: hostFacts.postgres, repoKey: from.repo, repo, window, backup },
    ...{
      layout,
      spaceNote: '',
      processes,
      fetch: walFetch(inventory, stanza, processes),
      newServer: true,
      followers: [],
    },
  };
  return { restore, request };
}

/** A plan that brings a zone its first data: once it is applied, the zone's declared state is planned anew. */
export function bringsFirstData(resources: Resource[]): boolean {
  return resources.some((resource) => FIRST_DATA_KINDS.has(resource.kind) && resource.change !== null);
}
