// Root on a host is never lent to its local users: a step that writes, chmods or chowns a
// path runs as the user who can change the folders on that path's way (its holder), so a
// link or a swapped temporary file that user plants gets them nothing they did not have.
// Root acts only where nobody but root can change any folder on the way.
import { shq } from '../formats/shell.js';

/**
 * A shell function, `bsync_holder PATH`, that prints who holds PATH's way from /: `root`
 * when every folder that holds a component is root's and not writable by others (links
 * placed there are root's and are followed), else the uid of the first folder another user
 * owns (everything below it is theirs to change). A component in a world-writable sticky
 * folder (/tmp) counts only when it exists as root's own, not a link. The last component
 * itself is not followed: a link there, in a folder another user holds, is refused.
 * Exits 3 with a sentence for what it refuses.
 */
const HOLDER_FUNCTION = [
  'bsync_holder() {',
  '  bsync_rest=$1 bsync_at= bsync_hops=0',
  '  while [ -n "$bsync_rest" ]; do',
  '    case $bsync_rest in /*) bsync_at= ;; esac',
  '    bsync_rest=${bsync_rest#"${bsync_rest%%[!/]*}"}',
  '    [ -n "$bsync_rest" ] || break',
  '    bsync_c=${bsync_rest%%/*}',
  '    case $bsync_rest in */*) bsync_rest=${bsync_rest#*/} ;; *) bsync_rest= ;; esac',
  '    [ "$bsync_c" = . ] && continue',
  '    [ "$bsync_c" = .. ] && { bsync_at=${bsync_at%/*}; continue; }',
  '    bsync_s=$(stat -c "%u %a" -- "${bsync_at:-/}") || { echo "${bsync_at:-/} cannot be read; nothing was changed" >&2; return 3; }',
  '    bsync_uid=${bsync_s% *} bsync_mode=$((0${bsync_s#* }))',
  '    [ "$bsync_uid" = 0 ] || { echo "$bsync_uid"; return 0; }',
  '    bsync_next=${bsync_at}/$bsync_c',
  '    if [ $((bsync_mode & 2)) -ne 0 ]; then',
  '      if [ $((bsync_mode & 512)) -eq 0 ] || [ -L "$bsync_next" ] || [ ! -e "$bsync_next" ] || [ "$(stat -c %u -- "$bsync_next")" != 0 ]; then',
  '        echo "${bsync_at:-/} can be written by every user, and $bsync_next is not root\'s own folder there: bsync does not act on $1 as root; use a path below a folder only root can change" >&2; return 3',
  '      fi',
  '    fi',
  '    if [ -L "$bsync_next" ] && [ -n "$bsync_rest" ]; then',
  '      bsync_hops=$((bsync_hops + 1))',
  '      [ "$bsync_hops" -le 40 ] || { echo "$1: too many links on the way; nothing was changed" >&2; return 3; }',
  '      bsync_rest=$(readlink -- "$bsync_next")/$bsync_rest',
  '      continue',
  '    fi',
  '    [ -e "$bsync_next" ] || [ -L "$bsync_next" ] || break',
  '    bsync_at=$bsync_next',
  '  done',
  '  echo root',
  '}',
].join('\n');

/** A sentence with the acting user's name in it, for /bin/sh: `before` + user + `after`. */
const withUser = (before: string, after: string) => `${shq(before)}"$(id -un)"${shq(after)}`;

/**
 * `body` (a /bin/sh script that acts on `path`) run as the holder of `path`'s way. As
 * another user than root it may only leave `path` as that user's (`owner`, or for `keep`
 * the file it replaces): anything else is refused by name rather than done as root.
 */
export function asHolderOf(path: string, body: string, owner: string | 'keep'): string {
  const target = shq(path);
  const refuse = (why: string) =>
    `{ echo ${withUser(`${path} lies in a folder that `, `, not root, can change: ${why}`)} >&2; exit 3; }`;
  const asHolder = [
    `if [ -L ${target} ]; then ${refuse('bsync does not follow the link there; move it away, then apply again')}; fi`,
    owner === 'keep'
      ? `if [ -e ${target} ] && [ "$(stat -c %U -- ${target})" != "$(id -un)" ]; then ${refuse('bsync acts there only as that user, who cannot replace a file of another user')}; fi`
      : `if [ "$(id -un)" != ${shq(owner)} ]; then ${refuse(`bsync acts there only as that user, who cannot make it ${owner}'s; move it below a folder only root can change`)}; fi`,
    body,
  ].join('\n');
  return [
    HOLDER_FUNCTION,
    `bsync_who=$(bsync_holder ${target}) || exit 3`,
    'if [ "$bsync_who" != root ]; then',
    '  bsync_user=$(getent passwd "$bsync_who" | cut -d: -f1)',
    `  [ -n "$bsync_user" ] || { echo ${shq(`${path}: a folder on its way belongs to uid `)}"$bsync_who"${shq(', which has no user; nothing was changed')} >&2; exit 3; }`,
    `  exec runuser -u "$bsync_user" -- /bin/sh -c ${shq(asHolder)}`,
    'fi',
    body,
  ].join('\n');
}
