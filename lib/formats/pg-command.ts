// PostgreSQL's archive_command and restore_command: shell text in which the server replaces
// %p (the WAL file's path), %f (its name) and %r (restore_command: the last file to keep)
// before it runs them, and reads %% as one %. Before 16 another %x stays as it is; from 16
// on it is an error. So text that is not bsync's own placeholder (a path, a stanza, a
// variable's value) goes in with every % doubled: `pgCommand` is the one way to write them.

/**
 * The command a template spells: its own text as written (placeholders such as %p and %f),
 * each interpolated value as literal text, its % doubled.
 */
export function pgCommand(template: TemplateStringsArray, ...literals: Array<string | number>): string {
  return template.reduce(
    (command, part, index) =>
      command + part + (index < literals.length ? String(literals[index]).replaceAll('%', '%%') : ''),
    '',
  );
}

/** The shell command PostgreSQL (16 and later) runs for a command with these placeholders' values; an Error for any other. */
export function pgCommandRun(command: string, values: { p?: string; f?: string; r?: string }): string {
  return command.replace(/%(.?)/gs, (_, letter: string) => {
    if (letter === '%') return '%';
    const value = values[letter as 'p' | 'f' | 'r'];
    if (value === undefined) throw new Error(`PostgreSQL refuses the placeholder %${letter} in ${command}`);
    return value;
  });
}
