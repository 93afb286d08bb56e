// archive_mode, archive_command and restore_command for a standalone cluster: written in
// postgresql.conf, overrides elsewhere removed, then made effective by a reload or (for
// archive_mode) a restart. What the server runs with is what counts.
import { asHolderOf } from './folder-holder.js';
import { shq } from '../formats/shell.js';
import { psqlCommand } from '../psql.js';
import type { PgFileSetting, PostgresFacts } from '../facts/types.js';
import { PG_OS_USER } from '../facts/probe.js';
import type { Change, FieldChange, Step } from './types.js';
import { COMMENT_MARK } from './marker.js';

type DesiredSettings = Record<string, string>;

/** A value as postgresql.conf spells it: inside quotes the server reads `\\` as an escape and `''` as a quote. */
export function confLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A postgresql.conf line as the server's lexer reads it (guc-file.l): `name [=] value
 * [# comment]`, the name case-insensitive, the value a quoted string (`''` and `\x`
 * escapes) or an unquoted word; null for comments and lines it would not take.
 */
export function parseConfLine(line: string): { name: string; value: string } | null {
  const match = /^\s*([A-Za-z_][\w.]*)\s*=?\s*('(?:[^'\\\n]|\\.|'')*'|[^\s#']+)\s*(?:#.*)?$/.exec(line);
  if (!match) return null;
  const [, name, raw] = match;
  if (!raw.startsWith("'")) return { name: name.toLowerCase(), value: raw };
  const escapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const value = raw.slice(1, -1).replace(/''|\\([0-7]{1,3}|.)/g, (text, escaped?: string) => {
    if (text === "''") return "'";
    if (/^[0-7]+$/.test(escaped!)) return String.fromCharCode(parseInt(escaped!, 8));
    return escapes[escaped!] ?? escaped!;
  });
  return { name: name.toLowerCase(), value };
}

/** Whether a line already sets the value: enum words (`on`) compare as the server does, case-insensitively; commands exactly. */
function setsValue(line: string, name: string, value: string): boolean {
  const parsed = parseConfLine(line);
  if (parsed?.name !== name.toLowerCase()) return false;
  return /^[a-z]+$/.test(value) ? parsed.value.toLowerCase() === value : parsed.value === value;
}

/**
 * postgresql.conf with each setting on one active line of bsync's, other active lines of it
 * commented. A setting whose last active line (the one the server takes) already holds the
 * value is left exactly as it is, whoever wrote it: no rewrite just to add the marker.
 */
export function editPostgresqlConf(current: string, desired: DesiredSettings): string {
  const lines = current === '' ? [] : current.split('\n');
  if (current.endsWith('\n')) lines.pop();
  for (const [name, value] of Object.entries(desired)) {
    const wanted = `${name} = ${confLiteral(value)}\t${COMMENT_MARK}`;
    // Setting names are case-insensitive to the server: `Archive_Mode=on` is the same setting.
    const active = new RegExp(`^\\s*${name}\\s*(=|\\s)`, 'i');
    const indexes = lines.flatMap((line, index) => (active.test(line) ? [index] : []));
    if (indexes.length === 0) {
      lines.push(wanted);
      continue;
    }
    const last = indexes[indexes.length - 1];
    if (setsValue(lines[last], name, value)) continue;
    for (const index of indexes.slice(0, -1)) lines[index] = `#${lines[index]}\t${COMMENT_MARK}: superseded below`;
    lines[last] = wanted;
  }
  return `${lines.join('\n')}\n`;
}

export function psqlStep(port: number, sql: string): Step {
  return {
    user: PG_OS_USER,
    command: psqlCommand(port, '-q -v ON_ERROR_STOP=1'),
    stdin: [sql],
  };
}

/** Entries in other files (conf.d, postgresql.auto.conf) that would win over postgresql.conf with another value. */
export function overridesOf(pg: PostgresFacts, desired: DesiredSettings): PgFileSetting[] {
  return pg.fileSettings.filter(
    (entry) =>
      entry.name in desired
      && entry.applied
      && entry.sourcefile !== pg.configFile
      && entry.setting !== desired[entry.name],
  );
}

/** The override commented out (or reset by ALTER SYSTEM); `refused` says why its file is not bsync's to edit. */
export function planOverride(entry: PgFileSetting, port: number, refused: string | null = null): Change {
  if (refused)
    return { action: 'delete', conflict: refused, fields: [{ name: entry.name, before: entry.setting }], steps: [] };
  const isAuto = entry.sourcefile.endsWith('/postgresql.auto.conf');
  const step: Step = isAuto
    ? psqlStep(port, `ALTER SYSTEM RESET ${entry.name};\n`)
    : {
        command: asHolderOf(
          entry.sourcefile,
          `sed -i ${shq(`${entry.sourceline}s/^/${COMMENT_MARK}: overrode postgresql.conf: /`)} ${shq(entry.sourcefile)}`,
          'keep',
        ),
      };
  return {
    action: 'delete',
    reason: `${entry.name} is set to '${entry.setting}' in ${entry.sourcefile}:${entry.sourceline}, which wins over postgresql.conf`,
    fields: [{ name: entry.name, before: entry.setting }],
    steps: [step],
  };
}

/** Settings in effect that differ from the desired ones, split by what makes them effective. */
export function settingsNotInEffect(
  pg: PostgresFacts,
  desired: DesiredSettings,
): { reload: FieldChange[]; restart: FieldChange[] } {
  const reload: FieldChange[] = [];
  const restart: FieldChange[] = [];
  for (const [name, value] of Object.entries(desired)) {
    const running = pg.settings[name];
    if (running && running.setting === value) continue;
    const field = { name, before: running?.setting ?? '', after: value };
    (running?.context === 'postmaster' ? restart : reload).push(field);
  }
  return { reload, restart };
}

export function planReload(fields: FieldChange[], port: number): Change | null {
  if (fields.length === 0) return null;
  return {
    action: 'update',
    reason: 'settings take effect on reload',
    fields,
    steps: [psqlStep(port, 'SELECT pg_reload_conf();\n')],
  };
}

export function planRestart(fields: FieldChange[], restartCommand: Step): Change | null {
  if (fields.length === 0) return null;
  return {
    action: 'update',
    reason: 'archive_mode takes effect only on a restart',
    fields,
    steps: [restartCommand],
    requiresRestart: true,
  };
}
