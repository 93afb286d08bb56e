// [cluster].backup_from on facts recorded from the lab's ssh scenario, with ssh-pg2 made the
// standby of ssh-pg1 in zone 1: the config's checks, the pgbackrest.conf lines per topology
// (a backup host; s3 and posix without one), SSH trust between PostgreSQL hosts only where a
// primary reads a standby itself, and pgBackRest 2.45 refused "prefer". No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, noBackupHost, PG2, SSH_CONFIG, sshZone, problemsOf } from '../support/configs.js';

const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);

const problems = (text: string) => problemsOf(() => load(text), false);

/** Recorded facts with ssh-pg2 a standby (in recovery), each host running pgBackRest `version` when given. */
function facts(state: 'fresh' | 'converged', version?: Record<string, string>): Map<string, HostFacts> {
  const recorded = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>;
  recorded['ssh-pg2'].postgres!.inRecovery = true;
  for (const [host, release] of Object.entries(version ?? {})) recorded[host].pgbackrestVersion = release;
  return new Map(Object.entries(recorded));
}

function plan(inv: Inventory, hostFacts: Map<string, HostFacts>) {
  return buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, hostFacts),
    'fixed-nonce',
  ).plan;
}

const diffOf = (planned: ReturnType<typeof plan>, address: string) =>
  planned.actions.find((action) => action.address === address)?.diff ?? '';
const addresses = (planned: ReturnType<typeof plan>) => planned.actions.map((action) => action.address);
const SSH_KINDS = /\.(ssh_dir|ssh_keypair|authorized_keys|known_hosts)\[/;
/** The SSH resources a plan changes on the PostgreSQL hosts. */
const pgSsh = (planned: ReturnType<typeof plan>) =>
  addresses(planned).filter((entry) => entry.startsWith('ssh-pg') && SSH_KINDS.test(entry));

describe('backup_from in the config', () => {
  it('defaults to primary and takes standby and prefer', () => {
    expect(load(sshZone()).cluster.backupFrom).toBe('primary');
    expect(load(sshZone('standby')).cluster.backupFrom).toBe('standby');
    expect(load(noBackupHost('s3', 'prefer')).cluster.backupFrom).toBe('prefer');
  });

  it('refuses a value it does not know, naming the key', () => {
    expect(problems(sshZone('replica'))).toEqual([
      'cluster.backup_from: must be one of "primary", "standby", "prefer", got "replica"',
    ]);
  });

  it('refuses "standby" where a zone has no standby, and takes "prefer" there', () => {
    const twoZones = SSH_CONFIG.replace('pg_version = 15\n', 'pg_version = 15\nbackup_from = "standby"\n');
    expect(problems(twoZones)).toEqual([
      'cluster.backup_from: "standby" needs a standby in every stanza, but zone 1 has one PostgreSQL host (ssh-pg1)',
      'cluster.backup_from: "standby" needs a standby in every stanza, but zone 2 has one PostgreSQL host (ssh-pg2)',
    ]);
    expect(load(twoZones.replace('"standby"', '"prefer"')).cluster.backupFrom).toBe('prefer');
  });

  it('refuses a hand-written backup-standby beside it, in any table, whatever either says', () => {
    for (const table of ['pgbackrest.global', 'pgbackrest.stanza', 'pgbackrest."global:backup"'])
      expect(problems(`${sshZone('primary')}\n[${table}]\nbackup-standby = true\n`)).toEqual([
        `${table}.backup-standby: cannot go with cluster.backup_from = "primary": both say where backups read their files`,
      ]);
  });

  it('points a hand-written backup-standby without a backup host at backup_from', () => {
    expect(() => load(`${noBackupHost('s3')}\n[pgbackrest.global]\nbackup-standby = true\n`)).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('[cluster] backup_from = "standby"') }),
    );
  });
});

describe('primary: the plans of before', () => {
  for (const [name, config] of [
    ['ssh', sshZone],
    ['s3', (from?: string) => noBackupHost('s3', from)],
  ] as const)
    for (const state of ['fresh', 'converged'] as const)
      it(`${name}, ${state}: backup_from = "primary" plans what no backup_from does`, () => {
        const without = plan(load(config()), facts(state));
        const primary = plan(load(config('primary')), facts(state));
        expect(JSON.stringify({ ...primary, createdAt: '' })).toBe(JSON.stringify({ ...without, createdAt: '' }));
        expect(renderPlanText(primary, { color: false })).toBe(renderPlanText(without, { color: false }));
      });

  it('s3: no SSH resources on the PostgreSQL hosts', () => {
    expect(pgSsh(plan(load(noBackupHost('s3')), facts('fresh')))).toEqual([]);
  });
});

describe('with a backup host', () => {
  const planned = plan(load(sshZone('standby')), facts('converged'));

  it("adds backup-standby to the backup host's stanza, which lists both hosts", () => {
    const conf = diffOf(planned, 'ssh-backup1.pgbackrest_conf');
    expect(conf).toContain('+pg2-host=ssh-pg2\n');
    expect(conf).toMatch(/\+pg2-database=postgres\n\+backup-standby=y\n/);
  });

  it("leaves the PostgreSQL hosts' stanza and SSH trust as they are", () => {
    expect(diffOf(planned, 'ssh-pg1.pgbackrest_conf')).not.toContain('backup-standby');
    expect(pgSsh(planned)).toEqual(
      // ssh-pg2 moved to zone 1: it trusts ssh-backup1 now, no PostgreSQL host.
      ['ssh-pg2.authorized_keys[postgres]', 'ssh-pg2.known_hosts[postgres]'],
    );
    expect(diffOf(planned, 'ssh-pg2.authorized_keys[postgres]')).not.toContain('postgres@ssh-pg1');
  });

  it('writes prefer for pgBackRest 2.55 and refuses it for 2.45, naming the host', () => {
    const prefer = load(sshZone('prefer'));
    const newer = { 'ssh-pg1': '2.55.1', 'ssh-pg2': '2.55.1', 'ssh-backup1': '2.55.1' };
    expect(diffOf(plan(prefer, facts('converged', newer)), 'ssh-backup1.pgbackrest_conf')).toContain(
      '+backup-standby=prefer\n',
    );
    expect(() => plan(prefer, facts('converged', { ...newer, 'ssh-backup1': '2.45' }))).toThrow(
      expect.objectContaining({
        message:
          'cluster.backup_from: host ssh-backup1 runs pgBackRest 2.45: by the option list of 2.45, backup-standby must be true or false, got "prefer" (pgBackRest 2.55 to 2.60 takes it)',
        hint: 'Upgrade pgBackRest on ssh-backup1, or set [cluster] backup_from = "standby" (a standby must answer then) or "primary".',
      }),
    );
  });
});

