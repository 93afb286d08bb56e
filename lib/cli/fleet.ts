// Many clusters in one run: every -c config is one cluster; the command's own code runs
// once per cluster, all at once, under one bound on open SSH connections (each session
// takes its permits, lib/semaphore.ts). Each cluster's output is kept and shown by the run's
// view under a heading naming it, in config order; then one summary, and the most severe exit code.
// One config file alone runs exactly as before, with no heading and no summary.
import { loadConfig } from '../config/index.js';
import type { Inventory } from '../config/inventory.js';
import { mergeLabelled, type Metric } from '../metrics/prom.js';
import { decodeDeclaredRequest } from '../recovery/requests.js';
import { Semaphore } from '../semaphore.js';
import { describeError, errorEntries } from '../views/error.js';
import { FLEET_VIEWS, type ClusterOutcome, type FleetCommand, type FleetView } from '../views/fleet.js';
import { progress, type Sink } from '../views/sink.js';
import { viewFor, type ViewForms } from '../views/view-for.js';
import { checkHostsNotShared, checkStanzasNotShared, configLabels, expandConfigs, isFleet } from './fleet-configs.js';
import { withMetrics, type MeasuredRun } from './metrics-file.js';
import type { GlobalOptions } from './output.js';
import type { HostSelection } from '../operations/selection.js';

// Where they were before lib/views held them; the unit tests import them from here.
export { clusterSection, fleetDocument, fleetSummary, type ClusterOutcome } from '../views/fleet.js';

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

/** A command's work on one cluster; all it shows goes through `view`, its command's (the cluster's own in a fleet run). */
type ClusterCommand<View> = (target: ClusterTarget, view: View, context: ClusterContext) => Promise<ClusterRun>;

interface CommandSpec<View> {
  /** The command, as the run metrics label it. */
  name: FleetCommand;
  /** What it shows: its view's text and JSON forms. */
  view: ViewForms<View>;
  promFile?: string;
  /** How the summary calls clusters with changes (`with changes`, `changed`); absent: not counted. */
  changes?: string;
  /** Checks that need every cluster at hand, before any connects (plan --out's file names). */
  before?: (targets: ClusterTarget[]) => void;
  /** It writes nothing (status, check): the config's secrets are not read (LoadOptions.readOnly). */
  readOnly?: boolean;
}

export async function runCommand<View>(
  options: GlobalOptions,
  spec: CommandSpec<View>,
  runCluster: ClusterCommand<View>,
): Promise<number> {
  // The declared state's request: which hosts and zones, decoded as every request is.
  const selection = decodeDeclaredRequest({ hosts: options.host, zones: options.zone });
  if (!isFleet(options.configs)) {
    const config = options.configs[0];
    return withMetrics(spec.promFile, spec.name, () =>
      runCluster(
        { config, label: config, inventory: loadConfig(config, { readOnly: spec.readOnly }) },
        viewFor(spec.view, options),
        {
          selection,
        },
      ),
    );
  }
  return withMetrics(spec.promFile, spec.name, async () => {
    const view = viewFor(FLEET_VIEWS, options);
    const outcomes = await runFleet(options, spec, runCluster, view, selection);
    const code = combineExitCodes(outcomes.map((outcome) => outcome.code));
    view.fleet({ command: spec.name, exitCode: code, changes: spec.changes });
    return { code, success: outcomes.every((outcome) => outcome.success), metrics: fleetMetrics(spec.name, outcomes) };
  });
}

async function runFleet<View>(
  options: GlobalOptions,
  spec: CommandSpec<View>,
  runCluster: ClusterCommand<View>,
  view: FleetView,
  selection: HostSelection,
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
      const inventory = loadConfig(outcome.config, { readOnly: spec.readOnly });
      outcome.cluster = inventory.cluster.name;
      return { config: outcome.config, label: outcome.label, inventory };
    } catch (error) {
      outcome.error = error;
      return undefined;
    }
  });
  const loaded = targets.filter((target): target is ClusterTarget => target !== undefined);
  checkHostsNotShared(loaded);
  checkStanzasNotShared(loaded);
  spec.before?.(loaded);
  const context: ClusterContext = { selection, slots: new Semaphore(options.parallel) };
  // Each cluster's command may listen for SIGINT and SIGTERM; many clusters are not a leak.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 2 * files.length + 10));
  const printer = orderedPrinter(outcomes, view);
  await Promise.all(
    outcomes.map(async (outcome, index) => {
      const target = targets[index];
      if (target) await runOne(outcome, target, runCluster, context, viewFor(spec.view, options, clusterSink(outcome)));
      for (const entry of outcome.error === undefined ? [] : errorEntries(outcome.error))
        view.progress(`bsync: error: ${outcome.label}: ${describeError(entry)}`);
      printer(index);
    }),
  );
  return outcomes;
}

async function runOne<View>(
  outcome: ClusterOutcome,
  target: ClusterTarget,
  runCluster: ClusterCommand<View>,
  context: ClusterContext,
  view: View,
): Promise<void> {
  try {
    const run = await runCluster(target, view, context);
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

/** A cluster's sink in a fleet run: its results kept for its section (or the fleet document), its progress prefixed. */
export function clusterSink(outcome: ClusterOutcome): Sink {
  return {
    text: (text) => {
      outcome.text += text;
    },
    json: (value) => {
      outcome.json = value;
    },
    progress: (message) => progress(`${outcome.label}: ${message}`),
    live: false,
  };
}

/** Prints each cluster's section once it and every cluster before it are done: config order, without waiting for the slowest. */
function orderedPrinter(outcomes: ClusterOutcome[], view: FleetView): (done: number) => void {
  const finished = outcomes.map(() => false);
  let next = 0;
  return (done) => {
    finished[done] = true;
    for (; next < outcomes.length && finished[next]; next += 1) view.cluster(outcomes[next]);
  };
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
