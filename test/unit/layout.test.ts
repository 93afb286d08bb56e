// Real fleets as they are, on recorded facts: a Rocky Linux 9 / PGDG host (data directory,
// binaries and unit from the running server, not from a table of guesses), sshd on another
// port than 22, and pg_hba's view of the backup host's address. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { standbyTest } from '../../lib/desired/backups.js';
import { HostError } from '../../lib/errors.js';
import { parseLayout, postgresProbe } from '../../lib/facts/postgres.js';
import { probeContext } from '../../lib/facts/probe.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import type { HostFacts, PatroniFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { PlanAction } from '../../lib/plan/types.js';
import { binaryDirs, verifyScript, type VerifyJob } from '../../lib/verify/script.js';
import { verifyPlans, type VerifyPlan } from '../../lib/verify/targets.js';
import { FIXTURES } from '../support/bsync.js';

const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';

/** A lab config with env secrets, `edit` applied to its text. */
function inventory(config: string, edit: (text: string) => string = (text) => text): Inventory {
  const text = readFileSync(`${FIXTURES}lab/${config}`, 'utf8')
    .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');
  return parseConfig(edit(text), `${FIXTURES}lab/${config}`, { CIPHER, PASSWORD });
}

/** The ssh scenario without pg_version and pg_data: everything about PostgreSQL from the servers. */
const fromFacts = (text: string) => text.replace(/^pg_version = .*\n/m, '').replace(/^pg_data = .*\n/gm, '');

function freshFacts(): Map<string, HostFacts> {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-fresh.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

/** ssh-pg1 as a Rocky Linux 9 host with PGDG's PostgreSQL `major` (no systemd unless asked). */
function rocky(
  facts: Map<string, HostFacts>,
  major = 15,
  changes: Partial<HostFacts['os']> = {},
): Map<string, HostFacts> {
  const host = structuredClone(facts.get('ssh-pg1')!);
  const data = `/var/lib/pgsql/${major}/data`;
  host.os = { ...host.os, id: 'rocky', versionId: '9.4', family: 'rhel', ...changes };
  host.users.postgres = { ...host.users.postgres!, home: '/var/lib/pgsql' };
  Object.assign(host.postgres!, {
    versionNum: major * 10000 + 2,
    dataDirectory: data,
    configFile: `${data}/postgresql.conf`,
    hbaFile: `${data}/pg_hba.conf`,
    binDir: `/usr/pgsql-${major}/bin`,
  });
  facts.set('ssh-pg1', host);
  return facts;
}

function actions(inv: Inventory, facts: Map<string, HostFacts>): PlanAction[] {
  return buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, facts),
  ).plan.actions;
}

const action = (list: PlanAction[], address: string) => {
  const found = list.find((entry) => entry.address === address);
  expect(found, address).toBeDefined();
  return found!;
};
/** The commands a resource's change runs. */
function steps(
  inv: Inventory,
  facts: Map<string, HostFacts>,
  address: string,
): Array<{ user?: string; command: string }> {
  const resource = desiredResources(inv, facts).find((entry) => entry.address === address);
  expect(resource?.change, address).toBeTruthy();
  return resource!.change!.steps.map((step) => ({ user: step.user, command: String(step.command) }));
}
/** Everything an action shows, as one text. */
const shown = (entry: PlanAction) => JSON.stringify(entry);

function planError(inv: Inventory, facts: Map<string, HostFacts>): HostError {
  try {
    desiredResources(inv, facts);
  } catch (error) {
    expect(error).toBeInstanceOf(HostError);
    return error as HostError;
  }
  throw new Error('the plan did not fail');
}

