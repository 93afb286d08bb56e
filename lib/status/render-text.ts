// `bsync status` for people: one table row per stanza and repository, then what needs
// attention. Ages and sizes in the units a person reads at a glance.
import { windowText } from './window.js';
import { humanAge, humanBytes } from '../human-units.js';
import type { BackupSummary, StanzaStatus, StatusReport } from './report.js';
import type { StandbySiteStatus } from './standby-sites.js';

export { humanAge, humanBytes } from '../human-units.js';
import { stanzaWalServers, type JobSummary } from './watch.js';

function backupCell(backup: BackupSummary | null): string {
  return backup ? `${humanAge(backup.ageSeconds)} ago, ${humanBytes(backup.sizeBytes)}` : '-';
}

function archivingCell(stanza: StanzaStatus): string {
  const archiving = stanza.archiving;
  if (!archiving) return '?';
  if (archiving.failing) return `FAILING since ${archiving.lastFailedAt}`;
  return archiving.lastArchivedWal
    ? `${archiving.lastArchivedWal} ${humanAge(archiving.lastArchivedAgeSeconds)} ago`
    : 'nothing yet';
}

function row(stanza: StanzaStatus): string[] {
  return [
    stanza.stanza,
    `${stanza.repo.key} ${stanza.repo.type}`,
    stanza.statusCode === 0
      ? stanza.backupRunning
        ? 'ok, backup running'
        : 'ok'
      : stanza.statusMessage.split('\n')[0] || 'unknown',
    backupCell(stanza.newest.full),
    backupCell(stanza.newest.diff),
    backupCell(stanza.newest.incr),
    `${stanza.backupCount} / ${humanBytes(stanza.repoSizeBytes)}`,
    stanza.walArchive.min && stanza.walArchive.max
      ? `${stanza.walArchive.min}..${stanza.walArchive.max.slice(-8)}`
      : '-',
    archivingCell(stanza),
  ];
}

const HEADER = [
  'STANZA',
  'REPO',
  'STATUS',
  'LAST FULL',
  'LAST DIFF',
  'LAST INCR',
  'BACKUPS / SIZE',
  'WAL ARCHIVE',
  'LAST ARCHIVED',
];

/** Rows under a header, each column as wide as its widest cell. */
function table(header: string[], body: string[][]): string[] {
  const rows = [header, ...body];
  const widths = header.map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
  return rows.map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
}

const at = (iso: string | null) => iso ?? '-';

function jobRun(job: JobSummary): string {
  switch (job.state) {
    case 'running':
      return `running since ${job.startedAt}`;
    case 'succeeded':
      return `ok, ended ${job.endedAt}`;
    case 'failed':
      return `FAILED at ${job.endedAt} (exit ${job.exitCode})`;
    case 'unreadable':
      return 'outcome unreadable';
    default:
      return 'no run recorded';
  }
}

/** The jobs that recorded a run (none does yet: docs/monitoring.md, Scheduled jobs). */
function jobLines(report: StatusReport): string[] {
  const body = report.stanzas.flatMap((stanza) =>
    stanza.jobs
      .filter((job) => job.state !== 'none')
      .map((job) => [
        stanza.stanza,
        stanza.repo.key,
        job.type,
        job.host ?? '-',
        jobRun(job),
        at(job.lastSuccessAt),
        at(job.lastFailureAt),
      ]),
  );
  if (body.length === 0) return [];
  return ['', ...table(['STANZA', 'REPO', 'JOB', 'HOST', 'LAST RUN', 'LAST SUCCESS', 'LAST FAILURE'], body)];
}

function walLines(report: StatusReport): string[] {
  const body = stanzaWalServers(report.stanzas).flatMap(({ stanza, servers }) =>
    servers.map((server) => [
      stanza,
      `${server.host} (${server.role})`,
      String(server.readyCount),
      server.readyCount > 0 ? `${server.oldestReady} ${humanAge(server.oldestReadyAgeSeconds)}` : '-',
      humanBytes(server.walBytes),
    ]),
  );
  if (body.length === 0) return [];
  return ['', ...table(['STANZA', 'SERVER', 'WAL WAITING', 'OLDEST WAITING', 'PG_WAL SIZE'], body)];
}

function siteState(site: StandbySiteStatus): string {
  if (!site.running) return 'DOWN';
  return site.inRecovery ? 'in recovery' : 'PRIMARY';
}

function siteLag(site: StandbySiteStatus): string {
  if (site.behind === null) return '?';
  if (!site.behind) return 'caught up';
  return site.replayLagSeconds === null
    ? 'behind (no transaction replayed yet)'
    : `${humanAge(site.replayLagSeconds)} behind`;
}

/** Each standby site: what it replays, how far it got, and whether the source's archive is past it. */
function standbyLines(report: StatusReport): string[] {
  const body = report.standbySites.map((site) => [
    `zone ${site.zone}`,
    site.host,
    `${site.standbyOf.stanza} ${site.standbyOf.repo}`,
    siteState(site),
    site.replayedLsn ?? '-',
    site.replayedAt ? `${site.replayedAt} (${humanAge(site.replayedAgeSeconds)} ago)` : '-',
    site.newestArchived ?? '-',
    siteLag(site),
  ]);
  if (body.length === 0) return [];
  const header = ['STANDBY SITE', 'HOST', 'STANDBY OF', 'STATE', 'REPLAYED TO', 'LAST REPLAYED COMMIT (UTC)'];
  return ['', ...table([...header, 'NEWEST ARCHIVED', 'REPLAY'], body)];
}

export function renderStatusText(report: StatusReport): string {
  // A run over standby sites alone (--host of one) shows no empty stanza table.
  const stanzas = report.stanzas.length > 0 || report.standbySites.length === 0;
  const lines = [
    ...(stanzas ? table(HEADER, report.stanzas.map(row)) : []),
    ...jobLines(report),
    ...walLines(report),
    ...standbyLines(report),
  ];
  if (lines[0] === '') lines.shift();
  if (report.stanzas.length > 0)
    lines.push(
      '',
      'Recovery windows (UTC):',
      ...report.stanzas.map(
        (stanza) =>
          `  ${stanza.stanza} ${stanza.repo.key}: ${stanza.statusCode === null ? 'unknown: pgbackrest info could not be read' : windowText(stanza.window)}`,
      ),
    );
  const attention = [
    ...report.stanzas.flatMap((stanza) => stanza.problems.map((problem) => `  ${stanza.stanza}: ${problem}`)),
    ...report.standbySites.flatMap((site) =>
      site.problems.map((problem) => `  zone ${site.zone} (standby site): ${problem}`),
    ),
  ];
  if (attention.length > 0) lines.push('', 'Needs attention:', ...attention);
  return `${lines.join('\n')}\n`;
}
