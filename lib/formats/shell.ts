// The one way to quote for the shell and to run a command as another user on a host.
// Every remote command line bsync builds goes through these.

/** Quotes a string as one /bin/sh word. */
export function shq(value: string | number): string {
  const text = String(value);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line that runs `command` as `user`, given that the caller is root.
 * runuser (util-linux) sets HOME, USER, LOGNAME and SHELL like su, without PAM prompts.
 */
export function asUser(user: string, command: string): string {
  if (user === 'root') return command;
  return `runuser -u ${shq(user)} -- /bin/sh -c ${shq(`cd ~ 2>/dev/null || cd /; ${command}`)}`;
}

/** The variable in which a script keeps a fact about `user` (`gid`, `shell`): a shell name, `-` spelled `_2d`. */
export function userVariable(fact: 'gid' | 'shell', user: string): string {
  return `bsync_${fact}_${user.replace(/[^A-Za-z0-9_]/g, (char) => `_${char.charCodeAt(0).toString(16)}`)}`;
}

/**
 * asUser for a script that knows the user's primary group id and shell (the fact script:
 * its users probe sets userVariable('gid' | 'shell', user)), where each millisecond of host
 * CPU counts: setpriv skips runuser's PAM stack (about half its cost) and sets the same
 * groups (initgroups). The environment is runuser's: root's, with HOME (the shell's ~user),
 * SHELL, USER and LOGNAME of the user. No --reset-env, so util-linux before 2.35 (RHEL 8)
 * works too. Without those facts, or without setpriv, it is asUser.
 */
export function asUserInScript(user: string, command: string): string {
  if (user === 'root' || !/^[a-z_][a-z0-9_-]*$/.test(user)) return asUser(user, command);
  const [gid, shell] = [userVariable('gid', user), userVariable('shell', user)];
  const setpriv = `HOME=~${user} USER=${user} LOGNAME=${user} SHELL="$${shell}" setpriv --reuid=${user} --regid="$${gid}" --init-groups /bin/sh -c ${shq(`cd ~ 2>/dev/null || cd /; ${command}`)}`;
  return `if [ -n "$${gid}" ] && command -v setpriv >/dev/null; then ${setpriv}; else ${asUser(user, command)}; fi`;
}

/**
 * Wraps a command so that it reads its stdin only once all `byteLength` bytes have
 * arrived: if the connection drops halfway, the command never runs on a truncated
 * file or SQL script. The staged copy is private (mktemp, 0600) and always removed.
 */
export function withStagedStdin(command: string, byteLength: number): string {
  return [
    'bsync_in=$(mktemp) || exit 97',
    `trap 'rm -f "$bsync_in"' EXIT HUP INT TERM PIPE`,
    `head -c ${byteLength} >"$bsync_in"`,
    `[ "$(wc -c <"$bsync_in")" -eq ${byteLength} ] || { echo 'bsync: stdin arrived incomplete; nothing was run' >&2; exit 97; }`,
    `( ${command}\n) <"$bsync_in"`,
  ].join('\n');
}
