// bench:backup's archiving table (docs/performance.md): the backlog is read in one pass, so a
// segment archived between listing and reading its time is left out, never printed as
// "undefined s" (as it was when the async queue acknowledged segments mid-read).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveBacklogCommand, archiveBacklogOf, backlogText } from '../bench/lab-bench.js';

const status = mkdtempSync(join(tmpdir(), 'bsync-backlog-'));
afterAll(() => rmSync(status, { recursive: true, force: true }));

describe('the archive backlog bench:backup prints', () => {
  it('counts the .ready files and ages the oldest by the clock the same shell read', () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [name, age] of [
      ['000000010000000000000003.ready', 40],
      ['000000010000000000000004.ready', 7],
      ['000000010000000000000002.done', 900],
    ] as const) {
      writeFileSync(join(status, name), '');
      utimesSync(join(status, name), now - age, now - age);
    }
    const backlog = archiveBacklogOf(execFileSync('sh', ['-c', archiveBacklogCommand(status)], { encoding: 'utf8' }));
    expect(backlog.ready).toBe(2);
    // The shell's clock is read after the files' times were set: 40 s, or a second or two more.
    expect(backlog.oldest).toBeGreaterThanOrEqual(40);
    expect(backlog.oldest).toBeLessThan(45);
    expect(backlogText(backlog)).toMatch(/^2 \/ 4\d s$/);
  });

  it('says none when no segment waits, also when the last one was archived while it was read', () => {
    const backlog = archiveBacklogOf('1796693599\n');
    expect(backlog).toEqual({ ready: 0, oldest: null });
    expect(backlogText(backlog)).toBe('0 / none');
  });
});
