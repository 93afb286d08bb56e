// A plan is a value (Terraform's idea): printed, saved, reloaded and applied from the same
// object. It holds no secret and nothing computed from one: secrets show as (sensitive),
// and fingerprints are computed over that masked text.
import type { Phase } from '../resources/phases.js';
import type { ChangeAction } from '../resources/types.js';

export interface PlanField {
  name: string;
  before?: string;
  after?: string;
}

export interface PlanAction {
  address: string;
  host: string;
  kind: string;
  name?: string;
  title: string;
  action: ChangeAction;
  reason?: string;
  fields: PlanField[];
  /** Unified diff of a file's content, secrets redacted. */
  diff?: string;
  requiresRestart?: boolean;
  /** Why apply will refuse this action: something bsync must not touch is in the way. */
  conflict?: string;
  /** Addresses of actions that must succeed first. */
  dependsOn: string[];
  /** HMAC of everything this action was decided from, secrets masked; a re-plan with other facts gives another. */
  fingerprint: string;
}

/** The operations a plan can carry out instead of reaching the declared state; each is registered under its kind in lib/operations/registry.ts. */
export const OPERATION_KINDS = ['restore', 'standby', 'clone', 'backup', 'promote'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * What a restore or a standby rebuild records: the request as the command line says it
 * (`target` in --target's words), with the zone, host, set and repository bsync chose pinned.
 */
export interface RestoreRecord {
  zone: number;
  host: string;
  target: string;
  set: string;
  repo: number;
  delta: boolean;
  targetAction: string;
  allowOverwrite: boolean;
  /** follow or leave: recorded when the zone has plain streaming replicas (a restore in place). */
  replicas?: string;
  /** --repo-target-time in UTC, when the repository is read as it was then. */
  repoTargetTime?: string;
}

/** What a clone records: `to` as --to says it (HOST:/folder, the folder chosen), and the set and repository chosen. */
export interface CloneRecord {
  zone: number;
  to: string;
  port: number;
  target: string;
  set: string;
  repo: number;
  allowOverwrite: boolean;
  repoTargetTime?: string;
}

/** What an on-demand backup records: its zone and repository as bsync chose them. */
export interface BackupRecord {
  zone: number;
  type: string;
  repo: number;
}

/** What a promotion records: the zone whose one server is promoted. */
export interface PromoteRecord {
  zone: number;
}

/** Each kind's request as a saved plan holds it. A file's is read only through its kind's decoder, never as this type. */
interface OperationRecords {
  restore: RestoreRecord;
  standby: RestoreRecord;
  clone: CloneRecord;
  backup: BackupRecord;
  promote: PromoteRecord;
}

/** A plan that carries out an operation (a restore, a clone, an on-demand backup): a union by its kind. */
export type PlanOperation = {
  [Kind in OperationKind]: {
    kind: Kind;
    /** Enough to plan it again (the backup set pinned); decoded by its kind's decoder, as the command line's options are. */
    request: OperationRecords[Kind];
    /** What the operator must read before it runs; not part of any fingerprint, compared with their measurements (sizes, WAL segments) left out. */
    notes: string[];
  };
}[OperationKind];

/** A plan's operation of the given kind(s): what a planner of that kind returns. */
export type OperationOf<Kind extends OperationKind> = Extract<PlanOperation, { kind: Kind }>;

/** The command that makes and runs a plan of this kind (`bsync restore --to` makes a clone). */
export function operationCommand(kind: OperationKind): 'restore' | 'backup' | 'promote' {
  return kind === 'backup' || kind === 'promote' ? kind : 'restore';
}

/**
 * 2: fingerprints cover masked text only (version 1's covered secrets, with their key beside them).
 * 3: saved plans are signed with the plan key of the machine that made them, and an operation says its kind.
 */
export const PLAN_VERSION = 3;

export interface Plan {
  format: 'bsync-plan';
  version: typeof PLAN_VERSION;
  createdAt: string;
  configPath: string;
  hosts: string[];
  /** Key of the fingerprints' HMAC, random per plan: two plans' fingerprints cannot be compared. It guards no secret (none goes into a fingerprint). */
  nonce: string;
  /** In dependency order. */
  actions: PlanAction[];
  /** `adopt` is absent in plans saved before bsync could adopt: read it as 0. */
  summary: { add: number; change: number; remove: number; adopt?: number; conflict: number };
  /** Why backups cannot run on some host, whatever the diff says (plan exits 1 when any). */
  problems: Array<{ host: string; problem: string }>;
  /** Absent in plans of the declared state. */
  operation?: PlanOperation;
}

export type ActionStatus = 'done' | 'failed' | 'skipped' | 'deferred' | 'not started' | 'interrupted';

/** What became of one action when a plan was applied (lib/apply/execute.ts). */
export interface ActionResult {
  address: string;
  host: string;
  status: ActionStatus;
  message?: string;
  seconds: number;
  /** Seconds per phase of an operation's steps (a restore's stop, pgBackRest restore, ...). */
  phases?: Array<{ phase: Phase; seconds: number }>;
}
