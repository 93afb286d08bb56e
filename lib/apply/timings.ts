// An operation's phase timings (a restore, a clone): the planning before any step, then
// each phase's steps as the executor timed them, beside the whole run's wall-clock time,
// for the report (text, JSON) and the metrics file.
import type { Metric } from '../metrics/prom.js';
import type { ActionResult } from '../plan/types.js';
import { phasesText, sumPhases, type PhaseTiming } from '../resources/phases.js';

export interface OperationTimings {
  phases: PhaseTiming[];
  /** From the command's start to the last step's end, without the time a person took to confirm. */
  totalSeconds: number;
}

/** The timings, when the plan's steps named phases (an operation's); undefined for the declared state. */
export function operationTimings(
  planSeconds: number,
  results: ActionResult[],
  totalSeconds: number,
): OperationTimings | undefined {
  const timed = results.flatMap((result) => result.phases ?? []);
  if (timed.length === 0) return undefined;
  return {
    phases: sumPhases([{ phase: 'plan and checks', seconds: planSeconds }, ...timed]),
    totalSeconds: Math.round(totalSeconds * 1000) / 1000,
  };
}

/** `Phases: plan and checks 1.2 s, stop 0.4 s, … (total 14 s).` */
export function timingsText(timings: OperationTimings): string {
  return `Phases: ${phasesText(timings.phases, timings.totalSeconds)}.`;
}

/** The timings as metrics, labelled by the operation (restore, clone). */
export function timingsMetrics(operation: string, timings: OperationTimings): Metric[] {
  return [
    {
      name: 'bsync_operation_phase_seconds',
      help: 'Seconds each phase of the last operation took (plan and checks, stop, pgBackRest restore, start, WAL replay, ...)',
      type: 'gauge',
      samples: timings.phases.map((part) => ({ labels: { operation, phase: part.phase }, value: part.seconds })),
    },
    {
      name: 'bsync_operation_duration_seconds',
      help: 'Seconds the last operation took, from its start to its last step',
      type: 'gauge',
      samples: [{ labels: { operation }, value: timings.totalSeconds }],
    },
  ];
}
