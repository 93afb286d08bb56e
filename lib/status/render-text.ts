// `bsync status` for people: one table row per stanza and repository, then what needs
// attention. Ages and sizes in the units a person reads at a glance.
import { windowText } from './window.js';
import type { BackupSummary, StanzaStatus, StatusReport } from './report.js';

export function humanBytes(bytes: number | null): string {
  if (bytes === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function humanAge(seconds: number | null): string {
  if (seconds === null) return '?';
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

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

export function renderStatusText(report: StatusReport): string {
  const rows = [HEADER, ...report.stanzas.map(row)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  if (report.stanzas.length > 0)
    lines.push(
      '',
      'Recovery windows (UTC):',
      ...report.stanzas.map(
        (stanza) =>
          `  ${stanza.stanza} ${stanza.repo.key}: ${stanza.statusCode === null ? 'unknown: pgbackrest info could not be read' : windowText(stanza.window)}`,
      ),
    );
  const attention = report.stanzas.flatMap((stanza) =>
    stanza.problems.map((problem) => `  ${stanza.stanza}: ${problem}`),
  );
  if (attention.length > 0) lines.push('', 'Needs attention:', ...attention);
  return `${lines.join('\n')}\n`;
}
