// Walks the plan: hosts in parallel, one action at a time per host, an action starting
// once everything it depends on succeeded. A failed action stops only its dependents.
// With a seed, ready actions start in a random (repeatable) order, so tests can walk
// many legal orders; an interrupt stops new starts and waits a bounded time for the rest.
import type { PlannedChanges } from '../plan/build.js';
import type { ActionResult, ActionStatus, PlanAction } from '../plan/types.js';
import type { Change, Step, Template } from '../resources/types.js';
import { localConnection } from '../transport/local.js';
import type { HostConnection } from '../transport/types.js';
import type { Redactor } from './redactor.js';
import { printable } from '../printable.js';
import { progressFeed, type StepProgress } from '../facts/progress.js';
import type { Phase } from '../resources/phases.js';

/** Asked to stop: no new action starts; running ones get until `abandon` resolves. */
export interface ApplyStop {
  readonly requested: boolean;
  readonly abandon: Promise<void>;
}

interface ApplyOptions {
  allowRestart: boolean;
  redactor: Redactor;
  /** Picks among ready actions at random, repeatably (BSYNC_APPLY_SEED). */
  seed?: number;
  stop?: ApplyStop;
  /** Why a host can no longer be changed (its lease was taken over), or undefined. */
  hostProblem?: (host: string) => string | undefined;
  onEvent?: (event: ApplyEvent) => void;
}

/** What apply tells its watcher: an action started, settled, or (a long step) got further. */
export interface ApplyEvent {
  address: string;
  host: string;
  status: ActionStatus | 'started' | 'progress';
  message?: string;
  progress?: StepProgress;
  /** What the progress is measured against, in bsync's words (`of 1.2 GB`, `target 2026-12-07 11:26:24 UTC`). */
  goal?: string;
}

type Outputs = Map<string, Record<string, string>>;

class StepFailure extends Error {}

function resolve(template: Template, outputs: Outputs, redactor: Redactor): string {
  return template
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('secret' in part) return part.secret.reveal();
      const value = outputs.get(part.ref)?.[part.output];
      if (value === undefined) throw new StepFailure(`${part.label} is not known: ${part.ref} did not produce it`);
      if (part.sensitive) redactor.add(value);
      return value;
    })
    .join('');
}

async function runStep(
  step: Step,
  connection: HostConnection,
  outputs: Outputs,
  own: Record<string, string>,
  redactor: Redactor,
  onProgress: (progress: StepProgress, goal?: string) => void,
): Promise<void> {
  const stdin = step.stdin ? resolve(step.stdin, outputs, redactor) : undefined;
  const result = await connection.exec(step.command, {
    user: step.user,
    stdin,
    ...(step.progress
      ? { onStdout: progressFeed(step.progress.reader, (progress) => onProgress(progress, step.progress?.goal)) }
      : {}),
  });
  if (result.code !== 0) {
    // A secret step's stdout may hold the secret: only its stderr is told.
    const detail = failureDetail(step.secret ? result.stderr.trim() : result.stderr.trim() || result.stdout.trim());
    throw new StepFailure(redactor.redact(`exit ${result.code}${detail ? `: ${detail}` : ''}`));
  }
  const captured = result.stdout.trim();
  if (step.secret) redactor.add(captured);
  if (!step.capture) return;
  // Another host may receive it (a public key into authorized_keys): only as its grammar says.
  if (!step.capture.grammar.test(captured))
    throw new StepFailure(
      `its output is not ${step.capture.grammar.expected}${step.secret ? '' : `: ${printable(JSON.stringify(captured.slice(0, 200)))}`}; nothing was passed on to other hosts`,
    );
  own[step.capture.output] = captured;
}

/** What a person needs from a failed command: pgBackRest's ERROR line when there is one, else its last lines. */
export function failureDetail(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  const error = lines.findIndex((line) => /^(ERROR|FATAL|PANIC):/.test(line.trim()));
  const chosen = error >= 0 ? lines.slice(error, error + 1) : lines.slice(-6);
  return chosen.map((line) => line.trim()).join(' / ');
}

/** mulberry32: a small PRNG, enough to shuffle the ready actions repeatably. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

type Settled = Omit<ActionResult, 'address' | 'host'>;

/**
 * Whether an action can start now (`start`), must wait for its dependencies (`wait`), or
 * is settled without running: interrupted before it started, waiting for a host this run
 * does not change or for a dependency that did not succeed, or a restart not allowed.
 */
function readiness(
  action: PlanAction,
  status: Map<string, ActionStatus | 'running'>,
  inPlan: Set<string>,
  options: ApplyOptions,
): Settled | 'wait' | 'start' {
  if (options.stop?.requested)
    return { status: 'not started', message: 'apply was interrupted before it started', seconds: 0 };
  const outside = action.dependsOn.find((dep) => !inPlan.has(dep));
  if (outside) {
    return {
      status: 'skipped',
      message: `waits for ${outside}, on a host this run does not change (--host)`,
      seconds: 0,
    };
  }
  const deps = action.dependsOn.map((dep) => status.get(dep));
  const blocked = deps.find((dep) => dep !== undefined && dep !== 'running' && dep !== 'done');
  if (blocked) {
    const cause = action.dependsOn.find((dep) => status.get(dep) === blocked);
    return { status: 'skipped', message: `waits for ${cause} (${blocked})`, seconds: 0 };
  }
  if (action.requiresRestart && !options.allowRestart) {
    return {
      status: 'deferred',
      message: 'PostgreSQL needs a restart; run apply with --allow-restart, or restart it yourself and apply again',
      seconds: 0,
    };
  }
  return deps.some((dep) => dep !== 'done') ? 'wait' : 'start';
}

