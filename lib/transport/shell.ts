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
