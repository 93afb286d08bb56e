// No pgBackRest command runs as root (issue 30, item 3; pgBackRest 2.59 and later refuse
// it without allow-root). Checked on the hosts, not by reading the code: on every host of
// the ssh scenario, /usr/bin/pgbackrest is bind-mounted over by a wrapper that records the
// caller's uid and arguments, then runs the real binary. Through a fresh apply (stanza-create,
// check, the first full), plan, status, check, an on-demand backup, a scheduled job run as
// cron runs it, verify, and a restore of the primary, with WAL archived by the server
// itself, no recorded call has uid 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronJob } from '../../lib/formats/cron.js';
import { shq } from '../../lib/formats/shell.js';
import { bsync, FIXTURES } from '../support/bsync.js';
import { calls, commandOf, recordCalls, stopRecording } from '../support/pgbackrest-calls.js';
import { resetScenario, sh } from '../support/lab.js';
import { converge, restore } from '../support/recovery.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];

describe('no pgBackRest command runs as root', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    for (const host of HOSTS) await recordCalls(host);
  }, 600_000);
  afterAll(async () => {
    for (const host of HOSTS) await stopRecording(host);
  });

  it('through apply, plan, status, check, backups, a cron job, verify and a restore', async () => {
    await converge(CONFIG);
    for (const args of [
      ['plan', '-c', CONFIG, '--detailed-exitcode'],
      ['status', '-c', CONFIG],
      ['check', '-c', CONFIG],
      ['backup', '-c', CONFIG, '--zone', '1', '--type', 'diff'],
      ['verify', '-c', CONFIG],
    ]) {
      const run = await bsync(args);
      expect(run.code, `${args[0]}: ${run.stdout}${run.stderr}`).toBe(0);
    }
    // The scheduled diff job, as cron runs it: its own sh, as the repository user.
    const line = (await sh('ssh-backup1', 'crontab -u backrest -l'))
      .split('\n')
      .find((entry) => entry.endsWith('# bsync:diff:pgedge-lab-1'))!;
    await sh('ssh-backup1', `cd ~backrest && runuser -u backrest -- sh -c ${shq(cronJob(line)!.command)}`);
    const restored = await restore(CONFIG, '--zone', '1', '--allow-overwrite', '--yes');
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);

    const recorded = await calls(HOSTS);
    const commands = new Set(recorded.map((call) => commandOf(call.args)));
    // The record covers what was run: each of these on some host.
    for (const command of ['stanza-create', 'check', 'backup', 'info', 'archive-push', 'archive-get', 'restore'])
      expect(commands, command).toContain(command);
    const asRoot = recorded.filter((call) => call.uid === 0);
    expect(asRoot, 'pgBackRest calls made as root').toEqual([]);
  }, 900_000);
});
