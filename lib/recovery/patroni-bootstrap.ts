// A Patroni zone's first data (docs/recovery.md, "A Patroni zone from a backup"), bootstrapped
// by Patroni itself: each member's patroni.yml gets the bootstrap (lib/desired/patroni-first-data.ts
// says when), a custom bootstrap method that restores the source's backup to the target, with
// archive_mode off in the new dynamic configuration. Then, through
// the first member that answers, the lost cluster's state in the DCS is removed: Patroni
// finds the cluster uninitialized and bootstraps it from patroni.yml, the other members
// follow as replicas. Killed after the removal, Patroni goes on alone; the rerun finds a
// leader (the declared state) or a bootstrap under way (refused until it leads).
import type { Inventory } from '../config/inventory.js';
import { HostResources } from '../desired/builder.js';
import type { PendingFirstData } from '../desired/first-data.js';
import { BOOTSTRAP_KEYS, bootstrapMember } from '../desired/patroni-first-data.js';
import type { FactsByHost } from '../desired/zone.js';
import { shq } from '../formats/shell.js';
import { planPatroniYml, planReplicaMethods, type PatroniYmlEntry } from '../resources/patroni-local.js';
import { inPhase, resourceAddress, runChange, type Resource } from '../resources/types.js';
import type { RestoreRequest } from './requests.js';
import type { RestoreSource } from './restore.js';
import { restoreTargetOptions, targetText } from './target.js';

/** How long the bootstrap is waited for: a restore of a large cluster takes hours. */
const BOOTSTRAP_WAIT_SECONDS = 6 * 3600;

/** This member's patroni.yml with the bootstrap; on the first member answering, the bootstrap itself. */
export function patroniBootstrap(
  inventory: Inventory,
  facts: FactsByHost,
  pending: PendingFirstData,
  restore: RestoreSource,
  request: RestoreRequest,
): Resource[] {
  const { zone, host, after } = pending;
  const config = inventory.patroni!.config;
  const hostFacts = facts.get(host.name)!;
  const scope = hostFacts.patroni?.scope ?? '';
  const entries = bootstrapEntries(restore, request);
  const methods = inventory.patroni!.createReplicaMethods;
  const yml = {
    scope,
    reload: true,
    reason: `Patroni bootstraps the cluster from zone ${pending.from.zone}'s backup`,
  };
  const out = new HostResources(host.name);
  out.add(
    'patroni_yml',
    config,
    `${config} (bootstrap from zone ${pending.from.zone}'s backup)`,
    methods
      ? planReplicaMethods(config, hostFacts.files[config], methods, zone, scope, entries)
      : planPatroniYml(config, hostFacts.files[config], entries, yml),
    after,
  );
  if (bootstrapMember(zone, facts).name !== host.name) return out.resources;
  const members = zone.postgresHosts;
  out.add(
    'patroni_bootstrap',
    scope,
    `bootstrap ${scope} from ${restore.zone.stanza}`,
    runChange(
      `Patroni's cluster has no data: its state in the DCS is removed, and Patroni bootstraps it from patroni.yml; apply waits until ${members.length === 1 ? 'it leads' : 'every member runs'}`,
      inPhase('pgBackRest restore', [{ command: bootstrapScript(config, scope, members.length) }]),
      [
        { name: 'backup set', after: restore.backup.label },
        {
          name: 'first data',
          after: `${targetText(request.target)}, then the zone's own stanza, archiving and first backup`,
        },
      ],
    ),
    members.map((member) => resourceAddress(member.name, 'patroni_yml', config)),
  );
  return out.resources;
}

/** The bootstrap keys as patroni.yml should hold them while the first data is to come. */
function bootstrapEntries(restore: RestoreSource, request: RestoreRequest): PatroniYmlEntry[] {
  return [
    [[...BOOTSTRAP_KEYS.method], 'pgbackrest'],
    [
      [...BOOTSTRAP_KEYS.pgbackrest],
      // Patroni runs it without a shell, as PostgreSQL's user, and keeps the recovery settings
      // pgBackRest writes (the target, and restore_command from the source's stanza).
      { command: bootstrapRestore(restore, request), keep_existing_recovery_conf: true, no_params: true },
    ],
    [[...BOOTSTRAP_KEYS.archiveMode], 'off'],
  ];
}

/** pgBackRest's restore of the chosen set to the target, as one command line Patroni splits. */
function bootstrapRestore(restore: RestoreSource, request: RestoreRequest): string {
  const targeted = request.target.type !== 'latest';
  return [
    restore.zone.pgbackrest,
    `--stanza=${shq(restore.zone.stanza)}`,
    ...restore.processes.options,
    `--repo=${restore.repoKey}`,
    `--set=${shq(restore.backup.label)}`,
    ...restoreTargetOptions(request.target).map(shq),
    ...(targeted ? ['--target-action=promote'] : []),
    'restore',
  ].join(' ');
}

/** The lost cluster's DCS state removed, unless a member leads already; then the wait for every member to run. */
function bootstrapScript(config: string, scope: string, members: number): string {
  const patronictl = `patronictl -c ${shq(config)}`;
  const count = (test: string) =>
    `${patronictl} list ${shq(scope)} -f json | python3 -c ${shq(`import sys, json; members = json.load(sys.stdin); sys.exit(0 if ${test} else 1)`)}`;
  const leads = count('any("Leader" in m.get("Role", "") and m.get("State") == "running" for m in members)');
  const allRun = count(
    `sum(m.get("State") in ("running", "streaming") for m in members) >= ${members} and any("Leader" in m.get("Role", "") for m in members)`,
  );
  return [
    `if ! ${leads}; then`,
    `  printf '%s\\n%s\\n' ${shq(scope)} 'Yes I am aware' | ${patronictl} remove ${shq(scope)} >/dev/null`,
    `fi`,
    `for i in $(seq 1 ${BOOTSTRAP_WAIT_SECONDS / 2}); do ${allRun} && exit 0; sleep 2; done`,
    `echo ${shq(`Patroni's bootstrap of ${scope} did not end within ${BOOTSTRAP_WAIT_SECONDS / 3600} h: see Patroni's log on its members`)} >&2`,
    'exit 1',
  ].join('\n');
}
