// A file whose whole content bsync decides (pgbackrest.conf) or computes from what is
// there (authorized_keys, crontab staging, pg_hba.conf): same comparison, same write.
import type { FileFacts } from '../facts/types.js';
import { ownershipStep, writeFileStep, type FileOwnership } from './remote.js';
import type { Change, FieldChange, Step, Template } from './types.js';
import { knownText } from './types.js';
import type { FileKind } from '../facts/redact.js';

interface DesiredFile extends FileOwnership {
  /** Absolute path on the host. */
  path: string;
  content: Template;
  /** What the file is, where its path does not say (lib/facts/redact.ts masks its secrets by it). */
  kind?: FileKind;
  /** Whether content on the host means the same as the wanted content to its reader (pgBackRest's INI rules): then it is left as it is. Both sides may hold secrets: compare, never print. */
  sameContent?: (actual: string, wanted: string) => boolean;
  /** Extra steps after a write (a reload). */
  after?: Step[];
}

/**
 * A path that holds another type of thing than bsync manages there (a folder, a FIFO, a
 * device or a link where a file belongs; a file where a folder belongs): a conflict that
 * the plan shows and apply refuses, so nothing is ever written through or into it.
 */
export function typeConflict(path: string, wanted: 'file' | 'dir', actual: FileFacts | undefined): Change | null {
  if (!actual?.exists || actual.kind === wanted) return null;
  const found = actual.type ?? (actual.kind === 'dir' ? 'directory' : 'special file');
  return {
    action: 'update',
    conflict: `${path} is a ${found}, where bsync manages a ${wanted === 'dir' ? 'folder' : 'regular file'}: move it away (bsync leaves it untouched), then apply again`,
    steps: [],
  };
}

export function planFile(desired: DesiredFile, actual: FileFacts | undefined): Change | null {
  const conflict = typeConflict(desired.path, 'file', actual);
  if (conflict) return conflict;
  if (!actual?.exists) {
    return {
      action: 'create',
      diff: fileDiff(desired, ''),
      fields: ownershipFields(desired),
      steps: [writeFileStep(desired.path, desired.content, desired), ...(desired.after ?? [])],
    };
  }
  const wanted = knownText(desired.content);
  const contentMatches =
    wanted === actual.content
    || (wanted !== null && actual.content !== undefined && desired.sameContent?.(actual.content, wanted) === true);
  const ownershipChanges = ownershipFields(desired, actual);
  if (contentMatches && ownershipChanges.length === 0) return null;
  if (contentMatches) {
    return { action: 'update', fields: ownershipChanges, steps: [ownershipStep(desired.path, desired)] };
  }
  return {
    action: 'update',
    diff: fileDiff(desired, actual.content ?? ''),
    fields: ownershipChanges,
    steps: [writeFileStep(desired.path, desired.content, desired), ...(desired.after ?? [])],
  };
}

function fileDiff(desired: DesiredFile, before: string): NonNullable<Change['diff']> {
  return { path: desired.path, before, after: desired.content, ...(desired.kind ? { kind: desired.kind } : {}) };
}

/** Owner, group and mode fields that differ (all of them for a new file). */
export function ownershipFields(desired: FileOwnership, actual?: FileFacts): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const name of ['owner', 'group', 'mode'] as const) {
    if (!actual || actual[name] !== desired[name]) fields.push({ name, before: actual?.[name], after: desired[name] });
  }
  return fields;
}

/** A file bsync edits in place but does not own (postgresql.conf, pg_hba.conf): content only; `kind` says what others' secrets in it look like. */
export function planEditedFile(
  path: string,
  current: string,
  desired: Template,
  after: Step[] = [],
  kind?: FileKind,
): Change | null {
  if (knownText(desired) === current) return null;
  return {
    action: 'update',
    diff: { path, before: current, after: desired, ...(kind ? { kind } : {}) },
    steps: [writeFileStep(path, desired, 'keep'), ...after],
  };
}

/** A file that must not exist (Debian's legacy /etc/pgbackrest.conf). */
export function planAbsentFile(path: string, actual: FileFacts | undefined, reason: string): Change | null {
  if (!actual?.exists) return null;
  const conflict = typeConflict(path, 'file', actual);
  if (conflict) return conflict;
  return { action: 'delete', reason, steps: [{ command: `rm -f -- '${path.replace(/'/g, `'\\''`)}'` }] };
}
