// Files shared with the operator (authorized_keys, known_hosts, crontab, .pgpass,
// pg_hba.conf): bsync owns only the lines it can recognise as its own and leaves every
// other line where it is.
import type { Part, Template } from './types.js';
import { knownText } from './types.js';

export interface ManagedLine {
  /** The whole line, without newline. */
  line: Template;
  /** Whether an existing line already satisfies this one (same key added by hand). */
  satisfiedBy?: (existing: string) => boolean;
}

export interface LineMerge {
  /** Lines bsync wrote earlier (by its marker or key): replaced or removed. */
  isOurs: (line: string) => boolean;
  wanted: ManagedLine[];
  /** Where new lines go: the index of the existing line to insert before; default the end. */
  insertAt?: (lines: string[]) => number;
}

/**
 * The desired file content: other people's lines kept in order, our lines that are still
 * wanted kept in place, stale ones of ours dropped, missing ones inserted.
 */
export function mergeLines(current: string | undefined, merge: LineMerge): Template {
  const lines = (current ?? '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const pending = [...merge.wanted];
  const kept: Array<string | Template> = [];
  for (const line of lines) {
    const wantedIndex = pending.findIndex((wanted) => knownText(wanted.line) === line);
    if (wantedIndex >= 0) {
      kept.push(line);
      pending.splice(wantedIndex, 1);
      continue;
    }
    if (merge.isOurs(line)) continue;
    const satisfied = pending.findIndex((wanted) => wanted.satisfiedBy?.(line));
    if (satisfied >= 0) pending.splice(satisfied, 1);
    kept.push(line);
  }
  const plainKept = kept.filter((line): line is string => typeof line === 'string');
  const at = merge.insertAt ? merge.insertAt(plainKept) : kept.length;
  kept.splice(Math.min(Math.max(at, 0), kept.length), 0, ...pending.map((wanted) => wanted.line));
  const template: Template = [];
  for (const line of kept) {
    if (typeof line === 'string') template.push(line, '\n');
    else template.push(...line, '\n');
  }
  return compact(template);
}

/** Adjacent strings joined, so a template reads as few parts as possible. */
export function compact(template: Template): Template {
  const out: Part[] = [];
  for (const part of template) {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = last + part;
    else out.push(part);
  }
  return out;
}
