// bsync apply: a saved plan, or plan, show, confirm; then the changes, under each host's lease.
import { createInterface } from 'node:readline/promises';
import { BsyncError } from '../errors.js';
import { executePlan } from '../apply/execute.js';
import { operationTimings, timingsMetrics } from '../apply/timings.js';
import { performance } from 'node:perf_hooks';
import { acquireLease, type HeldLease } from '../apply/lease.js';
import { repoSecrets } from '../repositories/index.js';
import { Redactor } from '../apply/redactor.js';
import { checkSavedPlan, readPlanFile } from '../plan/saved.js';
import type { Plan } from '../plan/types.js';
import type { Inventory } from '../config/inventory.js';
import { Secret } from '../config/inventory.js';
import type { View } from '../views/view.js';
import type { GlobalOptions } from './output.js';
import { isFleet } from './fleet-configs.js';
import { runCommand, type ClusterContext, type ClusterRun, type ClusterTarget } from './fleet.js';
import { DECLARED_STATE, selectionOf, type Planning } from './planning.js';
import { gatherFacts, openSession, type Session } from './session.js';
import { Interrupt, INTERRUPT_EXIT } from './interrupt.js';

// Where it was before lib/views held it; the unit tests import it from here.
export { applyReport } from '../views/text.js';

async function confirm(): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question('Apply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    prompt.close();
  }
}

function secretsOf(inventory: Inventory): Redactor {
  const redactor = new Redactor();
  for (const secret of [...repoSecrets(inventory.repos), inventory.backupUser.password])
    if (secret instanceof Secret) redactor.add(secret.reveal());
  return redactor;
}

export interface ApplyOptions extends GlobalOptions {
  planFile?: string;
  yes: boolean;
  allowRestart: boolean;
  /** A restore's or clone's metrics file: its phase timings and the run's. */
  promFile?: string;
}

export async function applyCommand(options: ApplyOptions): Promise<number> {
  if (isFleet(options.configs)) {
    if (options.planFile) {
      throw new BsyncError(
        `a saved plan belongs to one cluster: apply ${options.planFile} with the one config it was made from`,
        {
          hint: `bsync apply -c CONFIG ${options.planFile}; to plan and apply several clusters, run bsync apply --yes with their configs.`,
        },
      );
    }
    if (!options.yes) {
      throw new BsyncError('apply with several configs changes every cluster without asking: confirm with --yes', {
        hint: 'Look at the plans first: bsync plan with the same -c options.',
      });
    }
  }
  const saved = options.planFile ? readPlanFile(options.planFile) : undefined;
  // A saved restore or backup is planned again by its own command's planner, on its own hosts,
  // from its request as the command line's decoder of its kind reads it.
  const planning = saved?.operation
    ? await (await import('./restore.js')).savedOperationPlanning(saved.operation, options.planFile!)
    : undefined;
  return applyWith(options, { name: 'apply', saved, planning });
}

/** Plan, show, confirm (or --yes, or a saved plan that still holds), apply under each host's lease. */
export async function applyWith(
  options: ApplyOptions,
  spec: { name: 'apply' | 'restore' | 'backup'; saved?: Plan; planning?: Planning },
): Promise<number> {
  // One for the run: the first Ctrl-C stops new actions in every cluster.
  const interrupt = new Interrupt();
  try {
    return await runCommand(
      options,
      { name: spec.name, changes: 'changed', promFile: options.promFile },
      (target, view, context) =>
        applyCluster(target, view, context, {
          options,
          saved: spec.saved,
          interrupt,
          planning: spec.planning ?? DECLARED_STATE,
        }),
    );
  } finally {
    interrupt.dispose();
  }
}

