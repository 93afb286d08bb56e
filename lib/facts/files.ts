// Owner, group, mode and content of every file the host's resources read (ctx.needs.files), in one probe.
import type { WatchedFile } from './needs.js';
import type { Probe } from './probe.js';
import { readTar } from './tar.js';
import { shq } from '../formats/shell.js';
import { splitHomePath } from './paths.js';
import type { FileFacts } from './types.js';

/** A path as the host's shell spells it: `~user` expands in the shell itself (the user database, no process). */
function shellWord(path: string): string {
  const home = splitHomePath(path);
  if (!home) return shq(path);
  // Only a plain name is a tilde prefix; the config's user names are (schema: userName).
  if (!/^[a-z_][a-z0-9_-]*$/.test(home.user))
    throw new Error(`files probe: ${JSON.stringify(home.user)} is not a user name the shell can expand`);
  return `~${home.user}/${shq(home.rel)}`;
}

const homeUsers = (files: WatchedFile[]) => [...new Set(files.flatMap(({ path }) => splitHomePath(path)?.user ?? []))];

/**
 * Every watched path in one `stat` and every readable file's content in one `tar`, however
 * many files (each process costs the host about a millisecond). The answers name their
 * paths and are matched by name: a file can come or go between the two.
 */
export const filesProbe: Probe = {
  name: 'files',
  applies: () => true,
  command: (ctx) => {
    const files = ctx.needs.files;
    const words = (list: WatchedFile[]) => list.map(({ path }) => shellWord(path)).join(' ');
    return [
      // Each home as the paths below used it; a user who does not exist (yet) leaves ~user as typed.
      ...homeUsers(files).map((user) => `printf 'H|%s|%s\\n' ${user} ~${user}`),
      // A link to a folder is the folder (an operator's /home/backrest -> /srv/backrest): a
      // trailing slash makes stat follow it. Any other link, dangling ones too, is reported as a
      // link and never read, so never written through.
      'set --',
      `for f in ${words(files)}; do case $f in /*) if [ -L "$f" ] && [ -d "$f" ]; then set -- "$@" "$f/"; else set -- "$@" "$f"; fi ;; esac; done`,
      `[ $# -eq 0 ] || stat -c 'S|%F|%U|%G|%a|%n' "$@"`,
      // Private keys are not in the list: bsync learns that they exist, never what they hold.
      'set --',
      `for f in ${words(files.filter(({ readContent }) => readContent))}; do [ -f "$f" ] && [ ! -L "$f" ] && set -- "$@" "$f"; done`,
      `[ $# -eq 0 ] || { printf 'T|'; tar -c --no-recursion -P -b 1 -f - "$@" | base64 -w0; echo; }`,
    ].join('\n');
  },
  parse(output, ctx) {
    const homes = new Map<string, string>();
    const stats = new Map<string, string[]>();
    let archive: Buffer | undefined;
    for (const line of output.split('\n')) {
      const fields = line.split('|');
      // The name is the last field: a `|` in it stays part of it.
      if (fields[0] === 'H') homes.set(fields[1], fields.slice(2).join('|'));
      else if (fields[0] === 'S' && fields.length >= 6)
        stats.set(samePath(fields.slice(5).join('|')), fields.slice(1, 5));
      else if (fields[0] === 'T') archive = Buffer.from(fields[1] ?? '', 'base64');
    }
    const contents = new Map(
      (archive ? readTar(archive) : [])
        .filter(({ type }) => type === '0')
        .map(({ name, content }) => [samePath(name), content.toString('utf8')]),
    );
    const files: Record<string, FileFacts> = {};
    for (const { path, readContent } of ctx.needs.files) {
      const where = onHost(path, homes);
      const stat = where === null ? undefined : stats.get(where);
      files[path] = stat
        ? fileFacts(stat, readContent ? (contents.get(where as string) ?? '') : undefined)
        : { exists: false };
    }
    return { files };
  },
};

/** The path the host's shell made of a watched path (see shellWord), or null when its user has no home. */
function onHost(path: string, homes: Map<string, string>): string | null {
  const home = splitHomePath(path);
  if (!home) return samePath(path);
  const dir = homes.get(home.user) ?? '';
  return dir.startsWith('/') ? samePath(`${dir}/${home.rel}`) : null;
}

/** One spelling per path: `//` and a trailing `/` (a followed link) say nothing more. */
const samePath = (path: string) => path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

function fileFacts([type, owner, group, mode]: string[], content: string | undefined): FileFacts {
  const kind = type === 'directory' ? 'dir' : type.startsWith('regular') ? 'file' : 'other';
  const facts: FileFacts = { exists: true, kind, type, owner, group, mode: (mode ?? '').padStart(4, '0') };
  if (kind === 'file' && content !== undefined) facts.content = content;
  return facts;
}
