// One cluster's apply: its session, each selected host's lease, the plan made (a saved
// plan checked against it), confirmed, run, reported; then what the operation reports after.
import { diagnosticLine } from '../views/diagnostics.js';
import { performance } from 'node:perf_hooks';
import type { Inventory } from '../config/inventory.js';
import { Secret } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { executePlan } from '../apply/execute.js';
import { acquireLease, type HeldLease } from '../apply/lease.js';
import { Redactor } from '../apply/redactor.js';
import { operationTimings, timingsMetrics } from '../apply/timings.js';
import type { Metric } from '../metrics/prom.js';
import { checkSavedPlan } from '../plan/saved.js';
import type { Plan } from '../plan/types.js';
import { repoSecrets } from '../repositories/index.js';
import type { Semaphore } from '../semaphore.js';
import type { ApplyingView, ApplyView } from '../views/apply.js';
import type { ProgressView } from '../views/progress.js';
import { INTERRUPT_EXIT, type Interrupt } from './interrupt.js';
import { selectionOf, type Planned, type Planning } from './planning.js';
import type { HostSelection } from './selection.js';
import { gatherFacts, openSession, type Session } from './session.js';

export interface ApplyRun {
  planning: Planning;
  /** The plan file given to apply, read and trusted; the fresh plan must be it. */
  saved?: Plan;
  /** Its name, for the stale-plan messages. */
  planFile?: string;
  /** No question asked (--yes; a saved plan is its own answer). */
  yes: boolean;
  allowRestart: boolean;
  interrupt: Interrupt;
  /** Asks the person at the terminal (the command line's): true to go on. */
  confirm: () => Promise<boolean>;
}

/** What became of a cluster's apply: its exit code, the timings' metrics, whether hosts changed. */
export interface AppliedCluster {
  code: number;
  success: boolean;
  metrics: Metric[];
  changes: boolean;
}

/** What apply says when a plan brought a zone its first data and another round follows. */
const FIRST_DATA_SAYS = {
  planning: 'A zone has its first data: planning the declared state again, now that its server runs.',
  saved: 'A zone has its first data: run bsync apply (without a plan file) to set up the rest of its declared state.',
};

const ended = (code: number, changes = false): AppliedCluster => ({ code, success: code === 0, metrics: [], changes });

export async function applyCluster(
  inventory: Inventory,
  view: ApplyView,
  context: { selection: HostSelection; slots?: Semaphore },
  run: ApplyRun,
): Promise<AppliedCluster> {
  const began = performance.now();
  const session = await openSession(inventory, selectionOf(run.planning, inventory, context.selection), {
    slots: context.slots,
    extraNeeds: run.planning.extraNeeds,
  });
  const leases: HeldLease[] = [];
  try {
    await takeLeases(session, leases, view);
    const lostHosts = new Map<string, string>();
    for (const lease of leases) lease.startRenewing((message) => lostHosts.set(lease.host, message));
    const first = await applyRound(session, view, run, { lostHosts, began });
    if (!first.planAgain) return first;
    if (run.saved) {
      view.progress((run.planning.againSays ?? FIRST_DATA_SAYS).saved);
      return first;
    }
    view.progress((run.planning.againSays ?? FIRST_DATA_SAYS).planning);
    const second = await applyRound(
      session,
      view,
      { ...run, saved: undefined },
      { lostHosts, began: performance.now() },
    );
    return { ...second, changes: true, metrics: first.metrics };
  } finally {
    await Promise.all(leases.map((lease) => lease.release()));
    session.close();
  }
}

type AppliedRound = AppliedCluster & { planAgain?: boolean };

/** Facts, the plan (a saved plan checked against it), the question, the run. */
async function applyRound(
  session: Session,
  view: ApplyView,
  run: ApplyRun,
  at: { lostHosts: Map<string, string>; began: number },
): Promise<AppliedRound> {
  view.progress(`Gathering facts from ${session.involved.length} hosts...`);
  const planned = await run.planning.plan(session, await gatherFacts(session), run.saved?.nonce);
  for (const warning of planned.warnings ?? []) view.progress(diagnosticLine(warning));
  // The saved plan must be, value for value, the one made now: only the fresh plan's steps run.
  if (run.saved) checkSavedPlan(run.saved, planned.plan, { file: run.planFile ?? 'FILE', again: run.planning.again });
  const applying = view.planned(planned.plan);
  if (planned.plan.actions.length === 0) {
    applying.report({ results: [] });
    return ended(0);
  }
  if (!run.saved && !run.yes && !(await run.confirm())) {
    view.progress('Apply cancelled; nothing was changed.');
    return ended(1);
  }
  if (run.interrupt.requested) {
    view.progress('Interrupted before any change; nothing was changed.');
    return ended(INTERRUPT_EXIT);
  }
  const planSeconds = (performance.now() - at.began) / 1000;
  return await execute(session, view, { run, planned, applying, lostHosts: at.lostHosts, planSeconds });
}

/** The plan's actions run, reported with their timings; then the operation's report after, when all are done. */
async function execute(
  session: Session,
  view: ProgressView,
  at: { run: ApplyRun; planned: Planned; applying: ApplyingView; lostHosts: Map<string, string>; planSeconds: number },
): Promise<AppliedRound> {
  const { run, planned, applying, planSeconds } = at;
  const seed = applySeed();
  if (seed !== undefined) view.progress(`Actions start in a random order (BSYNC_APPLY_SEED=${seed}).`);
  const progress = applying.running();
  const applyStarted = performance.now();
  const results = await executePlan(planned, session.connections, {
    allowRestart: run.allowRestart,
    redactor: secretsOf(session.inventory),
    seed,
    stop: run.interrupt,
    hostProblem: (host) => at.lostHosts.get(host),
    onEvent: (event) => progress.onEvent(event),
  });
  progress.finish();
  const timings = operationTimings(planSeconds, results, planSeconds + (performance.now() - applyStarted) / 1000);
  applying.report({
    results,
    interrupted: run.interrupt.requested,
    ...(timings ? { timings } : {}),
  });
  if (run.interrupt.requested) return ended(INTERRUPT_EXIT, true);
  const allDone = results.every((result) => result.status === 'done');
  if (allDone) await planned.after?.(session, (message) => view.progress(message));
  const metrics = timings ? timingsMetrics(planned.plan.operation?.kind ?? 'apply', timings) : [];
  return { ...ended(allDone ? 0 : 1, true), metrics, planAgain: allDone && planned.planAgain === true };
}

function secretsOf(inventory: Inventory): Redactor {
  const redactor = new Redactor();
  for (const secret of [
    ...repoSecrets(inventory.repos),
    inventory.backupUser.password,
    inventory.replicationUser?.password,
  ])
    if (secret instanceof Secret) redactor.add(secret.reveal());
  return redactor;
}

/**
 * Every selected host's lease; if one is held elsewhere, none is kept. The first host (by
 * name) is taken alone first, so of two applies started together one wins, not neither.
 */
async function takeLeases(session: Session, leases: HeldLease[], view: ProgressView): Promise<void> {
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
