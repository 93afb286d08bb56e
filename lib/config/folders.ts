// Folders on the hosts that bsync makes and gives to a user as root (mkdir, chown, chmod):
// a folder repository's path (ssh on the backup host, posix on the PostgreSQL hosts), the
// spool folder of asynchronous archiving, the verify scratch folder. None of them may be a
// folder the system or its users live in, nor lie in a data directory (docs/config.md,
// "Folders bsync owns"). Paths come spelt (spellings.ts): what is compared is what the hosts
// are given.
import { repoType } from '../repositories/index.js';
import type { AddProblem } from '../repositories/types.js';
import type { PgbackrestOptions } from './inventory.js';
import { tablePath, tablesOf } from './pgbackrest-options.js';
import type { Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';

/** A folder the system keeps, and everything below it: nothing of bsync's goes in there. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr/bin',
  '/usr/include',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/sbin',
  '/usr/share',
  '/usr/local/bin',
  '/usr/local/etc',
  '/usr/local/lib',
  '/usr/local/sbin',
  '/usr/local/share',
  '/var/lock',
  '/var/run',
];

/** Folders that hold other people's folders: one below them is fine (/home/backrest, /var/lib/pgbackrest), they themselves not. */
const SYSTEM_FOLDERS = [
  '/',
  '/home',
  '/lost+found',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/srv',
  '/tmp',
  '/usr',
  '/usr/local',
  '/usr/src',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/local',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/spool',
  '/var/tmp',
];

/** Whether `path` is `folder` or lies below it (both spelt by pathSpelling). */
export function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder === '/' ? '/' : `${folder}/`);
}

/** Why bsync may not own this folder (a system one), or null. */
export function systemFolderProblem(path: string): string | null {
  if (SYSTEM_FOLDERS.includes(path)) return `${path} is a system folder`;
  const tree = SYSTEM_TREES.find((folder) => within(path, folder));
  return tree === undefined
    ? null
    : `${path} is ${path === tree ? 'a system folder' : `inside the system folder ${tree}`}`;
}

/** A folder bsync makes from the config: where the config names it, and what it is. */
interface OwnedFolder {
  key: string;
  path: string;
  kind: 'repository' | 'spool' | 'verify';
}

/** Per kind: what to give instead, and why it stays out of a data directory. */
const KINDS: Record<OwnedFolder['kind'], { instead: string; data: string }> = {
  repository: {
    instead: 'Give the repository a folder of its own, such as /home/backrest (ssh) or /var/lib/pgbackrest (posix).',
    data: 'A repository lies outside every data directory: a restore replaces what a data directory holds, and a backup would copy the repository into itself.',
  },
  spool: {
    instead: 'Give spool-path a folder of its own, such as /var/spool/pgbackrest (the default).',
    data: 'The spool folder lies outside every data directory: a restore replaces what a data directory holds, and a backup would copy the spool.',
  },
  verify: {
    instead: 'Give verify a scratch folder of its own, such as /var/tmp/bsync-verify (the default).',
    data: 'verify restores into a scratch folder that must be apart from every data directory.',
  },
};

/** The folders the config names that bsync makes on hosts: folder repositories' paths, spool-path, verify.path. */
function ownedFolders(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  options: PgbackrestOptions,
  sound: Sound,
): OwnedFolder[] {
  const folders: OwnedFolder[] = repos.flatMap((repo, index) => {
    const key = `${repoPath(index)}.path`;
    if (repo.path === undefined || !sound(key, `${repoPath(index)}.type`)) return [];
    return repoType({ type: repo.type ?? 'ssh' }).folderOn
      ? [{ key, path: repo.path, kind: 'repository' as const }]
      : [];
  });
  for (const { table, options: entries } of tablesOf(options))
    for (const option of entries.filter((entry) => entry.key === 'spool-path'))
      folders.push({ key: `${tablePath(table)}.spool-path`, path: option.values[0], kind: 'spool' });
  if (sound('verify.path'))
    folders.push({ key: 'verify.path', path: raw.verify?.path ?? '/var/tmp/bsync-verify', kind: 'verify' });
  return folders;
}

/**
 * Each folder bsync makes: not a system folder, and not in a data directory any host
 * declares (verify's scratch folder not around one either).
 */
export function checkFolders(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  options: PgbackrestOptions,
  add: AddProblem,
  sound: Sound,
): void {
  const data = sound('host[*].name', 'host[*].pg_data')
    ? raw.host.flatMap((host, index) =>
        host.pg_data ? [{ host: `host[${index + 1}] ${host.name}`, path: host.pg_data }] : [],
      )
    : [];
  for (const folder of ownedFolders(raw, repos, repoPath, options, sound)) {
    const system = systemFolderProblem(folder.path);
    if (system) {
      add(
        folder.key,
        `${system}: bsync makes the folder it is given its own (owner and mode)`,
        KINDS[folder.kind].instead,
      );
      continue;
    }
    const around = folder.kind === 'verify';
    const found = data.find((dir) => within(folder.path, dir.path) || (around && within(dir.path, folder.path)));
    if (found)
      add(
        folder.key,
        `${folder.path} ${around ? 'overlaps' : 'is inside'} the data directory of ${found.host} (${found.path})`,
        KINDS[folder.kind].data,
      );
  }
}
