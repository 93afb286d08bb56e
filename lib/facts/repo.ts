// The stanza as each repository holds it, read where backups run: on the backup host when
// the stanza has an ssh repository (it reaches every repository), else on each PostgreSQL host.
import { asUserInScript, shq, userVariable } from '../formats/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { pgbackrestUser } from './probe.js';
import { framed, parseJsonOutput, requireFramed } from './framed.js';
import { PGBACKREST_CONF } from './paths.js';
import { pgbackrestWord, repoType } from '../repositories/index.js';
import { locationFlags, repoPrefix } from '../repositories/types.js';
import type { Inventory, Repo } from '../config/inventory.js';
import type { BackupInfo, RepoFacts } from './types.js';

const INFO_TIMEOUT_SEC = 20;
/** pgBackRest's info status for a repository it could not read (an error reaching or reading it). */
const STATUS_OTHER = 99;
/** What `timeout` exits with when the command ran out of time. */
const TIMED_OUT = 124;

/** The repositories' location options as bsync wants them (never secrets: those stay in the file). */
function repoLocation(inventory: Inventory, ctx: ProbeContext): string[] {
  return inventory.repos.flatMap((repo) => [
    `--${repoPrefix(repo)}path=${repo.path}`,
    ...locationFlags(
      repoType(repo).locationOptions(repo, { host: ctx.host, userOf: (host) => pgbackrestUser(inventory, host) }),
    ),
  ]);
}

/**
 * A folder repository on this host is tested for backup.info (`Y` or `N`); an object store
 * has no file to test (`-`). After a `Y`, the newest WAL file of each archive id (the last
 * segment of its last folder, by name) with its modification time, when pgBackRest wrote it:
 * ` <mtime> <archive id>/<file>`, as info gives no WAL times (docs/recovery.md, The recovery window).
 */
function existsLine(repo: Repo, ctx: ProbeContext): string {
  if (repoType(repo).folderOn !== ctx.host.role) return 'echo -';
  const archive = shq(`${repo.path}/archive/${ctx.stanza}`);
  const newestWal = [
    `(for a in ${archive}/*/; do`,
    `d=$(ls -1 "$a" 2>/dev/null | grep -E '^[0-9A-F]{16}$' | LC_ALL=C sort | tail -n 1); [ -n "$d" ] || continue;`,
    `f=$(ls -1 "$a$d" 2>/dev/null | grep -E '^[0-9A-F]{24}-' | LC_ALL=C sort | tail -n 1); [ -n "$f" ] || continue;`,
    `t=$(stat -c %Y -- "$a$d/$f" 2>/dev/null) || continue; printf ' %s %s/%s' "$t" "$(basename "$a")" "$f"; done)`,
  ].join(' ');
  return `if [ -f ${shq(`${repo.path}/backup/${ctx.stanza}/backup.info`)} ]; then printf Y; ${newestWal}; echo; else echo N; fi`;
}

/** A pgBackRest WAL file in the repository: the segment, its SHA-1, and a compression extension or none. */
const WAL_IN_REPO = /^(\d{1,3}(?:\.\d{1,2})?-\d{1,6})\/([0-9A-F]{24})-[0-9a-f]{40}(\.(gz|lz4|zst|bz2))?$/;

/**
 * When the archive's newest segment (info's max, of the current database's archive id
 * `<version>-<id>`) was written, from the words after the exists line's `Y`; undefined when
 * not read or not that file.
 */
export function archiveMaxTime(words: string[], repo: Partial<RepoFacts>): number | undefined {
  if (!repo.database || !repo.archiveMax) return undefined;
  const archiveId = `${repo.database.version}-${repo.database.id}`;
  for (let index = 0; index + 1 < words.length; index += 2) {
    const file = WAL_IN_REPO.exec(words[index + 1]);
    if (/^\d{1,12}$/.test(words[index]) && file?.[1] === archiveId && file[2] === repo.archiveMax)
      return Number(words[index]);
  }
  return undefined;
}

