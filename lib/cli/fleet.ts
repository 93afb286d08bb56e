// Many clusters in one run: every -c config is one cluster; the command's own code runs
// once per cluster, all at once, under one bound on open SSH connections (each session
// takes its permits, lib/semaphore.ts). Each cluster's output is kept and printed under a
// heading naming it, in config order; then one summary line, and the most severe exit code.
// One config file alone runs exactly as before, with no heading and no summary.
import { loadConfig } from '../config/index.js';
import type { Inventory } from '../config/inventory.js';
import { mergeLabelled, type Metric } from '../metrics/prom.js';
import { printable } from '../printable.js';
import { Semaphore } from '../semaphore.js';
import { checkHostsNotShared, configLabels, expandConfigs, isFleet } from './fleet-configs.js';
import { withMetrics, type MeasuredRun } from './metrics-file.js';
import {
  describeError,
  directOutput,
  errorJson,
  progress,
  writeJson,
  type CommandOutput,
  type GlobalOptions,
} from './output.js';
import type { HostSelection } from './session.js';

export interface ClusterTarget {
  /** The config file as the user named it (a folder's files as folder/name.toml). */
  config: string;
  /** Its short name in the summary and metrics: the file name, or the path where two share one. */
  label: string;
  inventory: Inventory;
}

export interface ClusterContext {
  selection: HostSelection;
  /** Set in a fleet run: the bound on open connections, shared by every cluster's session. */
  slots?: Semaphore;
}

export interface ClusterRun extends MeasuredRun {
  /** The cluster needs changes (plan) or got them (apply): named in the summary. */
  changes?: boolean;
}

type ClusterCommand = (target: ClusterTarget, out: CommandOutput, context: ClusterContext) => Promise<ClusterRun>;

interface CommandSpec {
  /** The command, as the run metrics label it. */
  name: 'validate' | 'plan' | 'apply' | 'status' | 'verify';
  promFile?: string;
  /** How the summary calls clusters with changes (`with changes`, `changed`); absent: not counted. */
  changes?: string;
  /** Checks that need every cluster at hand, before any connects (plan --out's file names). */
  before?: (targets: ClusterTarget[]) => void;
}

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

export async function runCommand(
  options: GlobalOptions,
  spec: CommandSpec,
  runCluster: ClusterCommand,
): Promise<number> {
  const selection = { hosts: options.host, zones: options.zone };
  if (!isFleet(options.configs)) {
    const config = options.configs[0];
    return withMetrics(spec.promFile, spec.name, () =>
      runCluster({ config, label: config, inventory: loadConfig(config) }, directOutput, { selection }),
    );
  }
  return withMetrics(spec.promFile, spec.name, async () => {
    const outcomes = await runFleet(options, spec, runCluster);
    const code = combineExitCodes(outcomes.map((outcome) => outcome.code));
    if (options.json) writeJson(fleetDocument(spec.name, outcomes, code));
    else process.stdout.write(`${fleetSummary(outcomes, spec.changes)}\n`);
    return { code, success: outcomes.every((outcome) => outcome.success), metrics: fleetMetrics(spec.name, outcomes) };
  });
}

