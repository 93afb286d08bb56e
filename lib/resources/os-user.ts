// The repository's OS user on backup hosts: created when missing, never modified after.
import { shq } from '../formats/shell.js';
import type { UserFacts } from '../facts/types.js';
import type { Change } from './types.js';

/** The home a user bsync creates gets: where its keys and (by default) the repository live. */
export const homeFor = (user: string) => `/home/${user}`;

export function planOsUser(user: string, actual: UserFacts | null | undefined): Change | null {
  if (actual) return null;
  return {
    action: 'create',
    fields: [
      { name: 'home', after: homeFor(user) },
      { name: 'shell', after: '/bin/bash' },
    ],
    steps: [
      {
        // '*' instead of useradd's locked '!': sshd without PAM refuses key logins to locked accounts.
        command: `useradd --create-home --home-dir ${shq(homeFor(user))} --shell /bin/bash --user-group ${shq(user)} && usermod -p '*' ${shq(user)}`,
      },
    ],
  };
}
