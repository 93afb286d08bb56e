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

export function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`;
  console.log(`\n${title}\n${line(head)}\n|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
