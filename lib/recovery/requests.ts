// What an operation is asked to do, and the one way such a request is made: a decoder per
// kind (the declared state, a restore, a standby rebuild, a clone, a backup) that takes
// what the command line gave (argv, as lib/cli/commands.ts leaves it) or what a saved plan
// holds, checks each value by its grammar, and returns the typed request, or refuses,
// naming the option, what was given and what it expects. The command line and
// `bsync apply FILE` both decode here, so a saved plan holds nothing the command line
// could not say (docs/reliability.md, Saved plans). The `...Operation` functions are the
// other way: a request, with what bsync chose pinned, as its plan records it; each
// decoder reads back what its kind's function writes. Each operation names its decoder in
// its module (lib/operations/), and apply FILE finds it by kind (lib/operations/registry.ts).
import { BsyncError } from '../errors.js';
import { quotedValue } from '../printable.js';
import type { BackupRecord, CloneRecord, OperationOf, PromoteRecord, RestoreRecord } from '../plan/types.js';
import { parseRepoTargetTime, repoTimeText } from './repo-target-time.js';
import { parseTarget, TARGET_FORMS, targetText, type RecoveryTarget } from './target.js';
import type { Instant } from '../target-time.js';

export type BackupType = 'full' | 'diff' | 'incr';
export type TargetAction = 'promote' | 'pause';
/** What a restore in place does with the zone's plain streaming replicas: rebuild them as standbys of the restored primary, or leave them. */
export type ReplicasChoice = 'follow' | 'leave';

/** The declared state's request: which hosts (--host) and zones (--zone) a command is about. */
export interface DeclaredRequest {
  hosts?: string[];
  zones?: number[];
}

/** A standby site's promotion (bsync promote): the zone whose one server is promoted. */
export interface PromoteRequest {
  zone: number;
}

export interface BackupRequest {
  zone?: number;
  type: BackupType;
  repo?: number;
}

/** What the operator asked a restore (or a standby rebuild) for. */
export interface RestoreRequest {
  zone?: number;
  host?: string;
  target: RecoveryTarget;
  set?: string;
  repo?: number;
  delta: boolean;
  targetAction: TargetAction;
  allowOverwrite: boolean;
  /** Rebuild the host as a standby of its zone's primary from the repository (--type=standby), not a recovery. */
  standby?: boolean;
  /** A restore in place (not a standby rebuild): the zone's plain streaming replicas follow the restored primary, or are left. */
  replicas?: ReplicasChoice;
  /** Read the repository as it was at this time (--repo-target-time: a versioned bucket). */
  repoTargetTime?: Instant;
}

export interface CloneRequest extends RestoreRequest {
  to: { host: string; path?: string };
  port: number;
}

/** Where clones go when --to names no folder: a root-owned parent, one folder per stanza. */
export const CLONES_DIR = '/var/lib/bsync-clones';
export const DEFAULT_CLONE_PORT = 5433;

/** A request's value that is not what it must be. `field` names it in a saved plan's request. */
export class RequestError extends BsyncError {
  readonly field: string;
  constructor(field: string, message: string, hint?: string) {
    super(message, { hint });
    this.name = 'RequestError';
    this.field = field;
  }
}

/** One value of a request: its option, what it must be, and its reader (undefined: not that; a BsyncError: why not). */
interface Field<T> {
  flag: string;
  expected: string;
  read(value: unknown): T | undefined;
}

/** schemas/bsync.schema.json's hostName: what a host of the config may be called. */
export const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** pgBackRest's backup labels: a full one, or a differential or incremental one after its full one. */
const BACKUP_LABEL = /^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/;

const whole = (flag: string, max: number, expected: string): Field<number> => ({
  flag,
  expected,
  // The command line gives digits, a saved plan a number.
  read: (value) => {
    const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= max ? number : undefined;
  },
});

const oneOf = <T extends string>(flag: string, choices: readonly T[]): Field<T> => ({
  flag,
  expected: `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`,
  read: (value) => choices.find((choice) => choice === value),
});

const matching = (flag: string, expected: string, pattern: RegExp): Field<string> => ({
  flag,
  expected,
  read: (value) => (typeof value === 'string' && pattern.test(value) ? value : undefined),
});

const parsed = <T>(flag: string, expected: string, parse: (text: string) => T): Field<T> => ({
  flag,
  expected,
  read: (value) => (typeof value === 'string' ? parse(value) : undefined),
});

const yesNo = (flag: string): Field<boolean> => ({
  flag,
  expected: 'true or false',
  read: (value) => (typeof value === 'boolean' ? value : undefined),
});

