// Owner, group, mode and content of every file bsync manages, in one probe.
import type { Probe, ProbeContext } from './probe.js';
import { fromBase64, sshUserOf } from './probe.js';
import { shq } from '../transport/shell.js';
import {
  asyncSpoolPath, KEY_TYPES, LEGACY_PGBACKREST_CONF, PGBACKREST_CONF, PGBACKREST_CONF_DIR, PGBACKREST_LOG_DIR, S3_CA_PATH,
  authorizedKeysPath, knownHostsPath, pgpassPath, privateKeyPath, publicKeyPath, splitHomePath, sshDir,
} from './paths.js';
import type { FileFacts } from './types.js';

interface WatchedFile {
  path: string;
  /** false for private keys: bsync needs to know they exist, never what they hold. */
  readContent: boolean;
}

export function watchedFiles(ctx: ProbeContext): WatchedFile[] {
  const user = sshUserOf(ctx);
  const files: WatchedFile[] = [
    { path: PGBACKREST_CONF_DIR, readContent: false },
    { path: PGBACKREST_CONF, readContent: true },
    { path: LEGACY_PGBACKREST_CONF, readContent: true },
    { path: PGBACKREST_LOG_DIR, readContent: false },
    { path: pgpassPath(user), readContent: true },
  ];
  if (ctx.inventory.repo.type === 'ssh') {
    files.push(
      { path: sshDir(user), readContent: false },
      ...KEY_TYPES.flatMap((type) => [
        { path: privateKeyPath(user, type), readContent: false },
        { path: publicKeyPath(user, type), readContent: true },
      ]),
      { path: authorizedKeysPath(user), readContent: true },
      { path: knownHostsPath(user), readContent: true },
    );
  }
  if (ctx.host.role === 'backup') files.push({ path: ctx.inventory.repo.path, readContent: false });
  const spool = asyncSpoolPath(ctx.inventory);
  if (ctx.host.role === 'postgres' && spool !== null) files.push({ path: spool, readContent: false });
  if (ctx.inventory.repo.s3?.caCert !== undefined) files.push({ path: S3_CA_PATH, readContent: true });
  return files;
}

/**
 * Shell that sets h_N to each user's home, once per user: getent's line cut to its sixth
 * field by the shell itself, empty when the user does not exist (yet).
 */
function homeVariables(users: string[]): string {
  const fields = 'h=${h#*:}; '.repeat(5);
  return users.map((user, index) => `h=$(getent passwd ${shq(user)}); ${fields}h_${index}=\${h%%:*}`).join('\n');
}

/** Shell that sets $f to the file's absolute path, or leaves it empty when the user does not exist. */
function locate(path: string, users: string[]): string {
  const home = splitHomePath(path);
  if (!home) return `f=${shq(path)}`;
  const variable = `h_${users.indexOf(home.user)}`;
  return `f=; [ -n "$${variable}" ] && f="$${variable}"/${shq(home.rel)}`;
}

export const filesProbe: Probe = {
  name: 'files',
  applies: () => true,
  command: (ctx) => {
    const files = watchedFiles(ctx);
    const users = [...new Set(files.flatMap(({ path }) => splitHomePath(path)?.user ?? []))];
    return [homeVariables(users), ...files.map(({ path, readContent }) => [
      locate(path, users),
      // A link to a folder is the folder (an operator's /home/backrest -> /srv/backrest); any
      // other link, dangling ones too, is reported as a link and never written through.
      `if [ -n "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then if [ -L "$f" ] && [ -d "$f" ]; then s=$(stat -L -c 'directory|%U|%G|%a' "$f"); else s=$(stat -c '%F|%U|%G|%a' "$f"); fi; printf 'E|%s|' "$s";` +
        (readContent ? ` [ -f "$f" ] && [ ! -L "$f" ] && base64 -w0 "$f";` : '') +
        ` echo; else echo A; fi`,
    ].join('\n'))].join('\n');
  },
  parse(output, ctx) {
    const lines = output.split('\n');
    const files: Record<string, FileFacts> = {};
    watchedFiles(ctx).forEach(({ path, readContent }, index) => {
      files[path] = parseFileLine(lines[index] ?? 'A', readContent);
    });
    return { files };
  },
};

function parseFileLine(line: string, readContent: boolean): FileFacts {
  if (!line.startsWith('E|')) return { exists: false };
  const [, type, owner, group, mode, content = ''] = line.split('|');
  const kind = type === 'directory' ? 'dir' : type.startsWith('regular') ? 'file' : 'other';
  const facts: FileFacts = { exists: true, kind, type, owner, group, mode: (mode ?? '').padStart(4, '0') };
  if (kind === 'file' && readContent) facts.content = fromBase64(content);
  return facts;
}
