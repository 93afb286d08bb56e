// --prom-file: a command's own metrics plus the run's (success, duration, time), written
// whether the command succeeded or failed, so a failed run is seen as one.
import { performance } from 'node:perf_hooks';
import { runMetrics, writePromFile, type Metric } from '../metrics/prom.js';

export interface MeasuredRun {
  code: number;
  /** Whether the command did its job (a plan that finds drift did). */
  success: boolean;
  metrics: Metric[];
}

export async function withMetrics(
  promFile: string | undefined,
  command: string,
  work: () => Promise<MeasuredRun>,
): Promise<number> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let run: MeasuredRun;
  try {
    run = await work();
  } catch (error) {
    if (promFile) writePromFile(promFile, runMetrics(command, false, seconds()));
    throw error;
  }
  if (promFile) writePromFile(promFile, [...run.metrics, ...runMetrics(command, run.success, seconds())]);
  return run.code;
}
