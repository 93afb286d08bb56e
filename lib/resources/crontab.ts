// Backup schedules in a user's crontab. bsync's lines end with a marker naming the stanza
// and the backup type, so they are found again; every other line stays as it is.
import { shq } from '../transport/shell.js';
import { mergeLines } from './managed-lines.js';
import type { Change, Template } from './types.js';
import { knownText } from './types.js';

export interface DesiredCronEntry {
  schedule: string;
  command: string;
  /** `full:pgedge-demo-1` */
  id: string;
}

export const cronMarker = (id: string) => `# bsync:${id}`;

export function desiredCrontab(current: string | null, entries: DesiredCronEntry[], stanza: string): Template {
  return mergeLines(current ?? undefined, {
    // The marker ends the line and names the stanza exactly: `…-1` is not `…-10`.
    isOurs: (line) => line.trimEnd().endsWith(`:${stanza}`) && /# bsync:[a-z]+:\S+$/.test(line.trimEnd()),
    wanted: entries.map((entry) => ({ line: [`${entry.schedule} ${entry.command} ${cronMarker(entry.id)}`] })),
  });
}

export function planCrontab(user: string, current: string | null, desired: Template): Change | null {
  if (knownText(desired) === (current ?? '')) return null;
  return {
    action: current === null ? 'create' : 'update',
    diff: { path: `crontab of ${user}`, before: current ?? '', after: desired },
    steps: [{ command: `crontab -u ${shq(user)} -`, stdin: desired }],
  };
}

