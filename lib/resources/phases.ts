// The phases an operation's time is told in: what an operator waiting on a restore wants
// to know took how long. Steps name theirs (Step.phase); the apply report sums them in
// this order, after the planning that came before any step.
export const PHASES = [
  'plan and checks',
  'archive the WAL written so far',
  'Patroni pause',
  'preparation',
  'stop',
  'pgBackRest restore',
  'start',
  'WAL replay',
  'promotion',
  'Patroni resume',
  'replicas',
  'archive check',
  'checks',
  'cleanup',
] as const;

export type Phase = (typeof PHASES)[number];

/** Seconds per phase, in PHASES order, without the phases that took no step. */
export interface PhaseTiming {
  phase: Phase;
  seconds: number;
}

/** Sums per-phase seconds from many actions into PHASES order. */
export function sumPhases(parts: Iterable<{ phase: Phase; seconds: number }>): PhaseTiming[] {
  const sums = new Map<Phase, number>();
  for (const part of parts) sums.set(part.phase, (sums.get(part.phase) ?? 0) + part.seconds);
  return PHASES.filter((phase) => sums.has(phase)).map((phase) => ({
    phase,
    seconds: Math.round(sums.get(phase)! * 1000) / 1000,
  }));
}

const seconds = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} s`;

/** `plan and checks 1.2 s, stop 0.4 s, … (total 14 s)`. */
export function phasesText(phases: PhaseTiming[], totalSeconds: number): string {
  return `${phases.map((part) => `${part.phase} ${seconds(part.seconds)}`).join(', ')} (total ${seconds(totalSeconds)})`;
}
