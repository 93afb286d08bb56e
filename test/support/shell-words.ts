// Where a text stands in a /bin/sh command line, as the shell lexes it: inside single quotes
// (or a heredoc with a quoted delimiter) it is data; anywhere else the shell may act on it.
// For tests that check that host text reaches commands only as data.

/** Indexes of `needle` in `command` that stand outside single quotes and quoted heredocs. */
export function unquotedOccurrences(command: string, needle: string): number[] {
  const quoted = quotedMask(command);
  const found: number[] = [];
  for (let at = command.indexOf(needle); at >= 0; at = command.indexOf(needle, at + 1)) {
    if (![...needle].every((_, offset) => quoted[at + offset])) found.push(at);
  }
  return found;
}

/** For each character: whether the shell takes it literally (single quotes, quoted heredoc body, a backslash escape's character). */
function quotedMask(command: string): boolean[] {
  const mask = new Array<boolean>(command.length).fill(false);
  let i = 0;
  const heredocs: string[] = [];
  while (i < command.length) {
    const char = command[i];
    if (char === '\\') {
      mask[i + 1] = true;
      i += 2;
    } else if (char === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end < 0 ? command.length : end;
      for (let j = i + 1; j < stop; j += 1) mask[j] = true;
      i = stop + 1;
    } else if (char === '"') {
      // Inside double quotes $( ) and backticks still run: nothing is literal but an escaped character.
      i += 1;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === '\\') mask[i + 1] = true;
        i += command[i] === '\\' ? 2 : 1;
      }
      i += 1;
    } else if (command.startsWith('<<', i)) {
      const match = /^<<-?\s*'([^']+)'/.exec(command.slice(i));
      if (match) heredocs.push(match[1]);
      i += match ? match[0].length : 2;
    } else if (char === '\n' && heredocs.length > 0) {
      i = skipHeredocs(command, i + 1, heredocs.splice(0), mask);
    } else i += 1;
  }
  return mask;
}

/** Marks quoted heredoc bodies from `start` (the line after their command) as literal; returns where the command goes on. */
function skipHeredocs(command: string, start: number, delimiters: string[], mask: boolean[]): number {
  let at = start;
  for (const delimiter of delimiters) {
    while (at < command.length) {
      const end = command.indexOf('\n', at);
      const lineEnd = end < 0 ? command.length : end;
      if (command.slice(at, lineEnd) === delimiter) {
        at = lineEnd + 1;
        break;
      }
      for (let j = at; j < lineEnd; j += 1) mask[j] = true;
      at = lineEnd + 1;
    }
  }
  return at;
}
