// A zone's first data from another zone's repository on that zone's own hosts (issue 29 items
// 5 and 6): an ssh repository on the source's backup host, and a posix folder every host
// mounts. ssh: the recorded ssh scenario as it is, ssh-pg2 (zone 2, with its own backup host
// ssh-backup2) emptied and declared from zone 1's backup, or a standby of zone 1. While it reads
// zone 1's repository its pgbackrest.conf points at ssh-backup1, it knows ssh-backup1's host
// key, and ssh-backup1's repository user lets its key in; ssh-backup2 backs nothing up yet.
// Once it has its data (from_backup) that trust goes; a standby site keeps it. posix: the host
// must see zone 1's stanza in its own mount of the folder, or the plan stops.
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../lib/config/inventory.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { authorizedKeysPath, knownHostsPath } from '../../lib/facts/paths.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { DECLARED_STATE } from '../../lib/operations/declared.js';
import type { Planned } from '../../lib/operations/planning.js';
import { selectHosts } from '../../lib/operations/selection.js';
import { knownText, type Template } from '../../lib/resources/types.js';
import { problemsOf, SSH_CONFIG } from '../support/configs.js';
import {
  commandsOf,
  DATA,
  load,
  planDeclared as plan,
  planText as text,
  S3_TABLE,
  sshFacts,
  zone3Config,
  zone3Facts,
} from '../support/first-data.js';
import { sessionOf } from '../support/sessions.js';

/** Inside the recorded window of pgedge-lab-1 (read on ssh-backup1). */
const T = 'time=2026-12-02 00:33:57.250113+00';
const FROM = `[[zone]]\nid = 2\nfrom_backup = { zone = 1, target = "${T}" }\n`;
const STANDBY = '[[zone]]\nid = 2\nstandby_of = { zone = 1 }\n';
const sshConfig = (zone: string) => `${SSH_CONFIG}\n${zone}`;
const BACKUP1_KEYS = `ssh-backup1.authorized_keys[backrest]`;
const PG2_KNOWN = `ssh-pg2.known_hosts[postgres]`;

const actionsOf = (planned: Planned, host: string) => planned.plan.actions.filter((action) => action.host === host);
const action = (planned: Planned, address: string) => planned.plan.actions.find((each) => each.address === address);
const refusalOf = (planning: Promise<unknown>) =>
  planning.then(
    () => 'planned',
    (error: Error & { hint?: string }) => `${error.message} | ${error.hint}`,
  );

/** ssh-backup2 makes no stanza or backup, and the jobs it had for pgedge-lab-2 go (its zone has no primary yet). */
function expectNoBackups(planned: Planned): void {
  const kinds = actionsOf(planned, 'ssh-backup2').map((each) => each.kind);
  for (const kind of ['stanza', 'first_backup']) expect(kinds).not.toContain(kind);
  const cron = action(planned, 'ssh-backup2.crontab[backrest]')!.diff!;
  expect(cron).toMatch(/\n-.*--stanza=pgedge-lab-2 .*--type=full backup/);
  expect(cron).not.toMatch(/\n\+(?!\+\+)/);
}

/** The files the first round writes, as text: what the hosts hold after it. */
function afterFirstRound(planned: Planned, all: Map<string, HostFacts>): void {
  for (const [address, host, path] of [
    [BACKUP1_KEYS, 'ssh-backup1', authorizedKeysPath('backrest')],
    [PG2_KNOWN, 'ssh-pg2', knownHostsPath('postgres')],
  ] as const) {
    const content = knownText(planned.changes.get(address)!.diff!.after as Template)!;
    all.get(host)!.files[path] = { ...all.get(host)!.files[path], content };
  }
}