async function runFleet(
  options: GlobalOptions,
  spec: CommandSpec,
  runCluster: ClusterCommand,
): Promise<ClusterOutcome[]> {
  const files = expandConfigs(options.configs);
  const labels = configLabels(files);
  const outcomes: ClusterOutcome[] = files.map((config, index) => ({
    config,
    label: labels[index],
    cluster: null,
    code: 1,
    changes: false,
    text: '',
    metrics: [],
    success: false,
  }));
  const targets: Array<ClusterTarget | undefined> = outcomes.map((outcome) => {
    try {
      const inventory = loadConfig(outcome.config);
      outcome.cluster = inventory.cluster.name;
      return { config: outcome.config, label: outcome.label, inventory };
    } catch (error) {
      outcome.error = error;
      return undefined;
    }
  });
  const loaded = targets.filter((target): target is ClusterTarget => target !== undefined);
  checkHostsNotShared(loaded);
  spec.before?.(loaded);
  const context: ClusterContext = {
    selection: { hosts: options.host, zones: options.zone },
    slots: new Semaphore(options.parallel),
  };
  // Each cluster's command may listen for SIGINT and SIGTERM; many clusters are not a leak.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 2 * files.length + 10));
  const printer = orderedPrinter(outcomes, options.json);
  await Promise.all(
    outcomes.map(async (outcome, index) => {
      const target = targets[index];
      if (target) await runOne(outcome, target, runCluster, context);
      if (outcome.error !== undefined) progress(`bsync: error: ${outcome.label}: ${describeError(outcome.error)}`);
      printer(index);
    }),
  );
  return outcomes;
}

async function runOne(
  outcome: ClusterOutcome,
  target: ClusterTarget,
  runCluster: ClusterCommand,
  context: ClusterContext,
): Promise<void> {
  const out: CommandOutput = {
    text: (text) => (outcome.text += text),
    json: (value) => (outcome.json = value),
    progress: (message) => progress(`${outcome.label}: ${message}`),
  };
  try {
    const run = await runCluster(target, out, context);
    Object.assign(outcome, {
      code: run.code,
      success: run.success,
      metrics: run.metrics,
      changes: run.changes ?? false,
    });
  } catch (error) {
    outcome.error = error;
  }
}

/** Prints each cluster's section once it and every cluster before it are done: config order, without waiting for the slowest. */
function orderedPrinter(outcomes: ClusterOutcome[], json: boolean): (done: number) => void {
  const finished = outcomes.map(() => false);
  let next = 0;
  return (done) => {
    finished[done] = true;
    for (; next < outcomes.length && finished[next]; next += 1)
      if (!json) process.stdout.write(clusterSection(outcomes[next]));
  };
}

function clusterHeading(outcome: Pick<ClusterOutcome, 'config' | 'cluster'>): string {
  return `=== ${outcome.config}${outcome.cluster === null ? '' : ` (cluster ${outcome.cluster})`} ===`;
}

export function clusterSection(outcome: ClusterOutcome): string {
  const error = outcome.error === undefined ? '' : `Error: ${describeError(outcome.error)}\n`;
  return `${printable(clusterHeading(outcome))}\n${outcome.text}${printable(error)}\n`;
}

/**
 * The fleet's exit code: the most severe of the clusters'. An error (1) outranks drift (2),
 * so a cluster that could not be checked is never reported as mere drift; anything else
 * (130, interrupted) outranks both.
 */
export function combineExitCodes(codes: number[]): number {
  const severity = (code: number) => (code === 0 ? 0 : code === 2 ? 1 : code === 1 ? 2 : 3 + code);
  return codes.reduce((worst, code) => (severity(code) > severity(worst) ? code : worst), 0);
}

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
export function fleetDocument(command: CommandSpec['name'], outcomes: ClusterOutcome[], exitCode: number): unknown {
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

/** One metrics file for the fleet: each cluster's samples labelled with it, and whether it succeeded. */
export function fleetMetrics(command: string, outcomes: ClusterOutcome[]): Metric[] {
  const labelsOf = (outcome: ClusterOutcome) => ({ cluster: outcome.cluster ?? '', config: outcome.config });
  return [
    ...mergeLabelled(outcomes.map((outcome) => ({ labels: labelsOf(outcome), metrics: outcome.metrics }))),
    {
      name: 'bsync_cluster_success',
      help: 'Whether the last fleet run of this command did its job for the cluster (1) or failed (0).',
      type: 'gauge',
      samples: outcomes.map((outcome) => ({
        labels: { ...labelsOf(outcome), command },
        value: outcome.success && outcome.error === undefined ? 1 : 0,
      })),
    },
  ];
}
