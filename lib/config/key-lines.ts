// Where each key of a config is written, so a problem found by key path can name its line.
// @iarna/toml returns values without positions; this reads the lines of a file that has
// already parsed, so it only follows table headers, keys and values that span lines.

/** The line (from 1) where a key path, or the nearest table or key holding it, is written. */
export type KeyLines = (keyPath: string) => number | undefined;

const BARE_OR_QUOTED = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const DOTTED = String.raw`${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*`;
const HEADER = new RegExp(String.raw`^\s*(\[\[?)\s*(${DOTTED})\s*\]\]?\s*(?:#.*)?$`);
const KEY = new RegExp(String.raw`^\s*(${DOTTED})\s*=\s*(.*)$`);

/** `a."b.c".d` → ['a', 'b.c', 'd']. */
function segments(dotted: string): string[] {
  return [...dotted.matchAll(new RegExp(BARE_OR_QUOTED, 'g'))].map(([part]) =>
    part.startsWith('"') ? (JSON.parse(part) as string) : part.replace(/^'|'$/g, ''),
  );
}

/** A key path's part as TOML writes it: bare when it can be, quoted otherwise (`pgbackrest."global:archive-push"`). */
export function keyPart(part: string): string {
  return /^[A-Za-z0-9_-]+$/.test(part) ? part : JSON.stringify(part);
}

/** How many brackets a value leaves open (strings and comments skipped), and whether it opens a multi-line string. */
function openings(value: string): { depth: number; string?: string } {
  let depth = 0;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i];
    const triple = value.slice(i, i + 3);
    if (triple === '"""' || triple === "'''") {
      const end = value.indexOf(triple, i + 3);
      if (end === -1) return { depth, string: triple };
      i = end + 2;
    } else if (char === '"' || char === "'") {
      i += 1;
      while (i < value.length && value[i] !== char) i += char === '"' && value[i] === '\\' ? 2 : 1;
    } else if (char === '#') break;
    else if (char === '[' || char === '{') depth += 1;
    else if (char === ']' || char === '}') depth -= 1;
  }
  return { depth };
}

export function keyLines(text: string): KeyLines {
  const lines = new Map<string, number>();
  const arrays = new Map<string, number>();
  const headers = new Map<string, number>();
  const note = (path: string, line: number) => {
    if (!lines.has(path)) lines.set(path, line);
  };
  let table = '';
  let depth = 0;
  let string: string | undefined;
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (string !== undefined) {
      if (content.includes(string)) string = undefined;
      return;
    }
    if (depth > 0) {
      depth += openings(content).depth;
      return;
    }
    const header = HEADER.exec(content);
    if (header) {
      // Each part of a header that names an array of tables means its latest entry.
      const parts = segments(header[2]);
      let path = '';
      parts.forEach((part, at) => {
        path = path === '' ? keyPart(part) : `${path}.${keyPart(part)}`;
        const last = at === parts.length - 1;
        if (last && header[1] === '[[') {
          // The array itself is where its first entry is (an unknown [[hosts]] is named there),
          // for its own path only: host[2] of a file with one [[host]] is not there.
          if (!headers.has(path)) headers.set(path, line);
          arrays.set(path, (arrays.get(path) ?? 0) + 1);
        }
        if (arrays.has(path)) path = `${path}[${arrays.get(path)}]`;
      });
      table = path;
      note(table, line);
      return;
    }
    const key = KEY.exec(content);
    if (!key) return;
    let path = table;
    for (const part of segments(key[1])) {
      path = path === '' ? keyPart(part) : `${path}.${keyPart(part)}`;
      note(path, line);
    }
    const open = openings(key[2]);
    depth = open.depth;
    string = open.string;
  });
  return (keyPath) => {
    if (!lines.has(keyPath) && headers.has(keyPath)) return headers.get(keyPath);
    for (let path = keyPath; ; ) {
      const found = lines.get(path);
      if (found !== undefined) return found;
      const parent = path.replace(/(\.("[^"]*"|[^.[\]"]*)|\[\d+\])$/, '');
      if (parent === path) return undefined;
      path = parent;
    }
  };
}