describe('a Rocky Linux 9 host with PGDG PostgreSQL', () => {
  const plan = actions(inventory('ssh.toml', fromFacts), rocky(freshFacts()));

  it('takes pg1-path from the running server on both ends', () => {
    expect(shown(action(plan, 'ssh-pg1.pgbackrest_conf'))).toContain('pg1-path=/var/lib/pgsql/15/data');
    expect(shown(action(plan, 'ssh-backup1.pgbackrest_conf'))).toContain('pg1-path=/var/lib/pgsql/15/data');
    expect(shown(action(plan, 'ssh-pg1.pgbackrest_conf'))).not.toContain('/var/lib/postgresql');
    // The Debian host of zone 2 keeps its own layout, also from its server.
    expect(shown(action(plan, 'ssh-backup2.pgbackrest_conf'))).toContain('pg1-path=/var/lib/postgresql/15/main');
  });

  it("writes postgres's files under its home from facts", () => {
    expect(action(plan, 'ssh-pg1.known_hosts[postgres]').title).toBe('/var/lib/pgsql/.ssh/known_hosts');
  });

  it("restarts with the server's own pg_ctl without systemd, never the one on PATH", () => {
    expect(steps(inventory('ssh.toml', fromFacts), rocky(freshFacts()), 'ssh-pg1.pg_restart')).toEqual([
      {
        user: 'postgres',
        command:
          '/usr/pgsql-15/bin/pg_ctl -D /var/lib/pgsql/15/data -l /var/lib/pgsql/15/data/pg_ctl.log -m fast -w restart',
      },
    ]);
  });

  it("restarts through systemd where it is PID 1: the unit holding the server, else PGDG's unit name", () => {
    const inv = inventory('ssh.toml', fromFacts);
    expect(steps(inv, rocky(freshFacts(), 16, { pid1: 'systemd' }), 'ssh-pg1.pg_restart')).toEqual([
      { user: undefined, command: 'systemctl restart postgresql-16' },
    ]);
    const facts = rocky(freshFacts(), 15, { pid1: 'systemd' });
    facts.get('ssh-pg1')!.postgres!.serviceUnit = 'postgresql-15-custom.service';
    expect(steps(inv, facts, 'ssh-pg1.pg_restart')[0].command).toBe('systemctl restart postgresql-15-custom');
  });

  it("refuses a configured pg_data that is not the running server's, naming both", () => {
    const error = planError(inventory('ssh.toml'), rocky(freshFacts()));
    expect(error.host).toBe('ssh-pg1');
    expect(error.message).toContain('/var/lib/postgresql/15/main');
    expect(error.message).toContain('/var/lib/pgsql/15/data');
    expect(error.hint).toContain('pg_data = "/var/lib/pgsql/15/data"');
  });

  it('refuses a configured pg_version the server does not run, naming both', () => {
    const error = planError(
      inventory('ssh.toml', (text) => fromFacts(text).replace('[cluster]\n', '[cluster]\npg_version = 15\n')),
      rocky(freshFacts(), 16),
    );
    expect(error.message).toMatch(/pg_version is 15, but the server on port 5432 runs PostgreSQL 16/);
  });

  it.each([12, 18])('takes PostgreSQL %i, from server_version_num alone', (major) => {
    const plan = actions(inventory('ssh.toml', fromFacts), rocky(freshFacts(), major));
    expect(shown(action(plan, 'ssh-pg1.pgbackrest_conf'))).toContain(`pg1-path=/var/lib/pgsql/${major}/data`);
    const role = plan.find((entry) => entry.address === 'ssh-pg1.pg_role[backrest]');
    expect(shown(role!).includes('pg_checkpoint')).toBe(major >= 15);
    expect(() =>
      inventory('ssh.toml', (text) => text.replace(/^pg_version = .*$/m, `pg_version = ${major}`)),
    ).not.toThrow();
  });

  it('refuses a server older than 12 (restore_command in recovery.conf)', () => {
    expect(planError(inventory('ssh.toml', fromFacts), rocky(freshFacts(), 11)).message).toContain(
      'runs PostgreSQL 11; bsync supports 12 and later',
    );
  });

  it('stops on a server that does not answer when pg_data is not set', () => {
    const facts = freshFacts();
    facts.get('ssh-pg1')!.postgres = {
      ...facts.get('ssh-pg1')!.postgres!,
      running: false,
      error: 'connection refused',
    };
    expect(planError(inventory('ssh.toml', fromFacts), facts).message).toContain(
      'PostgreSQL does not answer on port 5432: connection refused',
    );
  });
});

