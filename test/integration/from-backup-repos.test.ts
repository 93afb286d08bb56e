// A cluster from a backup (issue 29 item 6) read from a repository on the source zone's own
// hosts, modelled on from-backup.test.ts (the s3 scenario's):
// - ssh scenario: ssh-pg2 (zone 2, with its own backup host ssh-backup2) is emptied and
//   declared from zone 1's backup at T. The first round points its pgBackRest at ssh-backup1,
//   lets its postgres key into ssh-backup1's repository user (one way) and restores through
//   it; the second gives it its own stanza pgedge-lab-2 on ssh-backup2 and takes that trust
//   away again.
// - posix scenario: posix-pg2 (which mounts the folder posix-pg1 writes, as an NFS share) is
//   added as zone 2, emptied, and declared from zone 1's backup at T; it restores from the
//   shared folder and then archives into its own stanza there.
// Either way: zone 1's data at T by checksum, a new timeline, archiving into the new zone's
// own stanza (check passes, a full backup there), nothing of it in zone 1's archive, and
// `bsync plan` says No changes after.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { checksum, converge, expectNoChanges, psql, timeline, twoBatches } from '../support/recovery.js';

const DATA = '/var/lib/postgresql/15/main';
const work = mkdtempSync(join(tmpdir(), 'bsync-from-backup-repos-'));

const pgbackrest = (host: string, args: string) => sh(host, `cd / && runuser -u postgres -- pgbackrest ${args}`);
const archiveMax = async (host: string, stanza: string) =>
  JSON.parse(await pgbackrest(host, `--stanza=${stanza} info --output=json`))[0].archive[0].max as string;

/** The host as a new one: its server stopped (when it runs), its data directory emptied. */
async function emptyHost(host: string): Promise<void> {
  await sh(
    host,
    `if pg_ctlcluster --skip-systemctl-redirect 15 main status >/dev/null 2>&1; then pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast; fi; find ${DATA} -mindepth 1 -delete`,
  );
}

/** `base` with zone 2 declared from zone 1's backup at `target`, written as `name`. */
function fromZone1(name: string, base: string, target: string): string {
  const file = join(work, name);
  writeFileSync(file, `${base}\n[[zone]]\nid = 2\nfrom_backup = { zone = 1, target = "time=${target}" }\n`);
  return file;
}

/** The new server after both rounds: zone 1's rows at T, promoted on a timeline of its own, archiving into `stanza` alone. */
async function expectOwnCluster(host: string, stanza: string, first: string): Promise<void> {
  expect(await checksum(host)).toBe(first);
  expect(await psql(host, 'SELECT pg_is_in_recovery()')).toBe('f\n');
  expect(await timeline(host)).toBeGreaterThan(1);
  expect((await psql(host, 'SHOW archive_mode')).trim()).toBe('on');
  const archiveCommand = (await psql(host, 'SHOW archive_command')).trim();
  expect(archiveCommand).toContain(`--stanza=${stanza} archive-push`);
  expect(archiveCommand).not.toMatch(/pgedge-\w+-1/);
  await pgbackrest(host, `--stanza=${stanza} check`);
  const own = JSON.parse(await pgbackrest(host, `--stanza=${stanza} info --output=json`))[0];
  expect(own.backup.some((backup: { type: string }) => backup.type === 'full')).toBe(true);
}

/** One apply, both rounds: the restore, then the declared state with the new zone's own stanza. */
async function applyBothRounds(config: string): Promise<void> {
  const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  expect(apply.stdout + apply.stderr).toContain('A zone has its first data: planning the declared state again');
  expect(apply.stdout).toMatch(/first_backup/);
}

