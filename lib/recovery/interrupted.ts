// A Patroni restore's mark on its leader. Paused, Patroni lets go of the leader key as soon
// as the leader's server stops, so a restore killed after that finds no leader to name:
// the mark says which member it was restoring, and the next run restores that one again.
// Written by the pause step and removed by the resume step, both on that member.
import type { HostSpec } from '../config/inventory.js';
import type { FactsByHost } from '../desired/zone.js';
import type { NeedsPart } from '../facts/needs.js';
import { shq } from '../formats/shell.js';
import type { Step } from '../resources/types.js';

/** root's own: /var/lib/bsync is made 0700 by root, where only root can change the folders above. */
export const RESTORE_MARK = '/var/lib/bsync/patroni-restore';

/** The mark is read on each member when a Patroni zone is restored. */
export const restoreMarkNeeds: NeedsPart = { files: [{ path: RESTORE_MARK, readContent: true }] };

/** Marks this member as the one restored in `scope` (a line: `restoring <scope> <UTC time>`). */
export function markStep(scope: string): Step {
  return {
    command: `install -d -m 0700 /var/lib/bsync && printf 'restoring %s %s\\n' ${shq(scope)} "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > ${RESTORE_MARK}`,
  };
}

export const unmarkStep: Step = { command: `rm -f ${RESTORE_MARK}` };

/**
 * The member an interrupted restore of `scope` was restoring, when Patroni names no
 * leader: the newest mark among `members` (a mark a killed resume left is older).
 */
export function interruptedRestore(scope: string, members: HostSpec[], facts: FactsByHost): HostSpec | undefined {
  const marked = members.flatMap((member) => {
    const match = /^restoring (\S+) (\S+)$/m.exec(facts.get(member.name)?.files[RESTORE_MARK]?.content ?? '');
    return match && match[1] === scope ? [{ member, at: match[2] }] : [];
  });
  return marked.sort((a, b) => b.at.localeCompare(a.at))[0]?.member;
}
