// The OS users bsync works with: postgres everywhere, the repository user on backup hosts.
import { shq, userVariable } from '../transport/shell.js';
import { PG_OS_USER, pgbackrestUser, type Probe, type ProbeContext } from './probe.js';
import type { UserFacts } from './types.js';

export function usersOfInterest(ctx: ProbeContext): string[] {
  return [...new Set([pgbackrestUser(ctx.inventory, ctx.host), PG_OS_USER])];
}

export const usersProbe: Probe = {
  name: 'users',
  applies: () => true,
  command: (ctx) =>
    usersOfInterest(ctx)
      // The primary group id and the shell stay in the script for asUserInScript: the shell
      // cuts them out of getent's line itself (fourth and last field); a gid only if a number.
      .map(
        (user) =>
          `e=$(getent passwd ${shq(user)}) && { ${userVariable('shell', user)}=\${e##*:}; g=\${e#*:*:*:}; g=\${g%%:*}; case $g in ''|*[!0-9]*) ;; *) ${userVariable('gid', user)}=$g ;; esac; printf '%s|%s\\n' "$e" "$(id -gn ${shq(user)})"; } || printf '%s|-\\n' ${shq(user)}`,
      )
      .join('\n'),
  parse(output, ctx) {
    const users: Record<string, UserFacts | null> = {};
    for (const user of usersOfInterest(ctx)) users[user] = null;
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
