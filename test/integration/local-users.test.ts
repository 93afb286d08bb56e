// Root on a host is not lent to its local users. Each case plays a local user on a lab host
// (postgres, or nobody for a world-writable folder) planting a link or swapping a file where
// bsync acts as root, and checks that root-owned stand-ins for /etc and /etc/shadow are
// byte for byte, owner and mode, what they were.
import { spawn } from 'node:child_process';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ownershipStep, writeFileStep } from '../../lib/resources/remote.js';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { sshArgs } from '../lab/lab.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOST = 'ssh-pg1';
const HOME = '/var/lib/postgresql';
const STANDIN_DIR = '/etc/bsync-standin';
const STANDIN_FILE = '/etc/bsync-standin-file';

/** As the host's postgres user, the way a shell got through COPY ... TO PROGRAM would. */
const asPostgres = (command: string) =>
  sh(HOST, `runuser -u postgres -- /bin/sh -c '${command.replace(/'/g, `'\\''`)}'`);

/** Owner, group, mode, size and checksum of the stand-ins and everything in the stand-in folder. */
const standins = () =>
  sh(
    HOST,
    `cd / && stat -c '%n %U %G %a %s' ${STANDIN_DIR} ${STANDIN_DIR}/* ${STANDIN_FILE} && sha256sum ${STANDIN_DIR}/* ${STANDIN_FILE}`,
  );

const apply = () => bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);

async function expectConverged(): Promise<void> {
  const again = await apply();
  expect(again.code, again.stdout + again.stderr).toBe(0);
  const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
  expect(plan.stdout, plan.stderr).toContain('No changes.');
}

describe('a local user on a host bsync manages as root', () => {
  let before = '';

  beforeAll(async () => {
    await resetScenario('ssh');
  }, 600_000);

  beforeEach(async () => {
    await sh(
      HOST,
      `rm -rf ${STANDIN_DIR} ${STANDIN_FILE} && install -d -m 0755 ${STANDIN_DIR} && printf 'root:$y$standin:20000::::::\\n' > ${STANDIN_DIR}/shadow && chmod 0640 ${STANDIN_DIR}/shadow && printf 'stand-in for /etc/shadow\\n' > ${STANDIN_FILE} && chmod 0640 ${STANDIN_FILE}`,
    );
    before = await standins();
  });

  it('~postgres/.ssh replaced by a link to a root folder: apply writes, chowns and chmods nothing there, names the link, and converges once it is gone', async () => {
    await asPostgres(`rm -rf ${HOME}/.ssh && ln -s ${STANDIN_DIR} ${HOME}/.ssh`);
    const run = await apply();
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(`${HOME}/.ssh lies in a folder that postgres, not root, can change`);
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    expect(await standins()).toBe(before);
    expect(await sh(HOST, `ls -A ${STANDIN_DIR}`)).toBe('shadow\n');
    await asPostgres(`rm ${HOME}/.ssh`);
    await expectConverged();
    expect(await sh(HOST, `stat -c '%U %a' ${HOME}/.ssh`)).toBe('postgres 700\n');
  });

  it('a file in ~postgres/.ssh replaced by a link: the plan names it, apply refuses it, the stand-in is untouched', async () => {
    await asPostgres(`rm -f ${HOME}/.ssh/known_hosts && ln -s ${STANDIN_FILE} ${HOME}/.ssh/known_hosts`);
    const run = await apply();
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(`${HOME}/.ssh/known_hosts is a symbolic link`);
    expect(await standins()).toBe(before);
    await asPostgres(`rm ${HOME}/.ssh/known_hosts`);
    await expectConverged();
  });

  it('the temporary file of a write swapped for a link between its write and its chown: nothing outside the folder changes', async () => {
    // bsync stages a step's stdin before it runs, so the window between the temporary file's
    // write and its chown is short; here stdin is held open to widen it, so the swap lands
    // every time, and the step is the very command apply runs for ~postgres/.pgpass.
    const step = writeFileStep(`${HOME}/.pgpass`, 'ssh-backup1:5432:*:backrest:x\n', {
      owner: 'postgres',
      group: 'postgres',
      mode: '0600',
    });
    const child = spawn('ssh', [...sshArgs(HOST), step.command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    child.stdin.write('ssh-backup1:5432:*:');
    let temporary = '';
    for (let tries = 0; tries < 100 && temporary === ''; tries += 1) {
      temporary = (await onHost(HOST, `ls -d ${HOME}/.bsync.* 2>/dev/null | head -n 1`)).stdout.trim();
      if (temporary === '') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(temporary, 'the step made its temporary file').not.toBe('');
    // The folder's owner may remove and replace any entry in it.
    await asPostgres(`rm -f ${temporary} && ln -s ${STANDIN_FILE} ${temporary}`);
    child.stdin.end('backrest:x\n');
    const code = await exited;
    expect(await standins(), `step exit ${code}: ${stderr}`).toBe(before);
    await asPostgres(`rm -f ${HOME}/.bsync.*`);
  });

  it('a mode-only repair meets a link planted after the probe: it does not chown or chmod what the link points to', async () => {
    await expectConverged();
    await asPostgres(`chmod 0644 ${HOME}/.pgpass`);
    const plan = await bsync(['plan', '-c', CONFIG]);
    expect(plan.stdout).toMatch(/pgpass.*\n?.*mode: 0644 -> 0600/);
    // After the probe, before the step: the file becomes a link.
    await asPostgres(`mv ${HOME}/.pgpass ${HOME}/.pgpass.kept && ln -s ${STANDIN_FILE} ${HOME}/.pgpass`);
    const step = ownershipStep(`${HOME}/.pgpass`, { owner: 'postgres', group: 'postgres', mode: '0600' });
    const ran = await onHost(HOST, step.command);
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain('bsync does not follow the link there');
    expect(await standins()).toBe(before);
    await asPostgres(`rm ${HOME}/.pgpass && mv ${HOME}/.pgpass.kept ${HOME}/.pgpass`);
    await expectConverged();
    expect(await sh(HOST, `stat -c '%U %a' ${HOME}/.pgpass`)).toBe('postgres 600\n');
  });

  it("another user's links at the world-writable /run/lock are never used: the lease lives in root's own /run/bsync", async () => {
    await sh(HOST, 'rm -f /run/lock/bsync.lease /run/lock/bsync.lock');
    const nobody = (command: string) =>
      sh(HOST, `setpriv --reuid=nobody --regid=nogroup --clear-groups /bin/sh -c '${command}'`);
    await nobody(`ln -s ${STANDIN_FILE} /run/lock/bsync.lease && ln -s ${STANDIN_FILE} /run/lock/bsync.lock`);
    await sh(HOST, `rm -f ${HOME}/.pgpass`);
    const run = await apply();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await standins()).toBe(before);
    expect(await sh(HOST, "stat -c '%U %a %F' /run/bsync")).toBe('root 700 directory\n');
    await sh(HOST, 'rm -f /run/lock/bsync.lease /run/lock/bsync.lock');
  });

  it("a /run/bsync that is not root's own 0700 folder is refused by name, and nothing in it is touched", async () => {
    await sh(HOST, 'rm -rf /run/bsync && install -d -o nobody -m 0777 /run/bsync && touch /run/bsync/lease');
    await sh(HOST, `rm -f ${HOME}/.pgpass`);
    const run = await apply();
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain("/run/bsync is not a folder of root's own (0700)");
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    expect(await sh(HOST, `test -e ${HOME}/.pgpass && echo written || echo untouched`)).toBe('untouched\n');
    expect(await sh(HOST, "stat -c '%U %a' /run/bsync && stat -c '%U %a %s' /run/bsync/lease")).toBe(
      'nobody 777\nroot 644 0\n',
    );
    await sh(HOST, 'rm -rf /run/bsync');
    await expectConverged();
  });
});
