// How the programs bsync writes for read a `%`, transcribed from their sources, so tests
// hold bsync's writers (and its own readers) to the programs, not to bsync's idea of them.

/**
 * The command cron hands to /bin/sh for a crontab job line: cronie's do_command.c (Vixie
 * cron's is the same) after the schedule's fields. The command ends at the first `%` no
 * backslash escapes (the rest is its stdin); `\%` becomes `%`; any other backslash stays.
 */
export function cronRuns(line: string): string {
  const cmd = [...line.replace(/^\s*(@\S+|(\S+\s+){4}\S+)\s+/, '')];
  let escaped = false;
  let p = 0;
  for (let input = 0; input < cmd.length; input += 1, p += 1) {
    const ch = cmd[input];
    if (p !== input) cmd[p] = ch;
    if (escaped) {
      if (ch === '%') cmd[--p] = ch;
      escaped = false;
      continue;
    }
    if (ch === '\\') {
      escaped = true;
      continue;
    }
    if (ch === '%') break;
  }
  return cmd.slice(0, p).join('');
}

/**
 * The command PostgreSQL 16 and later runs for archive_command or restore_command
 * (src/common/percentrepl.c): %% is %, a placeholder it was given is replaced, any other
 * (or a % at the end) is an error.
 */
export function postgresRuns(command: string, values: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < command.length; i += 1) {
    if (command[i] !== '%') {
      out += command[i];
      continue;
    }
    const letter = command[++i];
    if (letter === '%') out += '%';
    else if (letter !== undefined && values[letter] !== undefined) out += values[letter];
    else throw new Error(`String contains unexpected placeholder "%${letter ?? ''}".`);
  }
  return out;
}
