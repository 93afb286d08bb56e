// How a command line reaches the user it must run as, given who bsync logs in as: root
// switches with runuser, anyone else through sudo (non-interactive). The one place that decides.
import { asUser, shq, withStagedStdin } from '../formats/shell.js';

export function remoteCommand(
  loginUser: string,
  command: string,
  runAs: string | undefined,
  stdinBytes?: number,
): string {
  const staged = stdinBytes === undefined ? command : withStagedStdin(command, stdinBytes);
  const target = runAs ?? 'root';
  if (loginUser === 'root') return asUser(target, staged);
  if (target === loginUser) return staged;
  if (target === 'root') return `sudo -n /bin/sh -c ${shq(staged)}`;
  return `sudo -n -u ${shq(target)} -H /bin/sh -c ${shq(`cd ~ 2>/dev/null || cd /; ${staged}`)}`;
}
