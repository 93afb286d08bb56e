// Each interesting user's crontab, as `crontab -l` prints it.
import { shq } from '../formats/shell.js';
import type { Probe } from './probe.js';
import { framed, probeError, requireFramed } from './framed.js';

export const crontabProbe: Probe = {
  name: 'crontab',
  applies: (ctx) => ctx.needs.crontabs.length > 0,
  command: (ctx) => ctx.needs.crontabs.map((user) => framed(`crontab -l -u ${shq(user)}`)).join('\n'),
  parse(output, ctx) {
    const lines = output.split('\n');
    const crontabs: Record<string, string | null> = {};
    ctx.needs.crontabs.forEach((user, index) => {
      const result = requireFramed(lines[index], ctx, 'crontab', `crontab -l -u ${user}`);
      if (result.code === 0) crontabs[user] = `${result.stdout}\n`;
      // No crontab yet, or no such user yet (bsync creates it): both mean nothing is scheduled.
      else if (/no crontab for|unknown|does not exist/i.test(result.stderr)) crontabs[user] = null;
      else
        throw probeError(
          ctx,
          'crontab',
          `a crontab or "no crontab for ${user}" from crontab -l`,
          result.stderr || result.stdout,
        );
    });
    return { crontabs };
  },
};