const ZONE = whole('--zone', 999, 'a zone number (1 to 999)');
const HOST = matching('--host', 'a host name of the config (letters, digits, hyphens, dot-separated)', HOST_NAME);
const REPO = whole('--repo', 256, 'a repository number (1 to 256)');
const TARGET = parsed('--target', `one of ${TARGET_FORMS}`, parseTarget);
const SET = matching(
  '--set',
  'a backup label, such as 20261204-030000F or 20261204-030000F_20261205-030000I',
  BACKUP_LABEL,
);
const ALLOW_OVERWRITE = yesNo('--allow-overwrite');
const REPO_TARGET_TIME = parsed(
  '--repo-target-time',
  'a time with its zone, as in 2026-12-07 11:26:24+00',
  parseRepoTargetTime,
);

/** Each kind's values by the name a saved plan gives them, in the order they are checked, and those it must have. */
const KINDS = {
  declared: { fields: { hosts: listOf(HOST), zones: listOf(ZONE) }, required: [] },
  promote: { fields: { zone: ZONE }, required: ['zone'] },
  backup: {
    fields: { zone: ZONE, type: oneOf<BackupType>('--type', ['full', 'diff', 'incr']), repo: REPO },
    required: ['type'],
  },
  restore: {
    fields: {
      zone: ZONE,
      host: HOST,
      target: TARGET,
      set: SET,
      repo: REPO,
      delta: yesNo('--delta'),
      targetAction: oneOf<TargetAction>('--target-action', ['promote', 'pause']),
      allowOverwrite: ALLOW_OVERWRITE,
      replicas: oneOf<ReplicasChoice>('--replicas', ['follow', 'leave']),
      repoTargetTime: REPO_TARGET_TIME,
    },
    required: ['target', 'delta', 'targetAction', 'allowOverwrite'],
  },
  clone: {
    fields: {
      zone: ZONE,
      to: parsed('--to', 'HOST or HOST:/absolute/path', parseCloneTarget),
      port: whole('--port', 65535, 'a TCP port number (1 to 65535)'),
      target: TARGET,
      set: SET,
      repo: REPO,
      allowOverwrite: ALLOW_OVERWRITE,
      repoTargetTime: REPO_TARGET_TIME,
    },
    required: ['to', 'target', 'allowOverwrite'],
  },
} as const;

function listOf<T>(field: Field<T>): Field<T[]> {
  return {
    flag: field.flag,
    expected: `a list, each ${field.expected}`,
    read: (value) => (Array.isArray(value) ? value.map((entry) => readValue(field.flag, field, entry)) : undefined),
  };
}

/** The value as the field reads it, or a RequestError: the field's own (a target's form) or `--flag VALUE: expected ...`. */
function readValue<T>(name: string, field: Field<T>, value: unknown): T {
  let read: T | undefined;
  try {
    read = field.read(value);
  } catch (error) {
    if (error instanceof RequestError || !(error instanceof BsyncError)) throw error;
    throw new RequestError(name, error.message, error.hint);
  }
  if (read === undefined)
    throw new RequestError(name, `${field.flag} ${quotedValue(value)}: expected ${field.expected}`);
  return read;
}

type Fields = Record<string, Field<unknown>>;
type Values<F extends Fields> = { [Name in keyof F]?: F[Name] extends Field<infer T> ? T : never };

/** Every value of a request of the kind, checked; a name the kind does not have, or a missing one, is refused. */
function decode<F extends Fields>(
  kind: string,
  spec: { fields: F; required: readonly string[] },
  input: unknown,
): Values<F> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new RequestError('', `a ${kind} request is a set of named values, not ${quotedValue(input)}`);
  const given = input as Record<string, unknown>;
  const names = Object.keys(spec.fields);
  const stray = Object.keys(given).find((name) => !names.includes(name) && given[name] !== undefined);
  if (stray !== undefined)
    throw new RequestError(stray, `a ${kind} request has no ${quotedValue(stray)}: it holds ${names.join(', ')}`);
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const field = spec.fields[name];
    if (given[name] !== undefined) values[name] = readValue(name, field, given[name]);
    else if (spec.required.includes(name))
      throw new RequestError(name, `${field.flag} is missing: expected ${field.expected}`);
  }
  return values as Values<F>;
}

export function decodeDeclaredRequest(input: unknown): DeclaredRequest {
  return decode('declared state', KINDS.declared, input);
}

export function decodePromoteRequest(input: unknown): PromoteRequest {
  const { zone } = decode('promote', KINDS.promote, input);
  return { zone: zone! };
}

export function decodeBackupRequest(input: unknown): BackupRequest {
  const { zone, type, repo } = decode('backup', KINDS.backup, input);
  return { zone, type: type!, repo };
}

