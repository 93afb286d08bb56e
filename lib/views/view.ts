// One interface for everything a command shows: its results (plans, apply reports, facts,
// status, verify, validate), a fleet run's sections and summary, errors and progress. Two
// views: text for people (lib/views/text.ts) and JSON for machines (lib/views/json.ts),
// chosen once from the global options (view-for.ts); commands call the view and never ask which it is.
import type { OperationTimings } from '../apply/timings.js';
import type { ActionResult } from '../plan/types.js';
import type { ApplyProgress } from './apply-progress.js';
import type { Plan } from '../plan/types.js';
import type { CheckReport } from '../status/check.js';
import type { StatusReport } from '../status/report.js';
import type { VerifyReport } from '../verify/report.js';
import type { ClusterOutcome, FleetCommand } from './fleet.js';

/** What apply did; with --json, this object as it is. `interrupted` is absent when nothing was to be done. */
export interface ApplyOutcome {
  plan: Plan;
  results: ActionResult[];
  interrupted?: boolean;
  /** A restore's or clone's phase timings. */
  timings?: OperationTimings;
}

export interface ValidateResult {
  config: string;
  hosts: number;
  warnings: string[];
  /** How an encrypted [ssh] identity is opened: with ssh.passphrase (and its source) or through the agent. */
  identity?: string;
}

/** What bsync init wrote, and the secret files the user must create before validate. */
export interface InitResult {
  config: string;
  /** Each host as the config has it, with what it is (primary, replica, backup host). */
  hosts: Array<{ name: string; zone: number; found: string }>;
  secretFiles: Array<{ path: string; holds: string }>;
  /** What validate would still refuse once the secret files exist: edits the file needs. */
  problems: string[];
}

export interface FleetResult {
  command: FleetCommand;
  outcomes: ClusterOutcome[];
  exitCode: number;
  /** How the summary calls clusters with changes (`with changes`, `changed`); absent: not counted. */
  changes?: string;
}

export interface View {
  /** bsync plan's plan. */
  plan(plan: Plan): void;
  /** The plan apply is about to carry out, before it asks (JSON shows it in the report instead). */
  applyPlan(plan: Plan): void;
  /** What apply shows while its actions run (on stderr in both views). */
  applyProgress(actionsPerHost: Map<string, number>): ApplyProgress;
  applyReport(report: ApplyOutcome): void;
  status(report: StatusReport): void;
  /** bsync check: broken thresholds, one line each (JSON: the whole report). */
  check(report: CheckReport): void;
  verify(report: VerifyReport): void;
  validate(result: ValidateResult): void;
  init(result: InitResult): void;
  /** The gathered facts, secrets redacted: JSON in both views. */
  facts(facts: Record<string, unknown>): void;
  /** One cluster of a fleet run is done (called in config order). */
  cluster(outcome: ClusterOutcome): void;
  /** Every cluster of a fleet run is done. */
  fleet(result: FleetResult): void;
  /** The error that ends the command: a person's message on stderr (and with JSON, an object on stdout). */
  error(error: unknown): void;
  /** A line for the person watching, on stderr in both views. */
  progress(message: string): void;
}