export const repoProbe: Probe = {
  name: 'repo',
  // Where backups run: the backup host when there is one, each PostgreSQL host otherwise.
  applies: (ctx) => ctx.needs.repos,
  command: (ctx) => {
    const user = pgbackrestUser(ctx.inventory, ctx.host);
    const stanza = shq(ctx.stanza);
    const repos = ctx.inventory.repos;
    const lines = repos.map((repo) => existsLine(repo, ctx));
    // info only means something once a config is in place; otherwise pgBackRest's defaults would answer.
    // The repositories are looked for where bsync wants them, not where a drifted config points,
    // and a repository that does not answer cannot hold up the plan. With several, each is
    // asked on its own (--repo=N), so one that hangs cannot hide what the others hold.
    const location = repoLocation(ctx.inventory, ctx).map(shq).join(' ');
    const readAt = ctx.needs.repoReadAt;
    const infos = repos.map((repo) => {
      const only = repos.length === 1 ? '' : ` --repo=${repo.key}`;
      // A restore at a repository time reads that repository as it was then.
      const at = readAt?.repo === repo.key ? ` ${shq(`--repo-target-time=${readAt.value}`)}` : '';
      return framed(
        asUserInScript(
          user,
          `timeout ${INFO_TIMEOUT_SEC} ${pgbackrestWord(repos)} --stanza=${stanza}${only}${at} ${location} --io-timeout=${INFO_TIMEOUT_SEC - 5} --output=json info`,
        ),
      );
    });
    const free = repos
      .filter((repo) => repoType(repo).folderOn === ctx.host.role)
      .map((repo) => `echo "D|${repo.key}|$(df -P -B1 ${shq(repo.path)} 2>/dev/null | awk 'NR == 2 { print $4 }')"`);
    lines.push(
      // The users probe ran first: a gid it found means the user exists, without another process.
      `if [ -f ${shq(PGBACKREST_CONF)} ] && { [ -n "$${userVariable('gid', user)}" ] || id -u ${shq(user)} >/dev/null 2>&1; }; then`,
      ...infos,
      `else echo none; fi`,
      // Last, so the lines above keep their places: each folder repository's free bytes here.
      ...free,
    );
    return lines.join('\n');
  },
  parse(output, ctx) {
    const outputLines = output.split('\n');
    const existsWords = (index: number) => (outputLines[index] ?? 'N').trim().split(/\s+/);
    const count = ctx.inventory.repos.length;
    const infoLines = count === 1 ? [outputLines[1] ?? ''] : outputLines.slice(count, 2 * count);
    const repos: RepoFacts[] = ctx.inventory.repos.map((repo, index) => ({
      key: repo.key,
      stanza: ctx.stanza,
      backupInfoExists: existsWords(index)[0] === 'Y',
      statusCode: null,
      statusMessage: '',
      backups: [],
    }));
    for (const line of outputLines) {
      const free = /^D\|(\d+)\|(\d{1,20})$/.exec(line.trim());
      const repo = free && repos.find((entry) => entry.key === Number(free[1]));
      if (repo) repo.freeBytes = Number(free[2]);
    }
    if ((infoLines[0] ?? '').trim() === 'none') {
      for (const repo of repos) {
        repo.statusMessage = 'no pgbackrest.conf yet';
        repo.notAsked = true;
      }
      return { repos };
    }
    repos.forEach((repo, index) => {
      // One info for all (a single repository) or one per repository.
      const info = requireFramed(infoLines[count === 1 ? 0 : index] ?? '', ctx, 'repo', 'pgbackrest info');
      if (info.code === 0) {
        const parsed = parseJsonOutput(bigIdsAsText(info.stdout), ctx, 'repo', 'pgbackrest info --output=json');
        Object.assign(repo, parseInfo(parsed, ctx.stanza, repo.key));
        const written = archiveMaxTime(existsWords(index).slice(1), repo);
        if (written !== undefined) repo.archiveMaxTime = written;
        // Object stores have no file to test: the stanza exists when info reads it (0 ok, 2 no valid backup yet).
        if ((outputLines[index] ?? '').trim() === '-')
          repo.backupInfoExists = repo.statusCode === 0 || repo.statusCode === 2;
        if (repo.statusCode === STATUS_OTHER) repo.unreadable = true;
      } else {
        repo.statusMessage =
          info.code === TIMED_OUT
            ? `no answer within ${INFO_TIMEOUT_SEC} s`
            : info.stderr.trim() || info.stdout.trim() || `pgbackrest info exited ${info.code}`;
        // A repository that did not answer in time may well hold the stanza.
        if (info.code === TIMED_OUT) repo.unreadable = true;
      }
    });
    return { repos };
  },
};

/**
 * A system identifier is a 64-bit number, past what a JavaScript number holds exactly: it is
 * read as the digits pgBackRest wrote. (Inside a JSON string a quote is escaped, so only a
 * real key matches.)
 */
export function bigIdsAsText(json: string): string {
  return json.replace(/"system-id":(\s*)(\d+)/g, '"system-id":$1"$2"');
}

