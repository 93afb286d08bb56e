// A restore's Patroni part: the cluster is paused before its leader stops (so Patroni
// neither restarts it nor fails over), the replicas of the old timeline are stopped, and
// after the leader's recovery the cluster resumes and each replica is built again from it.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { BsyncError, HostError } from '../errors.js';
import { HostResources } from '../desired/builder.js';
import { serverLayout } from '../desired/layout.js';
import { isPatroniLeader } from '../desired/patroni-settings.js';
import { interruptedRestore, markStep, unmarkStep } from './interrupted.js';
import type { FactsByHost, Zone } from '../desired/zone.js';
import { shq } from '../formats/shell.js';
import { pgCtlStep } from '../resources/pg-service.js';
import { inPhase, runChange, type ResourceRef, type Step } from '../resources/types.js';

export interface PatroniRestore {
  scope: string;
  /** No member leads and none runs PostgreSQL: the restored member becomes the new leader. */
  lost: boolean;
  pause: Step;
  resume: Step;
  replicas: Array<{ host: HostSpec; out: HostResources; stop?: Step; reinit: Step }>;
}

/** A patronictl command that also succeeds when it says the cluster is already as asked. */
function alreadySo(command: string, already: string): Step {
  return {
    command: `out=$(${command} 2>&1) || { echo "$out" | grep -qi ${shq(already)} || { echo "$out" >&2; exit 1; }; }`,
  };
}

/** The member Patroni names its leader, if any. */
export function patroniLeader(zone: Zone, facts: FactsByHost): HostSpec | undefined {
  return zone.postgresHosts.find((member) => {
    const patroni = facts.get(member.name)?.patroni;
    return patroni !== undefined && isPatroniLeader(patroni, member);
  });
}

/**
 * A cluster whose data is gone: Patroni answers but names no leader, and no member runs
 * PostgreSQL (they wait "for leader to bootstrap"). Any member can then be restored to lead
 * it; a member that does not answer is not counted as running, since Patroni's DCS, which
 * says who leads, names none.
 */
export function lostCluster(zone: Zone, facts: FactsByHost): boolean {
  const answering = zone.postgresHosts.filter((member) => facts.get(member.name)?.patroni?.scope);
  return (
    answering.length > 0
    && !patroniLeader(zone, facts)
    && zone.postgresHosts.every((member) => !facts.get(member.name)?.postgres?.running)
  );
}

/**
 * A Patroni zone's restore runs on its leader, as Patroni names it, or, when it names none
 * (paused, it lets go of the key once the leader stops), on the member a killed restore
 * marked, or, in a cluster whose data is gone, on the member asked for.
 */
export function patroniCluster(inventory: Inventory, zone: Zone, host: HostSpec, facts: FactsByHost): PatroniRestore {
  const config = inventory.patroni!.config;
  const patroni = facts.get(host.name)?.patroni;
  if (!patroni?.scope || patroni.members.length === 0) {
    throw new HostError(host.name, `Patroni does not answer: ${patroni?.errors.join('; ') || 'no facts'}`, {
      hint: 'A restore of a Patroni cluster pauses it through patronictl: Patroni and its DCS must run; nothing was stopped.',
    });
  }
  const leader = patroniLeader(zone, facts);
  const interrupted = leader ? undefined : interruptedRestore(patroni.scope, zone.postgresHosts, facts);
  const lost = !interrupted && lostCluster(zone, facts);
  if (!isPatroniLeader(patroni, host) && host !== interrupted && !lost) {
    throw new BsyncError(`${host.name} is not the leader of Patroni's cluster ${patroni.scope}: restore the leader`, {
      hint: leader
        ? `Plan again with --host ${leader.name} (or without --host).`
        : interrupted
          ? `An interrupted restore was restoring ${interrupted.name}: plan again with --host ${interrupted.name} (or without --host).`
          : 'Patroni names no leader now.',
    });
  }
  const patronictl = (args: string) => `patronictl -c ${shq(config)} ${args}`;
  const scope = shq(patroni.scope);
  return {
    scope: patroni.scope,
    lost,
    // Run again after an interruption, a paused cluster is what pause and resume want anyway.
    pause: alreadySo(patronictl(`pause ${scope} --wait`), 'already paused'),
    resume: alreadySo(patronictl(`resume ${scope} --wait`), 'not paused'),
    replicas: zone.postgresHosts
      .filter((member) => member.name !== host.name)
      .map((member) => {
        const pg = facts.get(member.name)?.postgres;
        return {
          host: member,
          out: new HostResources(member.name),
          ...(pg?.running ? { stop: pgCtlStep(serverLayout(pg), 'stop') } : {}),
          reinit: { command: patronictl(`reinit ${scope} ${shq(member.name)} --force --wait`) },
        };
      }),
  };
}

/** The pause, on the leader, then the stop of every running replica; returns what the leader's stop waits for. */
export function addPatroniPause(
  out: HostResources,
  cluster: PatroniRestore,
  archived: ResourceRef | undefined,
): { paused: ResourceRef; replicasStopped: ResourceRef[] } {
  const paused = out.add(
    'patroni_pause',
    cluster.scope,
    `pause Patroni's cluster ${cluster.scope}`,
    runChange(
      'no failover and no restart while the leader is restored',
      inPhase('Patroni pause', [markStep(cluster.scope), cluster.pause]),
    ),
    [archived],
  );
  const replicasStopped = cluster.replicas.flatMap((replica) =>
    replica.stop
      ? [
          replica.out.add(
            'pg_stop',
            undefined,
            `stop PostgreSQL on port ${replica.host.pgPort}`,
            runChange(
              'a replica of the old timeline; rebuilt from the restored leader after',
              inPhase('Patroni pause', [replica.stop]),
            ),
            [paused],
          ),
        ]
      : [],
  );
  return { paused, replicasStopped };
}

/**
 * Patroni resumes with the restored leader; each replica is built again from it (its
 * create_replica_methods: the repository first where declared).
 */
export function addPatroniResume(out: HostResources, cluster: PatroniRestore, ended: ResourceRef): ResourceRef {
  const resumed = out.add(
    'patroni_resume',
    cluster.scope,
    `resume Patroni's cluster ${cluster.scope}`,
    runChange('the restored server leads again', inPhase('Patroni resume', [cluster.resume, unmarkStep])),
    [ended],
  );
  for (const replica of cluster.replicas) {
    replica.out.add(
      'patroni_reinit',
      replica.host.name,
      `rebuild ${replica.host.name} as a replica of the restored leader`,
      runChange('its data is of the old timeline: patronictl reinit', inPhase('replicas', [replica.reinit])),
      [resumed],
    );
  }
  return resumed;
}

/** The note that leads a Patroni restore's notes. */
/** What becomes of the other members, in words. */
function replicasText(cluster: PatroniRestore): string {
  const names = cluster.replicas.map((replica) => replica.host.name);
  if (names.length === 0) return 'it has no replica to rebuild';
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} rebuilt from it after`;
}

export function patroniNote(cluster: PatroniRestore, leader: HostSpec): string {
  if (cluster.lost)
    return `Patroni's cluster ${cluster.scope} has no leader and no member runs PostgreSQL: ${leader.name} is restored while the cluster is paused and leads it when it resumes; ${replicasText(cluster)}.`;
  return `Patroni's cluster ${cluster.scope} is paused while its leader ${leader.name} is restored; ${replicasText(cluster)}.`;
}
