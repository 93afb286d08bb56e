// The OS users the host's resources need (ctx.needs.users): their uid, group, home and shell.
import { shq, userVariable } from '../formats/shell.js';
import type { Probe } from './probe.js';
import type { UserFacts } from './types.js';

export const usersProbe: Probe = {
  name: 'users',
  applies: () => true,
  command: (ctx) =>
    ctx.needs.users
      // The primary group id and the shell stay in the script for asUserInScript: the shell
      // cuts them out of getent's line itself (fourth and last field); a gid only if a number.
      .map(
        (user) =>
          `e=$(getent passwd ${shq(user)}) && { ${userVariable('shell', user)}=\${e##*:}; g=\${e#*:*:*:}; g=\${g%%:*}; case $g in ''|*[!0-9]*) ;; *) ${userVariable('gid', user)}=$g ;; esac; printf '%s|%s\\n' "$e" "$(id -gn ${shq(user)})"; } || printf '%s|-\\n' ${shq(user)}`,
      )
      .join('\n'),
  parse(output, ctx) {
    const users: Record<string, UserFacts | null> = {};
    for (const user of ctx.needs.users) users[user] = null;
    for (const line of output.split('\n').filter(Boolean)) {
      const fields = line.split('|');
      if (fields.length < 2 || fields[1] === '-') continue;
      const [entry, group] = fields;
      const [name, , uid, gid, , home, shell] = entry.split(':');
      users[name] = { uid: Number(uid), gid: Number(gid), group, home, shell };
    }
    return { users };
  },
};