interface InfoBackup {
  label: string;
  type: string;
  error?: boolean;
  timestamp?: { start?: number; stop?: number };
  info?: { size?: number; repository?: { delta?: number } };
  archive?: { start?: string | null; stop?: string | null };
  lsn?: { start?: string | null; stop?: string | null };
  database?: { id?: number; 'repo-key'?: number };
}

interface InfoStanza {
  name: string;
  cipher?: string;
  status: { code: number; message: string; lock?: { backup?: { held?: boolean } } };
  backup?: InfoBackup[];
  archive?: Array<{ database?: { id?: number; 'repo-key'?: number }; min?: string | null; max?: string | null }>;
  db?: Array<{ id?: number; version?: string; 'system-id'?: number | string; 'repo-key'?: number }>;
  repo?: Array<{ key?: number; cipher?: string; status?: { code?: number; message?: string } }>;
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function backupInfo(backup: InfoBackup, versions: Map<number | undefined, string>): BackupInfo {
  const entry: BackupInfo = { label: backup.label, type: backup.type, error: backup.error === true };
  const fields: Partial<BackupInfo> = {
    start: num(backup.timestamp?.start),
    stop: num(backup.timestamp?.stop),
    size: num(backup.info?.size),
    repoDelta: num(backup.info?.repository?.delta),
    archiveStart: str(backup.archive?.start),
    archiveStop: str(backup.archive?.stop),
    lsnStart: str(backup.lsn?.start),
    lsnStop: str(backup.lsn?.stop),
    pgVersion: versions.get(backup.database?.id),
    databaseId: num(backup.database?.id),
  };
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined) (entry as unknown as Record<string, unknown>)[key] = value;
  return entry;
}

/**
 * `pgbackrest info --output=json`, for the stanza in one repository (`key`): status code
 * 1 = missing stanza path, 0 = ok. Entries without a repo-key (one repository) count as repo1's.
 */
export function parseInfo(parsed: unknown, stanza: string, key = 1): Omit<Partial<RepoFacts>, 'key'> {
  const stanzas = Array.isArray(parsed) ? (parsed as InfoStanza[]) : [];
  const entry = stanzas.find((candidate) => candidate.name === stanza);
  if (!entry) return { statusCode: null, statusMessage: 'stanza not in pgbackrest info output' };
  const inRepo = (item: { 'repo-key'?: number } | undefined) => (item?.['repo-key'] ?? 1) === key;
  const versions = new Map(
    (entry.db ?? []).filter((db) => inRepo(db)).map((db) => [db.id, String(db.version)] as const),
  );
  const backups = (entry.backup ?? [])
    .filter((backup) => inRepo(backup.database))
    .map((backup) => backupInfo(backup, versions));
  // The archive of the newest database (the last one after a stanza-upgrade).
  const archive = (entry.archive ?? []).filter((item) => inRepo(item.database)).at(-1);
  const repo = (entry.repo ?? []).find((item) => item.key === key);
  // One repository's own status where pgBackRest gives one (several repositories, or the
  // stanza's bare "other", whose cause, such as the store's 403, only the repository's names).
  const status =
    repo?.status
    && typeof repo.status.code === 'number'
    && ((entry.repo ?? []).length > 1 || entry.status.code === STATUS_OTHER)
      ? { code: repo.status.code, message: String(repo.status.message ?? '') }
      : entry.status;
  const facts: Omit<Partial<RepoFacts>, 'key'> = {
    statusCode: status.code,
    statusMessage: status.message,
    backups,
    backupRunning: entry.status.lock?.backup?.held === true,
  };
  const current = (entry.db ?? [])
    .filter((db) => inRepo(db) && typeof db.id === 'number')
    .sort((a, b) => (a.id as number) - (b.id as number))
    .at(-1);
  // system-id is a 64-bit number: JSON.parse may have rounded it, so it is compared by its
  // digits as pgBackRest wrote them (probe: info's text, parsed with big ids as strings).
  if (current && current.version !== undefined && current['system-id'] !== undefined)
    facts.database = {
      id: current.id as number,
      version: String(current.version),
      systemId: String(current['system-id']),
    };
  const cipher = repo?.cipher ?? entry.cipher;
  if (typeof cipher === 'string') facts.cipher = cipher;
  // The newest file may be a backup's history file (`…0002.00000028.backup`): its segment counts.
  const segment = (name: string | undefined) => name?.slice(0, 24);
  if (str(archive?.min)) facts.archiveMin = segment(str(archive?.min));
  if (str(archive?.max)) facts.archiveMax = segment(str(archive?.max));
  return facts;
}
