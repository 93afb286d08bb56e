// Prometheus textfile-collector output (`--prom-file`): metric names with the bsync_
// prefix and base units in their suffix, label values escaped as the text format says,
// and the file replaced atomically so the collector never reads half of it.
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BsyncError } from '../errors.js';
import type { MetricName } from './names.js';

export { METRIC_NAMES, type MetricName } from './names.js';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Metric {
  /** One of METRIC_NAMES (lib/metrics/names.ts). */
  name: MetricName;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function renderMetrics(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) throw new Error(`bad metric name ${metric.name}`);
    lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const sample of metric.samples) {
      const labels = Object.entries(sample.labels ?? {});
      const labelText =
        labels.length === 0 ? '' : `{${labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
      lines.push(`${metric.name}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Several sets of metrics as one (a fleet run's clusters): each set's samples get its labels
 * first, and samples of one name stay together under one HELP and TYPE, as the format asks.
 */
export function mergeLabelled(parts: Array<{ labels: Record<string, string>; metrics: Metric[] }>): Metric[] {
  const merged = new Map<string, Metric>();
  for (const { labels, metrics } of parts) {
    for (const metric of metrics) {
      const into = merged.get(metric.name) ?? { ...metric, samples: [] };
      into.samples.push(...metric.samples.map((sample) => ({ ...sample, labels: { ...labels, ...sample.labels } })));
      merged.set(metric.name, into);
    }
  }
  return [...merged.values()];
}

/** The run itself: did it succeed, how long it took, when it ran. */
export function runMetrics(
  command: string,
  success: boolean,
  durationSeconds: number,
  finishedAt = Date.now() / 1000,
): Metric[] {
  const labels = { command };
  return [
    {
      name: 'bsync_run_success',
      help: 'Whether the last bsync run of this command succeeded (1) or failed (0).',
      type: 'gauge',
      samples: [{ labels, value: success ? 1 : 0 }],
    },
    {
      name: 'bsync_run_duration_seconds',
      help: 'How long the last bsync run of this command took.',
      type: 'gauge',
      samples: [{ labels, value: Math.round(durationSeconds * 1000) / 1000 }],
    },
    {
      name: 'bsync_run_timestamp_seconds',
      help: 'When the last bsync run of this command finished (Unix time).',
      type: 'gauge',
      samples: [{ labels, value: Math.round(finishedAt) }],
    },
  ];
}

/** Writes the file next to its final name, then renames it over the old one. */
export function writePromFile(path: string, metrics: Metric[]): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, renderMetrics(metrics), { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    throw new BsyncError(
      `cannot write the metrics file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { where: path, hint: 'Name a file in a folder bsync can write to (--prom-file).' },
    );
  }
}
