// A crontab job line: the schedule, then the command cron hands to /bin/sh. cron itself
// gives the command one character of meaning: an unescaped `%` ends the command (the rest
// becomes its stdin, each further `%` a newline), and `\%` is a plain `%` (cronie and Vixie
// cron alike: the backslash before a `%` is dropped, any other stays). So every command
// bsync puts in a crontab is written by `cronLine` and read back by `cronJob`.

/** Five fields of cron syntax, or an @macro: no spaces at the ends, no line break, no `%`. */
const SCHEDULE = /^(@[a-z]+|[0-9A-Za-z*/,-]+( [0-9A-Za-z*/,-]+){4})$/;

/**
 * The line that runs `command` (as sh is to read it) on `schedule`. A command cron cannot
 * carry as it is, is refused rather than changed: a line break, a NUL, white space at its
 * start (cron skips it), or a backslash right before a `%` (cron takes the pair for an
 * escaped `%`).
 */
export function cronLine(schedule: string, command: string): string {
  if (!SCHEDULE.test(schedule)) throw new Error(`not a cron schedule for a crontab line: ${JSON.stringify(schedule)}`);
  return `${schedule} ${cronCommandText(command)}`;
}

/** The longest command cron installs: crontab(1) refuses the whole file for a longer one ("command too long"; measured on Debian 12's cron). */
export const CRON_COMMAND_MAX = 998;

/** The command as a crontab line holds it (after the schedule): each `%` escaped; one cron cannot carry is refused. */
export function cronCommandText(command: string): string {
  if (/^\s|[\n\r\0]|\\%/.test(command))
    throw new Error(`a crontab line cannot carry this command: ${JSON.stringify(command)}`);
  const text = command.replaceAll('%', '\\%');
  if (text.length > CRON_COMMAND_MAX)
    throw new Error(
      `a crontab line's command is ${text.length} characters, more than the ${CRON_COMMAND_MAX} cron installs: ${text.slice(0, 120)}...`,
    );
  return text;
}

/** The schedule (five fields, or an @macro) and the command as cron hands it to sh; null for comments, variables, blanks. */
export function cronJob(line: string): { schedule: string; command: string } | null {
  if (/^\s*(#|$)/.test(line)) return null;
  const match = /^\s*(@[a-z]+|(?:[\d*/,A-Za-z-]+\s+){4}[\d*/,A-Za-z-]+)\s+(.*)$/.exec(line);
  if (!match) return null;
  let command = '';
  for (let i = 0; i < match[2].length; i += 1) {
    const char = match[2][i];
    if (char === '%') break;
    if (char === '\\' && i + 1 < match[2].length) {
      const next = match[2][++i];
      command += next === '%' ? '%' : `\\${next}`;
    } else command += char;
  }
  return { schedule: match[1].split(/\s+/).join(' '), command };
}