describe('an ssh repository: the config', () => {
  it('takes from_backup and standby_of on an ssh repository reached over SSH', () => {
    expect(load(sshConfig(FROM)).fromBackup?.get(2)?.zone).toBe(1);
    expect(load(sshConfig(STANDBY)).standbyOf?.get(2)?.zone).toBe(1);
  });

  it('refuses transport = "tls": the source backup host’s TLS server lets in its own zone’s hosts only', () => {
    const tls = sshConfig(FROM).replace('type = "ssh"\n', 'type = "ssh"\ntransport = "tls"\n');
    expect(problemsOf(() => load(tls)).join('\n')).toMatch(
      /zone\[1\]\.from_backup: zone 2's host cannot reach zone 1's backup host: with transport = "tls" its TLS server lets in zone 1's own hosts only/,
    );
  });

  it('gathers the linked zone with either: a plan of zone 1 reads zone 2’s server, whose key it lets in', () => {
    const inventory = load(sshConfig(FROM));
    const involved = (zones: number[]) => selectHosts(inventory, { zones }).involved.map((host) => host.name);
    expect(involved([1])).toEqual(['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2']);
    expect(involved([2])).toEqual(involved([1]));
    expect(selectHosts(load(SSH_CONFIG), { zones: [1] }).involved.map((host) => host.name)).toEqual([
      'ssh-pg1',
      'ssh-backup1',
    ]);
  });
});

describe('from_backup on an ssh repository: the first round', () => {
  const first = () => plan(load(sshConfig(FROM)), sshFacts(true));

  it('points ssh-pg2’s pgBackRest at zone 1’s backup host, with its own stanza, and restores from it', async () => {
    const planned = await first();
    expect(planned.planAgain).toBe(true);
    const conf = action(planned, 'ssh-pg2.pgbackrest_conf')!.diff!;
    expect(conf).toContain('-repo1-host=ssh-backup2\n+repo1-host=ssh-backup1');
    expect(conf).not.toContain('pgedge-lab-1');
    const restore = commandsOf(planned, 'ssh-pg2', 'pg_restore');
    expect(restore).toContain(`pgbackrest --pg1-path=${DATA} --stanza=pgedge-lab-1`);
    expect(restore).toContain('--archive-mode=off');
  });

  it('trusts one way: ssh-backup1 lets postgres@ssh-pg2 in, ssh-pg2 knows ssh-backup1; nothing the other way', async () => {
    const planned = await first();
    const keys = action(planned, BACKUP1_KEYS)!;
    expect(keys.diff).toMatch(
      /\n\+no-agent-forwarding,no-X11-forwarding,no-port-forwarding ssh-\S+ \S+ bsync:postgres@ssh-pg2\n/,
    );
    expect(keys.diff).toContain(' bsync:postgres@ssh-pg1\n');
    expect(action(planned, PG2_KNOWN)!.diff).toMatch(/\n\+ssh-backup1,127\.0\.1\.13 ssh-ed25519 /);
    expect(action(planned, 'ssh-backup1.known_hosts[backrest]')).toBeUndefined();
    expect(action(planned, 'ssh-pg2.authorized_keys[postgres]')).toBeUndefined();
    // The restore waits for both ends.
    expect(action(planned, 'ssh-pg2.pg_restore')!.dependsOn).toEqual(expect.arrayContaining([BACKUP1_KEYS, PG2_KNOWN]));
  });

  it('makes no stanza, backup or job on zone 2’s own backup host while its server has no data', async () => {
    expectNoBackups(await first());
  });

  it('refuses the new zone planned without its source’s backup host, whose trust the restore needs', async () => {
    const inventory = load(sshConfig(FROM));
    const session = { ...sessionOf(inventory), selected: inventory.hosts.filter((host) => host.zone === 2) };
    expect(await refusalOf(DECLARED_STATE.plan(session, sshFacts(true)))).toMatch(
      /whose repository is read on ssh-backup1: it is not among the hosts planned/,
    );
  });
});

