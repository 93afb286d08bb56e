// Files shared with the operator (authorized_keys, known_hosts, crontab, .pgpass,
// pg_hba.conf): bsync owns only the lines it can recognise as its own and leaves every
// other line where it is. A line that another tool made for the same purpose (the Ansible
// role's cron job, a hand-made pg_hba rule) is taken over in place: adopted, not doubled.
import type { Change, FieldChange, Part, Template } from './types.js';
import { knownText } from './types.js';

export interface ManagedLine {
  /** The whole line, without newline. */
  line: Template;
  /** Whether an existing line already satisfies this one (same key added by hand): kept as it is. */
  satisfiedBy?: (existing: string) => boolean;
  /** Whether an existing line (not ours, not identical) does this line's job: it is replaced in place. */
  adopts?: (existing: string) => boolean;
  /** What this line is, for the plan's reason (`the full backup job of s1`); never the line itself, which may hold a secret. */
  describe?: string;
  /** What adopting this existing line changes, shown as fields (`method: md5 -> scram-sha-256`). */
  adoptionFields?: (existing: string) => FieldChange[];
  /** A line directly above an adopted one that belongs to it (Ansible's `#Ansible: NAME`): removed with it. */
  companionAbove?: (line: string) => boolean;
  /** What must stay of an adopted line (the rule for the other users it named), put right after the wanted line. */
  leftover?: (existing: string) => string | null;
}

interface LineMerge {
  /** Lines bsync wrote earlier (by its marker or key): replaced or removed. */
  isOurs: (line: string) => boolean;
  wanted: ManagedLine[];
  /** Where new lines go: the index of the existing line to insert before; default the end. */
  insertAt?: (lines: string[]) => number;
}

interface Adoption {
  /** The existing line taken over. */
  line: string;
  wanted: ManagedLine;
}

export interface MergeResult {
  template: Template;
  /** Existing lines taken over, in file order (a second one doing the same job is taken over and dropped). */
  adopted: Adoption[];
}

type Kept = { text: string | Template; from?: number };

/**
 * The desired file content: other people's lines kept in order, our lines that are still
 * wanted kept in place, stale ones of ours dropped, lines doing a wanted line's job
 * replaced by it where they stand, missing ones inserted.
 */
export function mergeManagedLines(current: string | undefined, merge: LineMerge): MergeResult {
  const lines = (current ?? '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const pending = [...merge.wanted];
  const placed: ManagedLine[] = [];
  const adopted: Adoption[] = [];
  const kept: Kept[] = [];
  const take = (index: number) => placed.push(...pending.splice(index, 1));
  lines.forEach((line, index) => {
    const wantedIndex = pending.findIndex((wanted) => knownText(wanted.line) === line);
    if (wantedIndex >= 0) {
      kept.push({ text: line, from: index });
      take(wantedIndex);
      return;
    }
    // Ours, or a copy of a line already placed (the wanted line after the one it took over).
    if (merge.isOurs(line) || placed.some((wanted) => knownText(wanted.line) === line)) return;
    const adopter = pending.findIndex((wanted) => wanted.adopts?.(line));
    // A second line doing the job of one already in place (Ansible's and bsync's job both
    // there) is taken over too: dropped, so the job never runs twice.
    const again = adopter < 0 ? placed.find((wanted) => wanted.adopts?.(line)) : undefined;
    const wanted = adopter >= 0 ? pending[adopter] : again;
    if (wanted) {
      adopted.push({ line, wanted });
      const above = kept[kept.length - 1];
      if (above?.from === index - 1 && typeof above.text === 'string' && wanted.companionAbove?.(above.text))
        kept.pop();
      if (adopter >= 0) {
        kept.push({ text: wanted.line });
        take(adopter);
      }
      const rest = wanted.leftover?.(line);
      if (rest) kept.push({ text: rest, from: index });
      return;
    }
    const satisfied = pending.findIndex((candidate) => candidate.satisfiedBy?.(line));
    if (satisfied >= 0) take(satisfied);
    kept.push({ text: line, from: index });
  });
  // Every kept line, adopted ones too, so the index insertAt gives is an index into kept.
  const keptText = kept.map(({ text }) => (typeof text === 'string' ? text : (knownText(text) ?? '')));
  const at = merge.insertAt ? merge.insertAt(keptText) : kept.length;
  kept.splice(Math.min(Math.max(at, 0), kept.length), 0, ...pending.map((wanted) => ({ text: wanted.line })));
  const template: Template = [];
  for (const { text } of kept) {
    if (typeof text === 'string') template.push(text, '\n');
    else template.push(...text, '\n');
  }
  return { template: compact(template), adopted };
}

export function mergeLines(current: string | undefined, merge: LineMerge): Template {
  return mergeManagedLines(current, merge).template;
}

/**
 * A change that takes over lines bsync did not write becomes an adoption: the action says
 * so, the reason names what is taken over, and the fields show what adopting changes.
 */
export function asAdoption(change: Change | null, adopted: Adoption[]): Change | null {
  if (change === null || adopted.length === 0 || change.conflict) return change;
  const what = [...new Set(adopted.map(({ wanted }) => wanted.describe ?? 'a line'))];
  const fields = adopted.flatMap(({ line, wanted }) => wanted.adoptionFields?.(line) ?? []);
  return {
    ...change,
    action: 'adopt',
    reason: `takes over ${listed(what)}, which bsync did not write${change.reason ? `; ${change.reason}` : ''}`,
    fields: [...fields, ...(change.fields ?? [])],
  };
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Adjacent strings joined, so a template reads as few parts as possible. */
function compact(template: Template): Template {
  const out: Part[] = [];
  for (const part of template) {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = last + part;
    else out.push(part);
  }
  return out;
}