describe('a cluster from a backup in an ssh repository: through zone 1’s backup host, trusted one way while it reads', () => {
  const SSH_CONFIG = `${FIXTURES}lab/ssh.toml`;
  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH_CONFIG);
  }, 600_000);
  afterAll(async () => {
    await onHost('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('restores zone 1 at T into ssh-pg2 through ssh-backup1, then archives into pgedge-lab-2 on ssh-backup2; the trust is gone after', async () => {
    const { target, first } = await twoBatches('ssh-pg1');
    await pgbackrest('ssh-pg1', '--stanza=pgedge-lab-1 check');
    const sourceArchive = await archiveMax('ssh-pg1', 'pgedge-lab-1');

    // ssh-pg2 becomes a new host, and zone 2's old stanza goes (the new server is another cluster).
    await emptyHost('ssh-pg2');
    await sh('ssh-backup2', 'rm -rf /home/backrest/archive/pgedge-lab-2 /home/backrest/backup/pgedge-lab-2');
    const config = fromZone1('ssh-from-backup.toml', readFileSync(SSH_CONFIG, 'utf8'), target);

    const plan = await bsync(['plan', '-c', config]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("first data: from pgedge-lab-1's backup");
    expect(plan.stdout).toContain('+repo1-host=ssh-backup1');
    expect(plan.stdout).toMatch(/\+no-agent-forwarding\S* ssh-\S+ \S+ bsync:postgres@ssh-pg2/);
    expect(plan.stdout).toMatch(/\+ssh-backup1,127\.0\.1\.13 /);
    // ssh-backup2 makes no stanza or backup yet, and its jobs for zone 2's old stanza go.
    expect(plan.stdout).not.toMatch(/stanza\[pgedge-lab-2\]|first_backup\[/);
    expect(plan.stdout).toContain('crontab[backrest]');

    await applyBothRounds(config);
    await expectOwnCluster('ssh-pg2', 'pgedge-lab-2', first);
    expect(await sh('ssh-pg2', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('repo1-host=ssh-backup2\n');
    // Zone 1's archive holds nothing of the new server's timeline.
    expect((await archiveMax('ssh-pg1', 'pgedge-lab-1')).slice(0, 8)).toBe(sourceArchive.slice(0, 8));

    // The trust the first round gave is gone: ssh-backup1 lets zone 1's server in, not ssh-pg2.
    const keys = await sh('ssh-backup1', 'cat /home/backrest/.ssh/authorized_keys');
    expect(keys).toContain('bsync:postgres@ssh-pg1');
    expect(keys).not.toContain('bsync:postgres@ssh-pg2');
    expect(await sh('ssh-pg2', 'cat /var/lib/postgresql/.ssh/known_hosts')).not.toContain('ssh-backup1,');
    const login = await onHost(
      'ssh-pg2',
      'cd / && runuser -u postgres -- ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 backrest@ssh-backup1 true',
    );
    expect(login.code).not.toBe(0);

    await expectNoChanges(config);
  }, 900_000);
});

describe('a cluster from a backup in a posix repository: one folder both hosts mount', () => {
  const POSIX_CONFIG = `${FIXTURES}lab/posix.toml`;
  const withPg2 = `${readFileSync(POSIX_CONFIG, 'utf8')}\n[[host]]\nname = "posix-pg2"\naddress = "127.0.1.72"\nrole = "postgres"\nzone = 2\npg_data = "${DATA}"\n`;
  beforeAll(async () => {
    await resetScenario('posix');
    await converge(POSIX_CONFIG);
  }, 600_000);
  afterAll(async () => {
    await onHost('posix-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('restores zone 1 at T into posix-pg2 from the shared folder, then archives into pgedge-posix-2 there', async () => {
    const { target, first } = await twoBatches('posix-pg1');
    await pgbackrest('posix-pg1', '--stanza=pgedge-posix-1 check');
    const sourceArchive = await archiveMax('posix-pg1', 'pgedge-posix-1');
    // posix-pg2 sees what posix-pg1 wrote: the lab's one folder.
    await sh('posix-pg2', 'test -f /var/lib/pgbackrest/backup/pgedge-posix-1/backup.info');

    await emptyHost('posix-pg2');
    await sh(
      'posix-pg1',
      'rm -rf /var/lib/pgbackrest/archive/pgedge-posix-2 /var/lib/pgbackrest/backup/pgedge-posix-2',
    );
    const config = fromZone1('posix-from-backup.toml', withPg2, target);

    const plan = await bsync(['plan', '-c', config]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("first data: from pgedge-posix-1's backup");
    expect(plan.stdout).toContain(`target: time=`);

    await applyBothRounds(config);
    await expectOwnCluster('posix-pg2', 'pgedge-posix-2', first);
    expect((await archiveMax('posix-pg1', 'pgedge-posix-1')).slice(0, 8)).toBe(sourceArchive.slice(0, 8));
    await expectNoChanges(config);
  }, 900_000);
});