function restoreOf(kind: 'restore' | 'standby', input: unknown): RestoreRequest {
  const values = decode(kind, KINDS.restore, input);
  const { target, delta, targetAction, allowOverwrite, replicas } = values;
  if (kind === 'standby' && replicas !== undefined)
    throw new RequestError(
      'replicas',
      '--replicas goes with a restore in place of a primary: --standby rebuilds one replica',
      'Leave --replicas out.',
    );
  return {
    ...values,
    target: target!,
    delta: delta!,
    targetAction: targetAction!,
    allowOverwrite: allowOverwrite!,
    standby: kind === 'standby',
    ...(kind === 'restore' ? { replicas: replicas ?? 'follow' } : {}),
  };
}

export function decodeRestoreRequest(input: unknown): RestoreRequest {
  return restoreOf('restore', input);
}

/** A standby rebuild takes a restore's values; what it refuses of them (a target) is the planner's to say. */
export function decodeStandbyRequest(input: unknown): RestoreRequest {
  return restoreOf('standby', input);
}

/** A clone always restores into a fresh folder and promotes: it has no --delta or --target-action. */
export function decodeCloneRequest(input: unknown): CloneRequest {
  const { zone, to, port, target, set, repo, allowOverwrite, repoTargetTime } = decode('clone', KINDS.clone, input);
  return {
    zone,
    to: to!,
    port: port ?? DEFAULT_CLONE_PORT,
    target: target!,
    set,
    repo,
    delta: false,
    targetAction: 'promote',
    allowOverwrite: allowOverwrite!,
    ...(repoTargetTime ? { repoTargetTime } : {}),
  };
}

/** `--to HOST[:PATH]` as given: the host, and an absolute folder when one is named. */
export function parseCloneTarget(text: string): { host: string; path?: string } {
  const colon = text.indexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const path = colon < 0 ? undefined : text.slice(colon + 1).replace(/(.)\/+$/, '$1');
  if (!HOST_NAME.test(host)) throw new BsyncError(`--to ${quotedValue(text)}: expected HOST or HOST:/absolute/path`);
  if (path !== undefined && (!/^\/[A-Za-z0-9._+/-]+$/.test(path) || path === '/' || path.split('/').includes('..')))
    throw new BsyncError(
      `--to ${quotedValue(text)}: the folder must be an absolute path of plain characters, without ..`,
      { hint: `For example --to ${host}:${CLONES_DIR}/investigation` },
    );
  return path === undefined ? { host } : { host, path };
}

/**
 * What a restore or a standby rebuild records: the request, the zone, host, set and repository
 * bsync chose pinned; `replicas` where the zone has plain streaming replicas it decides about.
 */
export function restoreOperation(
  request: RestoreRequest,
  chosen: { zone: number; host: string; set: string; repo: number; replicas?: ReplicasChoice },
  notes: string[],
): OperationOf<'restore' | 'standby'> {
  const record: RestoreRecord = {
    zone: chosen.zone,
    host: chosen.host,
    target: targetText(request.target),
    set: chosen.set,
    repo: chosen.repo,
    delta: request.delta,
    targetAction: request.targetAction,
    allowOverwrite: request.allowOverwrite,
    ...(chosen.replicas ? { replicas: chosen.replicas } : {}),
    ...repoTimeRecord(request),
  };
  return { kind: request.standby ? 'standby' : 'restore', request: record, notes };
}

/** What a clone records: its zone, host and folder, and the set and repository bsync chose. */
export function cloneOperation(
  request: CloneRequest,
  chosen: { zone: number; host: string; path: string; set: string; repo: number },
  notes: string[],
): OperationOf<'clone'> {
  const record: CloneRecord = {
    zone: chosen.zone,
    to: `${chosen.host}:${chosen.path}`,
    port: request.port,
    target: targetText(request.target),
    set: chosen.set,
    repo: chosen.repo,
    allowOverwrite: request.allowOverwrite,
    ...repoTimeRecord(request),
  };
  return { kind: 'clone', request: record, notes };
}

/** A repository time as a saved plan holds it (UTC, read back by the same decoder); nothing without one. */
function repoTimeRecord(request: RestoreRequest): { repoTargetTime?: string } {
  return request.repoTargetTime ? { repoTargetTime: repoTimeText(request.repoTargetTime) } : {};
}

/** What a backup records: its zone and repository as bsync chose them. */
export function backupOperation(request: { zone: number; type: BackupType; repo: number }): OperationOf<'backup'> {
  const record: BackupRecord = { zone: request.zone, type: request.type, repo: request.repo };
  return { kind: 'backup', request: record, notes: [] };
}

export function promoteOperation(request: PromoteRequest, notes: string[]): OperationOf<'promote'> {
  const record: PromoteRecord = { zone: request.zone };
  return { kind: 'promote', request: record, notes };
}
