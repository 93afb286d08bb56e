// The stanza as the repository holds it, read where the repository is reachable:
// on the backup host for SSH repositories (S3 reads it through a postgres host).
import { asUser, shq } from '../transport/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { fromBase64, PG_OS_USER } from './probe.js';
import { PGBACKREST_CONF } from './paths.js';
import type { BackupInfo, RepoFacts } from './types.js';

/** Which host reads the repository, and as which OS user. */
function repoReader(ctx: ProbeContext): string | null {
  if (ctx.inventory.repo.type === 'ssh') return ctx.host.role === 'backup' ? ctx.inventory.repo.user : null;
  return ctx.host.role === 'postgres' ? PG_OS_USER : null;
}

export const repoProbe: Probe = {
  name: 'repo',
  applies: (ctx) => repoReader(ctx) !== null,
  command: (ctx) => {
    const user = repoReader(ctx) as string;
    const stanza = shq(ctx.stanza);
    const lines = [];
    if (ctx.inventory.repo.type === 'ssh') {
      lines.push(`[ -f ${shq(`${ctx.inventory.repo.path}/backup/${ctx.stanza}/backup.info`)} ] && echo Y || echo N`);
    } else {
      lines.push(`echo -`);
    }
    // info only means something once bsync's config is in place; otherwise pgBackRest's defaults would answer.
    const info = asUser(user, `pgbackrest --stanza=${stanza} --output=json info`);
    lines.push(
      `if [ -f ${shq(PGBACKREST_CONF)} ] && id -u ${shq(user)} >/dev/null 2>&1 && out=$(${info} 2>&1 </dev/null); then printf 'OK|%s\\n' "$(printf '%s' "$out" | base64 -w0)"; ` +
        `else printf 'ERR|%s\\n' "$(printf '%s' "\${out:-no pgbackrest.conf yet}" | base64 -w0)"; fi`,
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
    if (infoLine.startsWith('OK|')) {
      Object.assign(repo, parseInfo(fromBase64(infoLine.slice(3)), ctx.stanza));
      // Object stores have no file to test: the stanza exists when info reads it (0 ok, 2 no valid backup yet).
      if (existsLine.trim() === '-') repo.backupInfoExists = repo.statusCode === 0 || repo.statusCode === 2;
    } else {
      repo.statusMessage = fromBase64(infoLine.slice(4)).trim();
    }
    return { repo };
  },
};

interface InfoStanza {
  name: string;
  status: { code: number; message: string };
  backup?: Array<{ label: string; type: string; error?: boolean }>;
}

/** `pgbackrest info --output=json`: status code 1 = missing stanza path, 0 = ok. */
export function parseInfo(json: string, stanza: string): Partial<RepoFacts> {
  let stanzas: InfoStanza[];
  try {
    stanzas = JSON.parse(json) as InfoStanza[];
  } catch {
    return { statusCode: null, statusMessage: `unreadable pgbackrest info output: ${json.slice(0, 200)}` };
  }
  const entry = stanzas.find((candidate) => candidate.name === stanza);
  if (!entry) return { statusCode: null, statusMessage: 'stanza not in pgbackrest info output' };
  const backups: BackupInfo[] = (entry.backup ?? []).map((backup) => ({
    label: backup.label,
    type: backup.type,
    error: backup.error === true,
  }));
  return { statusCode: entry.status.code, statusMessage: entry.status.message, backups };
}
