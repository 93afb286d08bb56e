// What the lab benches share: a command on a lab host that must succeed, and how their
// results print (Markdown tables for docs/performance.md).
import * as lab from '../lab/lab.js';

export async function on(host: string, command: string): Promise<string> {
  const run = await lab.sshRun(host, command);
  if (run.code !== 0) throw new Error(`${host}: ${command}\nexit ${run.code}: ${run.stderr}`);
  return run.stdout;
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Segments waiting for archive_command, and how long the oldest has waited (null: none waits). */
export interface ArchiveBacklog {
  ready: number;
  oldest: number | null;
}

/**
 * The shell command that lists pg_wal's waiting segments (`dir`: its archive_status): the host's clock,
 * then each `.ready` file's mtime, in one pass; a file archived meanwhile is left out, not an error.
 */
export const archiveBacklogCommand = (dir: string) =>
  `cd ${dir} && date +%s && { find . -maxdepth 1 -name '*.ready' -printf '%T@\\n' 2>/dev/null || true; }`;

/** What archiveBacklogCommand printed: the clock's line, then one mtime per waiting segment. */
export function archiveBacklogOf(output: string): ArchiveBacklog {
  const [now, ...mtimes] = output.trim().split('\n').map(Number);
  if (mtimes.length === 0) return { ready: 0, oldest: null };
  return { ready: mtimes.length, oldest: Math.max(0, Math.round(now! - Math.min(...mtimes))) };
}

/** A backlog as the archiving table prints it: `ready / oldest`, "none" where no segment waits. */
export const backlogText = ({ ready, oldest }: ArchiveBacklog) =>
  `${ready} / ${oldest === null ? 'none' : `${oldest} s`}`;

export function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`;
  console.log(`\n${title}\n${line(head)}\n|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
