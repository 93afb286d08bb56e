// The stanza as the repository holds it, read where the repository is reachable:
// on the backup host for SSH repositories (S3 reads it through a postgres host).
import { asUserInScript, shq } from '../transport/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { pgbackrestUser } from './probe.js';
import { framed, parseJsonOutput, requireFramed } from './framed.js';
import { PGBACKREST_CONF } from './paths.js';
import { s3Flags } from '../repositories/s3.js';
import type { Inventory } from '../config/inventory.js';
import type { BackupInfo, RepoFacts } from './types.js';

const INFO_TIMEOUT_SEC = 20;

/** The repository's location options as bsync wants them (never secrets: those stay in the file). */
function repoLocation(inventory: Inventory): string[] {
  const options = [`--repo1-path=${inventory.repo.path}`];
  if (inventory.repo.type === 's3' && inventory.repo.s3) options.push(...s3Flags(inventory.repo.s3));
  return options;
}

/** Whether this host reads the repository: the backup host of an SSH one, each PostgreSQL host of an S3 one. */
function readsRepo(ctx: ProbeContext): boolean {
  return ctx.host.role === (ctx.inventory.repo.type === 'ssh' ? 'backup' : 'postgres');
}

export const repoProbe: Probe = {
  name: 'repo',
  applies: readsRepo,
  command: (ctx) => {
    const user = pgbackrestUser(ctx.inventory, ctx.host);
    const stanza = shq(ctx.stanza);
    const lines = [];
    if (ctx.inventory.repo.type === 'ssh') {
      lines.push(`[ -f ${shq(`${ctx.inventory.repo.path}/backup/${ctx.stanza}/backup.info`)} ] && echo Y || echo N`);
    } else {
      lines.push(`echo -`);
    }
    // info only means something once a config is in place; otherwise pgBackRest's defaults would answer.
    // The repository is looked for where bsync wants it, not where a drifted config points,
    // and a repository that does not answer cannot hold up the plan.
    const info = asUserInScript(
      user,
      `timeout ${INFO_TIMEOUT_SEC} pgbackrest --stanza=${stanza} ${repoLocation(ctx.inventory).map(shq).join(' ')} --io-timeout=${INFO_TIMEOUT_SEC - 5} --output=json info`,
    );
    lines.push(
      `if [ -f ${shq(PGBACKREST_CONF)} ] && id -u ${shq(user)} >/dev/null 2>&1; then`,
      framed(info),
      `else echo none; fi`,
    );
    return lines.join('\n');
  },
  parse(output, ctx) {
    const [existsLine = 'N', infoLine = ''] = output.split('\n');
    const repo: RepoFacts = {
      stanza: ctx.stanza,
      backupInfoExists: existsLine.trim() === 'Y',
      statusCode: null,
      statusMessage: '',
      backups: [],
    };
    if (infoLine.trim() === 'none') {
      repo.statusMessage = 'no pgbackrest.conf yet';
      return { repo };
    }
    const info = requireFramed(infoLine, ctx, 'repo', 'pgbackrest info');
    if (info.code === 0) {
      Object.assign(
        repo,
        parseInfo(parseJsonOutput(info.stdout, ctx, 'repo', 'pgbackrest info --output=json'), ctx.stanza),
      );
      // Object stores have no file to test: the stanza exists when info reads it (0 ok, 2 no valid backup yet).
      if (existsLine.trim() === '-') repo.backupInfoExists = repo.statusCode === 0 || repo.statusCode === 2;
    } else {
      repo.statusMessage = info.stderr.trim() || info.stdout.trim() || `pgbackrest info exited ${info.code}`;
    }
    return { repo };
  },
};

interface InfoBackup {
  label: string;
  type: string;
  error?: boolean;
  timestamp?: { start?: number; stop?: number };
  info?: { size?: number; repository?: { delta?: number } };
  archive?: { start?: string | null; stop?: string | null };
  database?: { id?: number };
}

interface InfoStanza {
  name: string;
  cipher?: string;
  status: { code: number; message: string; lock?: { backup?: { held?: boolean } } };
  backup?: InfoBackup[];
  archive?: Array<{ database?: { id?: number }; min?: string | null; max?: string | null }>;
  db?: Array<{ id?: number; version?: string }>;
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
    pgVersion: versions.get(backup.database?.id),
  };
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined) (entry as unknown as Record<string, unknown>)[key] = value;
  return entry;
}

/** `pgbackrest info --output=json`: status code 1 = missing stanza path, 0 = ok. */
export function parseInfo(parsed: unknown, stanza: string): Partial<RepoFacts> {
  const stanzas = Array.isArray(parsed) ? (parsed as InfoStanza[]) : [];
  const entry = stanzas.find((candidate) => candidate.name === stanza);
  if (!entry) return { statusCode: null, statusMessage: 'stanza not in pgbackrest info output' };
  const versions = new Map((entry.db ?? []).map((db) => [db.id, String(db.version)] as const));
  const backups = (entry.backup ?? []).map((backup) => backupInfo(backup, versions));
  // The archive of the newest database (the last one after a stanza-upgrade).
  const archive = (entry.archive ?? []).at(-1);
  const facts: Partial<RepoFacts> = {
    statusCode: entry.status.code,
    statusMessage: entry.status.message,
    backups,
    backupRunning: entry.status.lock?.backup?.held === true,
  };
  if (typeof entry.cipher === 'string') facts.cipher = entry.cipher;
  // The newest file may be a backup's history file (`…0002.00000028.backup`): its segment counts.
  const segment = (name: string | undefined) => name?.slice(0, 24);
  if (str(archive?.min)) facts.archiveMin = segment(str(archive?.min));
  if (str(archive?.max)) facts.archiveMax = segment(str(archive?.max));
  return facts;
}
