// What apply shows a person at a terminal: each host's current action with its elapsed
// time, redrawn in place, then one final line per host. Through a pipe it prints plain
// lines only, with no cursor movement (cron mails and logs stay readable).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BSYNC, bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario } from '../support/lab.js';
import { shq } from '../../lib/formats/shell.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];

describe('apply progress', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
  }, 300_000);

  it('on a terminal: live lines per host with elapsed time, and a final line per host', async () => {
    // script(1) gives bsync a pseudo-terminal, as a person's shell would.
    const command = `${shq(process.execPath)} ${shq(BSYNC)} apply -c ${shq(CONFIG)} --yes --allow-restart`;
    const { stdout } = await promisify(execFile)('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '160' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toContain('Apply complete');
    expect(stdout).toContain('\u001b[2K'); // lines redrawn in place
    expect(stdout).toMatch(/ssh-backup1: first_backup\[pgedge-lab-1\] \(\d+\.\d s\)/);
    for (const host of HOSTS) expect(stdout).toMatch(new RegExp(`${host}: (\\d+)/\\1 done in \\d+(\\.\\d)? s`));
  }, 300_000);

  it('through a pipe: plain lines, no cursor movement', async () => {
    await resetScenario('ssh');
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^ssh-pg1: pgbackrest_conf\.\.\.$/m);
    expect(run.stderr).not.toContain('\u001b[');
    expect(run.stderr).not.toMatch(/done in/);
  }, 300_000);
});
