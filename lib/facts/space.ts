// How much room a folder's file system has and how much the folder itself holds: what a
// restore into it can use (the folder's own bytes are replaced). Asked only by restore,
// once the data directory is known from the first round trip's facts.
import { HostError } from '../errors.js';
import type { HostConnection } from '../transport/types.js';
import { shq } from '../formats/shell.js';
import { FRAMED_SETUP, FRAMED_DONE, framed, readFramed } from './framed.js';

export interface SpaceFacts {
  /** Bytes free for ordinary users on the folder's file system (or its nearest existing parent's). */
  availableBytes: number;
  /** Bytes the folder holds now (0 when it does not exist). */
  usedBytes: number;
}

export function spaceCommand(path: string): string {
  const dir = shq(path);
  return [
    FRAMED_SETUP,
    framed(
      [
        `p=${dir}; while [ ! -d "$p" ]; do p=$(dirname "$p"); done`,
        `df -P -B1 "$p" | awk 'NR == 2 { print $4 }'`,
        `if [ -d ${dir} ]; then du -sxb ${dir} | cut -f1; else echo 0; fi`,
      ].join('\n'),
    ),
    FRAMED_DONE,
  ].join('\n');
}

export function parseSpace(host: string, path: string, output: string): SpaceFacts {
  const result = readFramed(output.trim().split('\n').at(-1));
  const [available, used] = (result?.stdout ?? '').trim().split('\n');
  if (result?.code !== 0 || !/^\d+$/.test(available ?? '') || !/^\d+$/.test(used ?? '')) {
    throw new HostError(host, `cannot measure the space of ${path}`, {
      hint: (result?.stderr.trim() || 'df or du printed no number').slice(0, 300),
    });
  }
  return { availableBytes: Number(available), usedBytes: Number(used) };
}

export async function measureSpace(connection: HostConnection, host: string, path: string): Promise<SpaceFacts> {
  const run = await connection.exec(spaceCommand(path));
  return parseSpace(host, path, run.stdout);
}
