// A resource is one thing bsync manages on a host. Its kind is a pure function from
// (desired, facts) to a Change, or to nothing when the host already matches; the Change
// carries the remote steps that close the difference. Nothing here talks to a host.
import type { ProgressReader } from '../facts/progress.js';
import type { Phase } from './phases.js';
import type { Secret } from '../config/inventory.js';
import type { Grammar } from '../facts/grammar.js';
import type { FileKind } from '../facts/redact.js';
import { SENSITIVE, type Mask } from '../formats/mask.js';

/** A value produced by an earlier action during apply (a public key, a generated passphrase). */
interface OutputRef {
  ref: ResourceRef;
  output: string;
  /** What the plan shows instead of the value: `public key of postgres@pg1`. */
  label: string;
  sensitive?: boolean;
}

/** Text with secrets and not-yet-known values kept as parts, resolved only at apply time. */
export type Part = string | { secret: Secret } | OutputRef;
export type Template = Part[];

export interface Step {
  /** A /bin/sh command line, run as root or as `user`. Never holds a secret. */
  command: string;
  user?: string;
  /** Sent on stdin: file contents and secrets travel here. */
  stdin?: Template;
  /** Keep the trimmed stdout as this output of the action, once it parses by its grammar (it may go to other hosts). */
  capture?: { output: string; grammar: Grammar };
  /** The captured output is a secret: it is kept out of every message and report. */
  secret?: boolean;
  /** Runs on the machine running bsync instead of the host (lib/transport/local.ts): what must be kept off the hosts. */
  on?: 'controller';
  /** The phase of an operation (a restore) this step's time counts to, in the report's phase timings. */
  phase?: Phase;
  /** Its output says how far it is (lib/facts/progress.ts), shown while it runs beside `goal` (bsync's own words: the set's size, the target). */
  progress?: { reader: ProgressReader; goal?: string };
}

/** `run`: a step of an operation (a restore, a backup) rather than a state to reach. `adopt`: takes over at least one line bsync did not write (an Ansible cron job, a hand-made pg_hba rule); it may change other things too. */
export type ChangeAction = 'create' | 'update' | 'delete' | 'adopt' | 'run';

/** An attribute as the plan shows it. */
export interface FieldChange {
  name: string;
  before?: string;
  after?: string | Template;
  sensitive?: boolean;
}

interface FileDiff {
  path: string;
  before: string;
  after: Template;
  /** What the file is, where its path does not say (a configured patroni.yml): its secrets are masked by it (lib/facts/redact.ts). */
  kind?: FileKind;
}

export interface Change {
  action: ChangeAction;
  /** Why, in words: `archive_command is set in postgresql.auto.conf`. */
  reason?: string;
  fields?: FieldChange[];
  diff?: FileDiff;
  steps: Step[];
  /** Applying this restarts PostgreSQL: only with --allow-restart. */
  requiresRestart?: boolean;
  /** Something bsync must not touch stands in the way (a folder where a file belongs): shown, never applied. */
  conflict?: string;
}

/** Every kind of thing bsync manages: a misspelt kind in a dependency fails the type check. */
export type ResourceKind =
  | 'os_user'
  | 'directory'
  | 'ssh_dir'
  | 'ssh_keypair'
  | 'authorized_keys'
  | 'known_hosts'
  | 'pgbackrest_conf'
  | 'legacy_pgbackrest_conf'
  | 'repo_ca'
  | 'repo_key'
  | 'pgpass'
  | 'cipher_pass'
  | 'postgresql_conf'
  | 'setting_override'
  | 'pg_reload'
  | 'pg_restart'
  | 'pg_role'
  | 'pg_hba'
  | 'patroni_config'
  | 'patroni_yml'
  | 'stanza'
  | 'first_backup'
  | 'crontab'
  | 'backup_job'
  | 'tls_key'
  | 'tls_ca'
  | 'tls_cert'
  | 'tls_unit'
  | 'tls_server'
  // Steps of operations (lib/recovery): run once, in order, when the operator asks.
  | 'restore_wal'
  | 'pg_stop'
  | 'pg_restore'
  | 'pg_start'
  | 'recovery_end'
  | 'standby_ready'
  | 'pg_promote'
  | 'archive_check'
  | 'patroni_pause'
  | 'patroni_bootstrap'
  | 'patroni_resume'
  | 'patroni_reinit'
  | 'clone_prepare'
  | 'clone_restore'
  | 'clone_configure'
  | 'clone_start'
  | 'backup';

declare const resourceRefBrand: unique symbol;
/**
 * The address of a resource (`host.kind[name]`), made only by resourceAddress: a typed
 * reference. Building a plan fails, naming both ends, when nothing stands behind one.
 */
export type ResourceRef = string & { readonly [resourceRefBrand]: true };

/** One managed thing on one host, with what it needs first and what it changes. */
export interface Resource {
  /** `host.kind[name]`: stable across runs, the plan's key. */
  address: ResourceRef;
  host: string;
  kind: ResourceKind;
  name?: string;
  /** Shown beside the address: a path, a user. */
  title: string;
  dependsOn: ResourceRef[];
  change: Change | null;
}

export function resourceAddress(host: string, kind: ResourceKind, name?: string): ResourceRef {
  return (name === undefined ? `${host}.${kind}` : `${host}.${kind}[${name}]`) as ResourceRef;
}

/** The template as text when every part is known; secrets included (only for comparing). */
export function knownText(template: Template): string | null {
  let text = '';
  for (const part of template) {
    if (typeof part === 'string') text += part;
    else if ('secret' in part) text += part.secret.reveal();
    else return null;
  }
  return text;
}

/**
 * The template as the plan shows it: secrets as (sensitive), unknowns as (known after apply).
 * `mask` shows a secret otherwise (a diff's marks, which tell a changed secret from a kept one).
 */
export function displayText(template: Template, mask?: Mask): string {
  return template
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('secret' in part) return mask ? mask(part.secret.reveal()) : SENSITIVE;
      return part.sensitive ? '(sensitive, known after apply)' : `(known after apply: ${part.label})`;
    })
    .join('');
}

/** An operation's step (a restore's stop, a backup): the action `run`, not a state to reach. */
export function runChange(reason: string, steps: Step[], fields: FieldChange[] = []): Change {
  return { action: 'run', reason, fields, steps };
}

/** Steps whose time counts to `phase` in an operation's report, unless a step names its own. */
export function inPhase(phase: Phase, steps: Step[]): Step[] {
  return steps.map((step) => ({ phase, ...step }));
}
