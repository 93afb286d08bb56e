// The one way bsync writes a file on a host: content on stdin into a temporary file in
// the same folder, its exact size checked (a dropped connection leaves no half file),
// owner and mode set, then renamed over the target; as the user who holds its folder
// (folder-holder.ts), so nobody else's link or swapped file is written through as root.
import { shq } from '../formats/shell.js';
import { asHolderOf } from './folder-holder.js';
import type { Step, Template } from './types.js';

export interface FileOwnership {
  owner: string;
  group: string;
  mode: string;
}

/** `keep` copies owner and mode from the file being replaced (postgresql.conf, pg_hba.conf). */
export function writeFileStep(path: string, content: Template, own: FileOwnership | 'keep'): Step {
  const target = shq(path);
  const ownership =
    own === 'keep'
      ? [`chown --reference=${target} "$t"`, `chmod --reference=${target} "$t"`]
      : [`chown ${shq(`${own.owner}:${own.group}`)} "$t"`, `chmod ${shq(own.mode)} "$t"`];
  return {
    command: asHolderOf(
      path,
      [
        'set -e',
        // The plan refuses such a path already; this holds if the host changed since it was gathered.
        `if [ -L ${target} ] || { [ -e ${target} ] && [ ! -f ${target} ]; }; then echo ${shq(`${path} is not a regular file; nothing was written`)} >&2; exit 3; fi`,
        `t=$(mktemp ${shq(`${dirOf(path)}/.bsync.XXXXXX`)})`,
        `trap 'rm -f "$t"' EXIT HUP INT TERM PIPE`,
        'cat >"$t"',
        ...ownership,
        `mv -f "$t" ${target}`,
        'trap - EXIT',
      ].join('\n'),
      own === 'keep' ? 'keep' : own.owner,
    ),
    stdin: content,
  };
}

/** Owner, group and mode of a path that is there already (a mode that drifted), set where it is, never through a link. */
export function ownershipStep(path: string, own: FileOwnership): Step {
  const target = shq(path);
  return {
    command: asHolderOf(
      path,
      `chown -h ${shq(`${own.owner}:${own.group}`)} ${target} && if [ ! -L ${target} ]; then chmod ${shq(own.mode)} ${target}; fi`,
      own.owner,
    ),
  };
}

function dirOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}
