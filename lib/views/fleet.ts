// A fleet run's output: each cluster's section under a heading, one summary line, or with
// --json one document holding every cluster's (schemas/fleet.schema.json).
import type { Metric } from '../metrics/prom.js';
import { printable } from '../printable.js';
import { describeError, errorEntries, errorJson } from './error.js';

/** The commands that run over several configs, as the fleet document and the run metrics name them. */
export type FleetCommand = 'validate' | 'plan' | 'apply' | 'status' | 'check' | 'verify' | 'restore' | 'backup';

/** What one cluster gave in a fleet run. */
export interface ClusterOutcome {
  config: string;
  label: string;
  cluster: string | null;
  code: number;
  changes: boolean;
  /** What the command printed for a person. */
  text: string;
  /** What it printed with --json (absent when it failed first). */
  json?: unknown;
  error?: unknown;
  metrics: Metric[];
  success: boolean;
}

function clusterHeading(outcome: Pick<ClusterOutcome, 'config' | 'cluster'>): string {
  return `=== ${outcome.config}${outcome.cluster === null ? '' : ` (cluster ${outcome.cluster})`} ===`;
}

export function clusterSection(outcome: ClusterOutcome): string {
  const error =
    outcome.error === undefined
      ? ''
      : errorEntries(outcome.error)
          .map((entry) => `bsync: error: ${describeError(entry)}\n`)
          .join('');
  return `${printable(clusterHeading(outcome))}\n${outcome.text}${printable(error)}\n`;
}

/** Failed: an error, or an exit code other than in sync (0) and drift (2). */
const failed = (outcome: ClusterOutcome) => outcome.error !== undefined || (outcome.code !== 0 && outcome.code !== 2);

/** `Fleet: 3 clusters, 1 with changes (ha.toml), 0 failed.` */
export function fleetSummary(outcomes: ClusterOutcome[], changesWord?: string): string {
  const part = (count: ClusterOutcome[], word: string) =>
    `${count.length} ${word}${count.length > 0 ? ` (${count.map((outcome) => outcome.label).join(', ')})` : ''}`;
  const parts = [`${outcomes.length} cluster${outcomes.length === 1 ? '' : 's'}`];
  if (changesWord)
    parts.push(
      part(
        outcomes.filter((outcome) => outcome.changes && !failed(outcome)),
        changesWord,
      ),
    );
  parts.push(part(outcomes.filter(failed), 'failed'));
  return printable(`Fleet: ${parts.join(', ')}.`);
}

/** --json with several configs: one document (schemas/fleet.schema.json). */
export function fleetDocument(command: FleetCommand, outcomes: ClusterOutcome[], exitCode: number): unknown {
  return {
    format: 'bsync-fleet',
    version: 1,
    command,
    clusters: outcomes.map((outcome) => ({
      config: outcome.config,
      cluster: outcome.cluster,
      ...(outcome.error !== undefined ? { error: errorJson(outcome.error) } : { [command]: outcome.json ?? null }),
      exitCode: outcome.error !== undefined ? 1 : outcome.code,
    })),
    exitCode,
  };
}