describe('the postgres probe', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const frame = (code: number, stdout: string, stderr = '') => `F|${code}|${b64(stdout)}|${b64(stderr)}`;
  const json = JSON.stringify({
    versionNum: 150002,
    inRecovery: false,
    dataDirectory: '/var/lib/pgsql/15/data',
    configFile: '/var/lib/pgsql/15/data/postgresql.conf',
  });

  it("reads the postmaster's binary folder and unit, in the same section as psql", () => {
    const inv = inventory('ssh.toml');
    const ctx = probeContext(inv, inv.hosts[0], hostNeeds(inv, inv.hosts[0]));
    const output = [
      frame(0, `4242\n${json}\n`),
      frame(0, '/usr/pgsql-15/bin/postgres\n0::/system.slice/postgresql-15.service\n'),
    ].join('\n');
    const pg = postgresProbe.parse(output, ctx).postgres!;
    expect(pg).toMatchObject({
      running: true,
      versionNum: 150002,
      dataDirectory: '/var/lib/pgsql/15/data',
      binDir: '/usr/pgsql-15/bin',
      serviceUnit: 'postgresql-15.service',
    });
    const command = postgresProbe.command(ctx);
    expect(command).toContain('readlink "/proc/$pid/exe"');
    expect(command).toContain('postmaster.pid');
  });

  it.each([
    [
      '/usr/lib/postgresql/15/bin/postgres',
      '1:name=systemd:/system.slice/system-postgresql.slice/postgresql@15-main.service',
      { binDir: '/usr/lib/postgresql/15/bin', serviceUnit: 'postgresql@15-main.service' },
    ],
    [
      '/usr/pgsql-16/bin/postgres (deleted)',
      '0::/user.slice/user-1000.slice/user@1000.service/app.slice',
      { binDir: '/usr/pgsql-16/bin' },
    ],
    ['/opt/pg 16/bin/postgres', '', { layoutProblem: expect.stringContaining('not a postgres binary') }],
    ['/usr/bin/bash', '', { layoutProblem: expect.stringContaining('"/usr/bin/bash"') }],
  ])('%s, %s', (exe, cgroup, expected) => {
    const layout = parseLayout({ code: 0, stdout: `${exe}\n${cgroup}\n`, stderr: '' });
    expect(layout).toEqual(expected);
  });

  it('says why when /proc did not answer', () => {
    expect(parseLayout({ code: 1, stdout: '', stderr: 'the server reported no postmaster pid\n' })).toEqual({
      layoutProblem: 'the server reported no postmaster pid',
    });
  });
});

describe('sshd on another port than 22', () => {
  const ported = (text: string) =>
    text
      .replace('address = "127.0.1.13"\n', 'address = "127.0.1.13"\nssh_port = 2222\n')
      .replace('address = "127.0.1.11"\n', 'address = "127.0.1.11"\nssh_port = 2022\n');
  const inv = inventory('ssh.toml', ported);
  const plan = actions(inv, freshFacts());

  it('takes [[host]] ssh_port over [ssh].port', () => {
    expect(inv.hosts.map((host) => [host.name, host.sshPort])).toEqual([
      ['ssh-pg1', 2022],
      ['ssh-pg2', 22],
      ['ssh-backup1', 2222],
      ['ssh-backup2', 22],
    ]);
    const global = inventory('ssh.toml', (text) => text.replace('[ssh]\n', '[ssh]\nport = 2200\n'));
    expect(global.hosts.map((host) => host.sshPort)).toEqual([2200, 2200, 2200, 2200]);
  });

  it('tells pgBackRest the port on both ends, and only where it is not 22', () => {
    expect(shown(action(plan, 'ssh-pg1.pgbackrest_conf'))).toContain('repo1-host-port=2222');
    expect(shown(action(plan, 'ssh-backup1.pgbackrest_conf'))).toContain('pg1-host-port=2022');
    expect(shown(action(plan, 'ssh-pg2.pgbackrest_conf'))).not.toContain('host-port');
    expect(shown(action(plan, 'ssh-backup2.pgbackrest_conf'))).not.toContain('host-port');
  });

  it('writes known_hosts names as ssh -p looks them up', () => {
    expect(shown(action(plan, 'ssh-pg1.known_hosts[postgres]'))).toContain(
      '[ssh-backup1]:2222,[127.0.1.13]:2222 ssh-ed25519',
    );
    expect(shown(action(plan, 'ssh-backup1.known_hosts[backrest]'))).toContain(
      '[ssh-pg1]:2022,[127.0.1.11]:2022 ssh-ed25519',
    );
    expect(shown(action(plan, 'ssh-backup2.known_hosts[backrest]'))).toContain('ssh-pg2,127.0.1.12 ssh-ed25519');
  });

  it("takes each host's own SSH port from the config (rocky.test connects to the lab's sshd on 2222 for real)", () => {
    expect(inv.hosts.map((host) => [host.name, host.sshPort])).toEqual([
      ['ssh-pg1', 2022],
      ['ssh-pg2', 22],
      ['ssh-backup1', 2222],
      ['ssh-backup2', 22],
    ]);
  });
});

