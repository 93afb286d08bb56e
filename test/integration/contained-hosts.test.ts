// A compromised host stays contained (docs/reliability.md, "Threat model"): ssh-backup1's
// pgbackrest is replaced by one that lies in `info` (a database version and a backup label
// that would run a command in any shell they reached unquoted). A restore on ssh-pg1, a
// clone and a verify are each refused before anything runs, naming the host and the fact,
// and no command of the lie runs anywhere.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { shq } from '../../lib/formats/shell.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];
/** What the lie would leave behind if any shell ran it: a file in /tmp of the host it ran on. */
const PWNED = '/tmp/bsync-pwned';
/** A folder of ssh-backup1's own (the lab's /usr is every host's) that its repository user can read. */
const LIE_DIR = '/tmp/bsync-lie';
const REAL = `${LIE_DIR}/pgbackrest.real`;

/** ssh-backup1's pgbackrest, `info` rewritten by `sedScript`; every other command is the real one. */
async function lyingPgbackrest(sedScript: string): Promise<void> {
  const wrapper = [
    '#!/bin/sh',
    `for a in "$@"; do [ "$a" = info ] && { ${REAL} "$@" | sed -e ${shq(sedScript)}; exit 0; }; done`,
    `exec ${REAL} "$@"`,
  ].join('\n');
  await sh(
    'ssh-backup1',
    [
      `mkdir -p -m 0755 ${LIE_DIR} && cp /usr/bin/pgbackrest ${REAL}`,
      `cat > ${LIE_DIR}/pgbackrest <<'BSYNC_EOF'\n${wrapper}\nBSYNC_EOF`,
      `chmod 0755 ${LIE_DIR}/pgbackrest && mount --bind ${LIE_DIR}/pgbackrest /usr/bin/pgbackrest`,
    ].join('\n'),
  );
}

async function expectNothingRan(): Promise<void> {
  for (const host of HOSTS) expect(await sh(host, `ls ${PWNED} 2>/dev/null || true`), host).toBe('');
  // The server it would have stopped still answers.
  expect(await sh('ssh-pg1', 'runuser -u postgres -- psql -XAtc "select 1"')).toBe('1\n');
}

const undo: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (undo.length > 0) await undo.pop()!();
});

describe('a host that lies in pgbackrest info', () => {
  beforeAll(async () => {
    await resetScenario('ssh');
    const apply = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  }, 600_000);

  const lies = [
    {
      fact: /repos\[0\]\.(database\.version|backups\[0\]\.pgVersion)/,
      sed: `s|"version":"15"|"version":"15$(touch ${PWNED})"|g`,
    },
    {
      fact: /repos\[0\]\.backups\[0\]\.label/,
      sed: `s|"label":"\\([0-9]*-[0-9]*F\\)"|"label":"\\1\`touch ${PWNED}\`"|g`,
    },
  ];

  for (const lie of lies) {
    it(`${String(lie.fact)}: restore, clone and verify are refused, naming ssh-backup1 and the fact; nothing of it runs`, async () => {
      await lyingPgbackrest(lie.sed);
      undo.push(() => onHost('ssh-backup1', `umount /usr/bin/pgbackrest; rm -rf ${LIE_DIR}`));
      // The wrapper lies as intended: what bsync reads holds the command.
      expect(
        await sh('ssh-backup1', 'runuser -u backrest -- pgbackrest --stanza=pgedge-lab-1 --output=json info'),
      ).toContain(PWNED);
      const runs = {
        restore: await bsync([
          'restore',
          '-c',
          CONFIG,
          '--zone',
          '1',
          '--target',
          'latest',
          '--allow-overwrite',
          '--yes',
        ]),
        clone: await bsync([
          'restore',
          '-c',
          CONFIG,
          '--zone',
          '1',
          '--to',
          'ssh-backup1:/var/tmp/bsync-clone',
          '--port',
          '5434',
          '--yes',
        ]),
        verify: await bsync(['verify', '-c', CONFIG]),
      };
      for (const [name, run] of Object.entries(runs)) {
        expect(run.code, `${name}: ${run.stdout}${run.stderr}`).toBe(1);
        expect(run.stderr, name).toMatch(/ssh-backup1: the host reported a fact bsync does not take/);
        expect(run.stderr, name).toMatch(lie.fact);
        expect(run.stderr, name).not.toMatch(STACK_TRACE);
      }
      await expectNothingRan();
      expect(await sh('ssh-backup1', 'ls -d /var/tmp/bsync-clone 2>/dev/null || true')).toBe('');
    });
  }

  it('with the real pgbackrest back, the plan is clean again', async () => {
    const plan = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});