describe('from_backup on an ssh repository: once the server runs', () => {
  it('is the plan without from_backup: ssh-pg2 back on its own backup host, the trust on ssh-backup1 gone', async () => {
    const planned = await plan(load(sshConfig(FROM)), sshFacts(false));
    expect(text(planned)).toBe(text(await plan(load(SSH_CONFIG), sshFacts(false))));
  });

  it('removes the lines the first round wrote, on both hosts', async () => {
    const round1 = await first();
    const planned = await plan(
      load(sshConfig(FROM)),
      sshFacts(false, (all) => afterFirstRound(round1, all)),
    );
    expect(action(planned, BACKUP1_KEYS)!.diff).toMatch(
      /\n-no-agent-forwarding\S* ssh-\S+ \S+ bsync:postgres@ssh-pg2\n/,
    );
    expect(action(planned, PG2_KNOWN)!.diff).toMatch(/\n-ssh-backup1,127\.0\.1\.13 /);
    expect(action(planned, 'ssh-pg2.pgbackrest_conf')).toBeUndefined();
  });

  const first = () => plan(load(sshConfig(FROM)), sshFacts(true));
});

describe('standby_of on an ssh repository', () => {
  it('restores a standby through zone 1’s backup host, with the same trust, and no backups of zone 2', async () => {
    const planned = await plan(load(sshConfig(STANDBY)), sshFacts(true));
    expect(planned.planAgain).toBe(true);
    expect(commandsOf(planned, 'ssh-pg2', 'pg_restore')).toContain('--type=standby');
    const conf = action(planned, 'ssh-pg2.pgbackrest_conf')!.diff!;
    expect(conf).toContain('+repo1-host=ssh-backup1');
    expect(conf).toContain('+[pgedge-lab-1]');
    expect(action(planned, BACKUP1_KEYS)!.diff).toContain('bsync:postgres@ssh-pg2');
    expectNoBackups(planned);
  });

  it('keeps the trust while it replays: a running standby’s plan leaves it as the first round wrote it', async () => {
    const round1 = await plan(load(sshConfig(STANDBY)), sshFacts(true));
    const planned = await plan(
      load(sshConfig(STANDBY)),
      sshFacts(false, (all) => {
        afterFirstRound(round1, all);
        all.get('ssh-pg2')!.postgres!.inRecovery = true;
      }),
    );
    expect(action(planned, BACKUP1_KEYS)).toBeUndefined();
    expect(action(planned, PG2_KNOWN)).toBeUndefined();
    expect(action(planned, 'ssh-pg2.pgbackrest_conf')!.diff).toContain('+repo1-host=ssh-backup1');
  });
});

describe('a posix repository: one share every host mounts', () => {
  const INFO = '/var/lib/pgbackrest/backup/pgedge-lab-1/backup.info';
  const posix = (zone: string) =>
    load(zone3Config(zone).replace('type = "s3"', 'type = "posix"').replace(S3_TABLE, ''));
  const zone3 = `[[zone]]\nid = 3\nfrom_backup = { zone = 1, target = "${T}" }\n`;
  const seen = (exists: boolean) =>
    zone3Facts(true, false, (all) => {
      all.get('ssh-pg2')!.files[INFO] = exists ? { exists, kind: 'file', type: 'regular file' } : { exists };
    });

  it('plans each zone on its own: no trust to give, so --zone 1 gathers zone 1 alone', () => {
    const involved = selectHosts(posix(zone3), { zones: [1] }).involved.map((host) => host.name);
    expect(involved).toEqual(['ssh-pg1']);
  });

  it('asks the new zone’s host whether it sees zone 1’s stanza in its folder', () => {
    const inventory: Inventory = posix(zone3);
    const pg2 = inventory.hosts.find((host) => host.name === 'ssh-pg2')!;
    expect(hostNeeds(inventory, pg2).files).toContainEqual({ path: INFO, readContent: false });
  });

  it('restores from the shared folder when the host sees it', async () => {
    const planned = await plan(posix(zone3), seen(true));
    expect(planned.planAgain).toBe(true);
    expect(commandsOf(planned, 'ssh-pg2', 'pg_restore')).toContain(`--pg1-path=${DATA} --stanza=pgedge-lab-1`);
  });

  it('refuses, before anything is written, a host whose folder is not the share', async () => {
    expect(await refusalOf(plan(posix(zone3), seen(false)))).toMatch(
      new RegExp(
        `zone 3's from_backup reads zone 1's posix repository, but ${INFO} is not there on ssh-pg2: its folder at the path is not the share zone 1's hosts write.*\\| Another zone reads a posix repository only where every host mounts the same share`,
      ),
    );
  });
});
