// A plan is a value (Terraform's idea): printed, saved, reloaded and applied from the same
// object. It holds no secret and nothing computed from one: secrets show as (sensitive),
// and fingerprints are computed over that masked text.
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

/** A plan that carries out an operation (a restore, an on-demand backup) rather than reaching the declared state. */
export interface PlanOperation {
  command: 'restore' | 'backup';
  /** What was asked, with the choices bsync made pinned (the backup set): enough to plan it again (lib/recovery). */
  request: Record<string, string | number | boolean>;
  /** What the operator must read before it runs; not part of any fingerprint, compared with their measurements (sizes, WAL segments) left out. */
  notes: string[];
}

/** 2: fingerprints cover masked text only (version 1's covered secrets, with their key beside them). */
export const PLAN_VERSION = 2;

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
}