describe("pg_hba and the backup host's address as the PostgreSQL host sees it", () => {
  it("standalone: backup_address, else the backup host's address", () => {
    const inv = inventory('ssh.toml', (text) =>
      text.replace('address = "127.0.1.11"\n', 'address = "127.0.1.11"\nbackup_address = "10.9.0.13"\n'),
    );
    const plan = actions(inv, freshFacts());
    expect(shown(action(plan, 'ssh-pg1.pg_hba'))).toContain('10.9.0.13/32');
    expect(shown(action(plan, 'ssh-pg1.pg_hba'))).not.toContain('127.0.1.13');
    expect(shown(action(plan, 'ssh-pg2.pg_hba'))).toContain('127.0.1.14/32');
  });

  it("Patroni: one pg_hba for the cluster, holding each member's view", () => {
    const inv = inventory('ha.toml', (text) =>
      fromFacts(text).replace('address = "127.0.1.32"\n', 'address = "127.0.1.32"\nbackup_address = "10.9.0.34"\n'),
    );
    const recorded = freshFacts();
    const members = ['ha-pg1', 'ha-pg2', 'ha-pg3'];
    const patroni: PatroniFacts = {
      scope: 'lab',
      dynamic: { postgresql: { parameters: {}, pg_hba: [] } },
      errors: [],
      members: members.map((name, index) => ({
        name,
        host: `127.0.1.3${index + 1}`,
        role: index === 0 ? 'Leader' : 'Replica',
        state: 'running',
        pendingRestart: false,
      })),
    };
    const facts = new Map<string, HostFacts>(
      members.map((name) => [name, { ...structuredClone(recorded.get('ssh-pg1')!), host: name, patroni }]),
    );
    facts.set('ha-backup1', { ...recorded.get('ssh-backup1')!, host: 'ha-backup1' });
    const config = shown(action(actions(inv, facts), 'ha-pg1.patroni_config[lab]'));
    expect(config).toContain('127.0.1.34/32');
    expect(config).toContain('10.9.0.34/32');
  });
});

describe('cron lines and verify find PostgreSQL where the server runs', () => {
  const inv = inventory('ssh.toml');
  const pg = rocky(freshFacts()).get('ssh-pg1')!.postgres!;

  it("a standby-safe cron line calls the server's own psql, the same line for the same facts", () => {
    const full = standbyTest(inv.hosts[0], pg);
    expect(full).toMatch(/^\[ "\$\(\/usr\/pgsql-15\/bin\/psql -XAtq -p 5432 /);
    expect(standbyTest(inv.hosts[0], structuredClone(pg))).toBe(full);
    expect(standbyTest(inv.hosts[0], { ...pg, binDir: undefined })).toMatch(/^\[ "\$\(psql -XAtq/);
  });

  it("verify looks in the verify host's server folder first, then Debian's and PGDG's", () => {
    expect(binaryDirs({ pgVersion: '15' })).toEqual(['/usr/lib/postgresql/15/bin', '/usr/pgsql-15/bin']);
    expect(binaryDirs({ pgVersion: '15', binDir: '/opt/pg/15/bin' })).toEqual([
      '/opt/pg/15/bin',
      '/usr/lib/postgresql/15/bin',
      '/usr/pgsql-15/bin',
    ]);
    const job: VerifyJob = {
      stanza: 's1',
      runAs: 'postgres',
      pgVersion: '15',
      binDir: '/usr/pgsql-15/bin',
      label: 'L',
      recovery: 'immediate',
      pgHostCount: 1,
      path: '/var/tmp/v',
      neededBytes: 1,
      timeoutSeconds: 60,
      amcheck: false,
    };
    expect(verifyScript(job)).toContain('for d in /usr/pgsql-15/bin /usr/lib/postgresql/15/bin; do');
  });

  it("verify on a PostgreSQL host takes its server's folder when the majors match, and the version from the server when info has none", () => {
    const onPg1 = inventory('ssh.toml', (text) => `${fromFacts(text)}\n[verify]\nhosts = ["ssh-pg1"]\n`);
    const facts = rocky(
      new Map(
        Object.entries(
          JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
        ),
      ),
    );
    const jobOf = (list: ReturnType<typeof verifyPlans>) =>
      (list.find((entry) => entry.zone.zone === 1) as VerifyPlan).job;
    expect(jobOf(verifyPlans(onPg1, facts, { recoveryPoint: false }))).toMatchObject({
      pgVersion: '15',
      binDir: '/usr/pgsql-15/bin',
    });
    facts.get('ssh-backup1')!.repos![0].backups[0].pgVersion = '16';
    expect(jobOf(verifyPlans(onPg1, facts, { recoveryPoint: false })).binDir).toBeUndefined();
  });
});