describe('without a backup host (s3, posix)', () => {
  for (const type of ['s3', 'posix'] as const) {
    const planned = plan(load(noBackupHost(type, 'standby')), facts('converged'));

    it(`${type}: each PostgreSQL host's stanza lists itself first, the other over SSH, and backup-standby`, () => {
      for (const [self, other] of [
        ['ssh-pg1', 'ssh-pg2'],
        ['ssh-pg2', 'ssh-pg1'],
      ]) {
        const conf = diffOf(planned, `${self}.pgbackrest_conf`);
        expect(conf).not.toMatch(/^[+ ]pg1-host/m);
        expect(conf).toContain(
          `+pg2-host=${other}\n+pg2-host-user=postgres\n+pg2-path=/var/lib/postgresql/15/main\n+pg2-port=5432\n+pg2-user=postgres\n+pg2-database=postgres\n+backup-standby=y\n`,
        );
      }
    });

    it(`${type}: the PostgreSQL hosts trust each other as postgres`, () => {
      expect(diffOf(planned, 'ssh-pg1.authorized_keys[postgres]')).toMatch(/^\+.* bsync:postgres@ssh-pg2$/m);
      expect(diffOf(planned, 'ssh-pg2.authorized_keys[postgres]')).toMatch(/^\+.* bsync:postgres@ssh-pg1$/m);
      expect(diffOf(planned, 'ssh-pg1.known_hosts[postgres]')).toMatch(/^\+ssh-pg2,127\.0\.1\.12 ssh-ed25519 /m);
      expect(diffOf(planned, 'ssh-pg2.known_hosts[postgres]')).toMatch(/^\+ssh-pg1,127\.0\.1\.11 ssh-ed25519 /m);
    });
  }

  it("the primary's stanza-create waits for the standby's trust and pgBackRest", () => {
    const fresh = plan(load(noBackupHost('s3', 'standby')), facts('fresh'));
    const stanza = fresh.actions.find((action) => action.address === 'ssh-pg1.stanza[pgedge-lab-1]')!;
    expect(stanza.dependsOn).toEqual(
      expect.arrayContaining([
        'ssh-pg1.ssh_keypair[postgres]',
        'ssh-pg1.known_hosts[postgres]',
        'ssh-pg2.authorized_keys[postgres]',
        'ssh-pg2.pgbackrest_conf',
      ]),
    );
    // The standby creates no stanza: its jobs skip while it is one.
    expect(addresses(fresh)).not.toContain('ssh-pg2.stanza[pgedge-lab-1]');
  });

  it('names pgN-host-port for a peer whose sshd is not on 22', () => {
    const text = noBackupHost('s3', 'standby').replace(
      'address = "127.0.1.12"\n',
      'address = "127.0.1.12"\nssh_port = 2022\n',
    );
    const planned = plan(load(text), facts('converged'));
    expect(diffOf(planned, 'ssh-pg1.pgbackrest_conf')).toContain('+pg2-host=ssh-pg2\n+pg2-host-port=2022\n');
    expect(diffOf(planned, 'ssh-pg1.known_hosts[postgres]')).toContain('+[ssh-pg2]:2022,[127.0.1.12]:2022 ');
  });

  it('prefer: 2.55 hosts get backup-standby=prefer; a 2.45 host stops the plan, named', () => {
    const prefer = load(noBackupHost('s3', 'prefer'));
    expect(
      diffOf(plan(prefer, facts('converged', { 'ssh-pg1': '2.55.1', 'ssh-pg2': '2.55.1' })), 'ssh-pg2.pgbackrest_conf'),
    ).toContain('+backup-standby=prefer\n');
    expect(() => plan(prefer, facts('converged', { 'ssh-pg1': '2.55.1', 'ssh-pg2': '2.45' }))).toThrow(BsyncError);
    expect(() => plan(prefer, facts('converged', { 'ssh-pg1': '2.55.1', 'ssh-pg2': '2.45' }))).toThrow(
      /^cluster\.backup_from: host ssh-pg2 runs pgBackRest 2\.45: /,
    );
    // "standby" is backup-standby=y, which 2.45 takes.
    expect(() => plan(load(noBackupHost('s3', 'standby')), facts('converged', { 'ssh-pg2': '2.45' }))).not.toThrow();
  });

  it('prefer in a zone with one PostgreSQL host plans as primary there: nothing to prefer', () => {
    const twoZones = (from: string) => noBackupHost('s3', from).replace(PG2.replace('zone = 2', 'zone = 1'), PG2);
    const preferred = plan(load(twoZones('prefer')), facts('converged', { 'ssh-pg2': '2.45' }));
    expect(JSON.stringify(preferred.actions)).toBe(
      JSON.stringify(plan(load(twoZones('primary')), facts('converged')).actions),
    );
  });
});
