// A fleet run's view, around each cluster's own command view: each cluster's section under
// a heading, one summary line, or with --json one document holding every cluster's
// (schemas/fleet.schema.json).
import type { Metric } from '../metrics/prom.js';
import { printable } from '../printable.js';
import { describeError, errorEntries, errorJson } from './error.js';
import { progressView, type ProgressView } from './progress.js';
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

/** The commands that run over several configs, as the fleet document and the run metrics name them. */
export type FleetCommand =
  | 'validate'
  | 'plan'
  | 'apply'
  | 'status'
  | 'check'
  | 'verify'
  | 'restore'
  | 'backup'
  | 'promote';

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

/** How a fleet run ended. */
export interface FleetEnd {
  command: FleetCommand;
  exitCode: number;
  /** How the summary calls clusters with changes (`with changes`, `changed`); absent: not counted. */
  changes?: string;
}

export interface FleetView extends ProgressView {
  /** One cluster is done (called in config order): text shows its section now, JSON keeps it for the document. */
  cluster(outcome: ClusterOutcome): void;
  /** Every cluster is done: text's summary line, or JSON's one document of every cluster's. */
  fleet(end: FleetEnd): void;
}

/**
 * Both forms keep each cluster's outcome as it comes (in config order) for the end: the
 * text form also shows its section at once, the JSON form nothing until its one document.
 */
function fleetView(
  sink: Sink,
  shows: { section?: (outcome: ClusterOutcome) => void; end: (outcomes: ClusterOutcome[], end: FleetEnd) => void },
): FleetView {
  const outcomes: ClusterOutcome[] = [];
  return {
    ...progressView(sink),
    cluster: (outcome) => {
      outcomes.push(outcome);
      shows.section?.(outcome);
    },
    fleet: (end) => shows.end(outcomes, end),
  };
}

export const FLEET_VIEWS: ViewForms<FleetView> = {
  text: (sink) =>
    fleetView(sink, {
      section: (outcome) => sink.text(clusterSection(outcome)),
      end: (outcomes, { changes }) => sink.text(`${fleetSummary(outcomes, changes)}\n`),
    }),
  json: (sink) =>
    fleetView(sink, {
      end: (outcomes, { command, exitCode }) => sink.json(fleetDocument(command, outcomes, exitCode)),
    }),
};
