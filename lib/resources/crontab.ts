// Backup schedules in a user's crontab. bsync's lines end with a marker naming the stanza
// and the backup type, so they are found again; every other line stays as it is, except a
// job that already runs the same backup (the Ansible role's, an operator's): two jobs
// backing up one stanza fight over pgBackRest's lock, so it is taken over in place.
import { cronJob, cronLine } from '../formats/cron.js';
import { shq } from '../formats/shell.js';
import { runsBackup } from './cron-job.js';
import { asAdoption, mergeManagedLines, type MergeResult } from './managed-lines.js';
import type { Change } from './types.js';
import { knownText } from './types.js';
import { cronMark, OURS } from './marker.js';

export interface DesiredCronEntry {
  schedule: string;
  command: string;
  /** `full:pgedge-demo-1`: the backup type (`full-repo2` for another repository than repo1), then the stanza. */
  id: string;
}

/** The id of a stanza's backup job: `full:<stanza>` for repo1, `full-repo2:<stanza>` for repo2. */
export function cronId(type: string, stanza: string, repo = 1): string {
  return `${type}${repo === 1 ? '' : `-repo${repo}`}:${stanza}`;
}

/** Ansible's cron module names each job on the line above it: `#Ansible: NAME`. */
const ANSIBLE_NAME = /^#\s*Ansible:\s/;

export function desiredCrontab(current: string | null, entries: DesiredCronEntry[], stanza: string): MergeResult {
  return mergeManagedLines(current ?? undefined, {
    // The marker ends the line and names the stanza exactly: `…-1` is not `…-10`.
    isOurs: (line) => line.trimEnd().endsWith(`:${stanza}`) && OURS.cronJob.test(line.trimEnd()),
    wanted: entries.map((entry) => {
      const [, type, repo = '1'] = /^([a-z]+)(?:-repo(\d+))?:/.exec(entry.id) ?? [];
      const which = repo === '1' ? type : `${type} (repo${repo})`;
      return {
        line: [cronLine(entry.schedule, `${entry.command} ${cronMark(entry.id)}`)],
        adopts: (existing: string) => runsBackup(existing, stanza, type, Number(repo)),
        describe: `the ${which} backup job of ${stanza}`,
        adoptionFields: (existing: string) => {
          const schedule = cronJob(existing)?.schedule;
          return schedule === entry.schedule
            ? []
            : [{ name: `${which} schedule`, before: schedule, after: entry.schedule }];
        },
        companionAbove: (line: string) => ANSIBLE_NAME.test(line),
      };
    }),
  });
}

export function planCrontab(user: string, current: string | null, desired: MergeResult): Change | null {
  if (knownText(desired.template) === (current ?? '')) return null;
  return asAdoption(
    {
      action: current === null ? 'create' : 'update',
      diff: { path: `crontab of ${user}`, before: current ?? '', after: desired.template },
      steps: [{ command: `crontab -u ${shq(user)} -`, stdin: desired.template }],
    },
    desired.adopted,
  );
}