async function applyCluster(
  target: ClusterTarget,
  view: View,
  context: ClusterContext,
  run: { options: ApplyOptions; saved?: Plan; interrupt: Interrupt; planning: Planning },
): Promise<ClusterRun> {
  const { options, saved, interrupt, planning } = run;
  const began = performance.now();
  const session = await openSession(target.inventory, selectionOf(planning, target.inventory, context.selection), {
    slots: context.slots,
    extraNeeds: planning.extraNeeds,
  });
  const leases: HeldLease[] = [];
  const done = (code: number, changes = false): ClusterRun => ({ code, success: code === 0, metrics: [], changes });
  try {
    await takeLeases(session, leases, view);
    const lostHosts = new Map<string, string>();
    for (const lease of leases) lease.startRenewing((message) => lostHosts.set(lease.host, message));
    view.progress(`Gathering facts from ${session.involved.length} hosts...`);
    const planned = await planning.plan(session, await gatherFacts(session), saved?.nonce);
    // The saved plan must be, value for value, the one made now: only the fresh plan's steps run.
    if (saved) checkSavedPlan(saved, planned.plan, { file: options.planFile ?? 'FILE', again: planning.again });
    const planSeconds = (performance.now() - began) / 1000;
    view.applyPlan(planned.plan);
    if (planned.plan.actions.length === 0) {
      view.applyReport({ plan: planned.plan, results: [] });
      return done(0);
    }
    if (!saved && !options.yes) {
      if (!process.stdin.isTTY)
        throw new BsyncError(
          'apply changes hosts: confirm with --yes, or apply a saved plan (bsync plan --out FILE; bsync apply FILE)',
        );
      if (!(await confirm())) {
        view.progress('Apply cancelled; nothing was changed.');
        return done(1);
      }
    }
    if (interrupt.requested) {
      view.progress('Interrupted before any change; nothing was changed.');
      return done(INTERRUPT_EXIT);
    }
    const seed = applySeed();
    if (seed !== undefined) view.progress(`Actions start in a random order (BSYNC_APPLY_SEED=${seed}).`);
    const progress = view.applyProgress(actionsPerHost(planned.plan));
    const applyStarted = performance.now();
    const results = await executePlan(planned, session.connections, {
      allowRestart: options.allowRestart,
      redactor: secretsOf(session.inventory),
      seed,
      stop: interrupt,
      hostProblem: (host) => lostHosts.get(host),
      onEvent: (event) => progress.onEvent(event),
    });
    progress.finish();
    const timings = operationTimings(planSeconds, results, planSeconds + (performance.now() - applyStarted) / 1000);
    view.applyReport({
      plan: planned.plan,
      results,
      interrupted: interrupt.requested,
      ...(timings ? { timings } : {}),
    });
    if (interrupt.requested) return done(INTERRUPT_EXIT, true);
    const allDone = results.every((result) => result.status === 'done');
    if (allDone) await planning.after?.(session, (message) => view.progress(message));
    const metrics = timings ? timingsMetrics(planned.plan.operation?.kind ?? 'apply', timings) : [];
    return { ...done(allDone ? 0 : 1, true), metrics };
  } finally {
    await Promise.all(leases.map((lease) => lease.release()));
    session.close();
  }
}

function actionsPerHost(plan: Plan): Map<string, number> {
  const counts = new Map<string, number>();
  for (const action of plan.actions) counts.set(action.host, (counts.get(action.host) ?? 0) + 1);
  return counts;
}

/**
 * Every selected host's lease; if one is held elsewhere, none is kept. The first host (by
 * name) is taken alone first, so of two applies started together one wins, not neither.
 */
async function takeLeases(session: Session, leases: HeldLease[], view: View): Promise<void> {
  const [first, ...rest] = session.selected.map((host) => host.name).sort();
  const take = (name: string) => acquireLease(session.connections.get(name)!, (message) => view.progress(message));
  leases.push(await take(first));
  const settled = await Promise.allSettled(rest.map(take));
  for (const result of settled) if (result.status === 'fulfilled') leases.push(result.value);
  const refused = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (refused.length === 1) throw refused[0];
  if (refused.length > 1) {
    throw new BsyncError(
      `${refused.length} hosts cannot be changed now:\n${refused.map((error) => `  ${error instanceof BsyncError ? error.describe().replace(/\n/g, '\n  ') : error.message}`).join('\n')}`,
    );
  }
}

/** BSYNC_APPLY_SEED: a whole number that makes apply start ready actions in a random, repeatable order. */
function applySeed(): number | undefined {
  const text = process.env.BSYNC_APPLY_SEED;
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,10}$/.test(text))
    throw new BsyncError(`BSYNC_APPLY_SEED=${JSON.stringify(text)} is not a whole number`, {
      hint: 'Give a number such as 42, or unset it.',
    });
  return Number(text);
}
