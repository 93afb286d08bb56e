// A standby site's promotion (bsync promote --zone N; docs/recovery.md, "A standby site"): the
// zone's one server, in recovery, is promoted and waited for until it accepts writes. The
// config must no longer declare the zone standby_of: the promoted server is then the zone's
// primary, and the same apply plans the declared state again (its own stanza, archiving and
// first backup). A server that already runs as a primary has nothing to promote: the plan
// is the declared state's, so a promotion killed anywhere converges on its rerun.
import type { Inventory } from '../config/inventory.js';
import { zonesOf, type FactsByHost } from '../desired/zone.js';
import { BsyncError, HostError } from '../errors.js';
import { PG_OS_USER } from '../facts/probe.js';
import { shq } from '../formats/shell.js';
import type { OperationOf } from '../plan/types.js';
import { psqlCommand } from '../psql.js';
import { HostResources } from '../desired/builder.js';
import { inPhase, runChange, type Resource } from '../resources/types.js';
import { promoteOperation, type PromoteRequest } from './requests.js';

export interface PromotePlan {
  resources: Resource[];
  operation: OperationOf<'promote'>;
}

/** The promotion of zone N's one server; undefined when it runs as a primary already (nothing to promote). */
export function planPromote(
  inventory: Inventory,
  facts: FactsByHost,
  request: PromoteRequest,
): PromotePlan | undefined {
  const host = promotedHost(inventory, request.zone);
  const pg = facts.get(host.name)?.postgres;
  if (!pg?.running)
    throw new HostError(host.name, `PostgreSQL does not answer on port ${host.pgPort}: ${pg?.error ?? 'no facts'}`, {
      hint: 'bsync promotes a running standby: start it and plan again.',
    });
  if (!pg.inRecovery) return undefined;
  const out = new HostResources(host.name);
  const psql = psqlCommand(host.pgPort, '-At -v ON_ERROR_STOP=1');
  const inRecovery = `"$(${psql} -c 'SELECT pg_is_in_recovery()')"`;
  out.add(
    'pg_promote',
    undefined,
    `promote PostgreSQL on port ${host.pgPort}`,
    runChange(
      `the standby site becomes zone ${request.zone}'s primary, on a new timeline; it archives nothing until the declared state names its own stanza`,
      inPhase('promotion', [
        {
          user: PG_OS_USER,
          // A rerun finds it promoted already, or promoting: pg_promote waits for the end either way.
          command: [
            `[ ${inRecovery} = f ] || ${psql} -c ${shq('SELECT pg_promote(true, 3600)')} >/dev/null`,
            `[ ${inRecovery} = f ] || { echo 'PostgreSQL is still in recovery after pg_promote' >&2; exit 1; }`,
          ].join('\n'),
        },
      ]),
    ),
  );
  return {
    resources: out.resources,
    operation: promoteOperation(request, [
      `${host.name} leaves recovery and becomes zone ${request.zone}'s primary: it no longer follows zone ${standbySourceNote(inventory, request.zone)}.`,
      'Then apply plans the declared state again: its own stanza, archive_command and first backup (archive_mode needs a restart: --allow-restart).',
    ]),
  };
}

/** The zone's one PostgreSQL host, once the config no longer declares it a standby site; the rest refused. */
function promotedHost(inventory: Inventory, zoneNumber: number) {
  const zone = zonesOf(inventory).find((candidate) => candidate.zone === zoneNumber);
  if (!zone)
    throw new BsyncError(`--zone ${zoneNumber}: the config has no such zone`, {
      hint: `Zones: ${zonesOf(inventory)
        .map((each) => each.zone)
        .join(', ')}.`,
    });
  const of = inventory.standbyOf?.get(zoneNumber);
  if (of)
    throw new BsyncError(`zone ${zoneNumber} is still declared standby_of = { zone = ${of.zone} }`, {
      hint: `Remove standby_of from [[zone]] ${zoneNumber} in the config, then promote: the promoted server gets its own stanza, archiving and backups in the same apply (with standby_of kept, bsync would refuse it as a hand promotion).`,
    });
  if (inventory.patroni)
    throw new BsyncError('bsync promote does not promote a Patroni standby cluster yet', {
      hint: 'Change Patroni\'s standby_cluster settings with patronictl edit-config; docs/recovery.md, "A standby site".',
    });
  if (zone.postgresHosts.length !== 1)
    throw new BsyncError(
      `zone ${zoneNumber} has ${zone.postgresHosts.length} PostgreSQL hosts: bsync promote promotes a standby site, one server`,
      { hint: 'A replica of a zone with a primary is no standby site; promote it by hand, or restore the zone.' },
    );
  return zone.postgresHosts[0];
}

/** Which zone it followed, when the config's other zones tell: for the note only. */
function standbySourceNote(inventory: Inventory, zoneNumber: number): string {
  const others = zonesOf(inventory).filter((zone) => zone.zone !== zoneNumber);
  return others.length === 1 ? `${others[0].zone}'s stanza` : "its source's stanza";
}
