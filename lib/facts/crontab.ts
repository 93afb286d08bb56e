// Each interesting user's crontab, as `crontab -l` prints it.
import { shq } from '../transport/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { fromBase64, PG_OS_USER } from './probe.js';

/** Whose crontab holds bsync's backup entries: the repo user with a backup host, else postgres. */
export function crontabUsers(ctx: ProbeContext): string[] {
  return ctx.host.role === 'backup' ? [ctx.inventory.repo.user] : [PG_OS_USER];
}

export const crontabProbe: Probe = {
  name: 'crontab',
  applies: () => true,
  command: (ctx) =>
    crontabUsers(ctx)
      .map((user) => `if c=$(crontab -l -u ${shq(user)} 2>/dev/null); then printf 'Y|%s\\n' "$(printf '%s\\n' "$c" | base64 -w0)"; else echo N; fi`)
      .join('\n'),
  parse(output, ctx) {
    const lines = output.split('\n');
    const crontabs: Record<string, string | null> = {};
    crontabUsers(ctx).forEach((user, index) => {
      const line = lines[index] ?? 'N';
      crontabs[user] = line.startsWith('Y|') ? fromBase64(line.slice(2)) : null;
    });
    return { crontabs };
  },
};