/** Runs an action's steps in order over its host's connection (or the controller's), and settles it. */
async function runAction(
  action: PlanAction,
  change: Change | undefined,
  connection: HostConnection | undefined,
  walk: {
    controller: () => HostConnection;
    outputs: Outputs;
    options: ApplyOptions;
    finish: (action: PlanAction, result: Settled) => void;
  },
): Promise<void> {
  const { controller, outputs, options, finish } = walk;
  const started = Date.now();
  const own: Record<string, string> = {};
  // Time per phase of the steps that name one (an operation's), for the report's phase timings.
  const phases: Array<{ phase: Phase; seconds: number }> = [];
  const phased = () => (phases.length > 0 ? { phases } : {});
  try {
    if (!change || !connection) throw new StepFailure('nothing to run it with (no change or no connection)');
    if (change.conflict) throw new StepFailure(`refused: ${change.conflict}`);
    const problem = options.hostProblem?.(action.host);
    if (problem) throw new StepFailure(problem);
    // Its own outputs are seen by its later steps (a certificate signed on the controller, then written to the host).
    outputs.set(action.address, own);
    const onProgress = (progress: StepProgress, goal?: string) =>
      options.onEvent?.({ address: action.address, host: action.host, status: 'progress', progress, goal });
    for (const step of change.steps) {
      const stepStarted = Date.now();
      try {
        await runStep(
          step,
          step.on === 'controller' ? controller() : connection,
          outputs,
          own,
          options.redactor,
          onProgress,
        );
      } finally {
        if (step.phase) phases.push({ phase: step.phase, seconds: (Date.now() - stepStarted) / 1000 });
      }
    }
    finish(action, { status: 'done', seconds: (Date.now() - started) / 1000, ...phased() });
  } catch (error) {
    const message =
      error instanceof StepFailure ? error.message : options.redactor.redact(String((error as Error).message ?? error));
    finish(action, { status: 'failed', message, seconds: (Date.now() - started) / 1000, ...phased() });
  }
}

export async function executePlan(
  planned: PlannedChanges,
  connections: Map<string, HostConnection>,
  options: ApplyOptions,
): Promise<ActionResult[]> {
  const { plan, changes } = planned;
  const outputs: Outputs = new Map();
  const status = new Map<string, ActionStatus | 'running'>();
  const results: ActionResult[] = [];
  const busyHosts = new Set<string>();
  const inPlan = new Set(plan.actions.map((action) => action.address));
  const emit = options.onEvent ?? (() => {});

  const random = options.seed === undefined ? undefined : seededRandom(options.seed);
  let local: HostConnection | undefined;
  const controller = () => (local ??= localConnection());
  let abandoned = false;
  const finish = (action: PlanAction, result: Settled) => {
    const now = status.get(action.address);
    if (now !== undefined && now !== 'running') return;
    status.set(action.address, result.status);
    results.push({ address: action.address, host: action.host, ...result });
    emit({ address: action.address, host: action.host, status: result.status, message: result.message });
  };

  const run = (action: PlanAction) =>
    runAction(action, changes.get(action.address), connections.get(action.host), {
      controller,
      outputs,
      options,
      finish,
    });

  return new Promise((resolveAll) => {
    const running = new Set<Promise<void>>();
    const results_ = () =>
      plan.actions.map((action) => results.find((result) => result.address === action.address) as ActionResult);
    options.stop?.abandon.then(() => {
      if (abandoned) return;
      abandoned = true;
      for (const action of plan.actions) {
        if (status.get(action.address) === 'running')
          finish(action, {
            status: 'interrupted',
            message: 'still running on the host when bsync stopped waiting',
            seconds: 0,
          });
      }
      schedule();
    });
    // Passes repeat until nothing more settles: in a shuffled order a dependent can come
    // before the dependency that a later step of the same pass skips.
    const schedule = () => {
      let settledBefore = -1;
      while (settledBefore !== results.length) {
        settledBefore = results.length;
        schedulePass();
      }
      if (running.size === 0 || abandoned) resolveAll(results_());
    };
    const schedulePass = () => {
      const candidates = random ? shuffled(plan.actions, random) : plan.actions;
      for (const action of candidates) {
        if (status.has(action.address)) continue;
        const ready = readiness(action, status, inPlan, options);
        if (ready !== 'start') {
          if (ready !== 'wait') finish(action, ready);
          continue;
        }
        if (busyHosts.has(action.host)) continue;
        busyHosts.add(action.host);
        status.set(action.address, 'running');
        emit({ address: action.address, host: action.host, status: 'started' });
        const task = run(action).finally(() => {
          busyHosts.delete(action.host);
          running.delete(task);
          schedule();
        });
        running.add(task);
      }
    };
    schedule();
  });
}
