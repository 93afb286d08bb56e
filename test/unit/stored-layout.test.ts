// A primary whose server is down and whose data is gone, on the facts recorded from the
// lab's converged ssh scenario with ssh-pg1's server facts taken away and a config that
// names neither pg_data nor pg_version: the restore finds the data directory, version, port
// and binaries in what the host still holds (the stored-layout probe's recorded answers),
// prefers bsync's own pgbackrest.conf when sources disagree, names the keys to set when none
// says, and refuses a hostile value naming host and field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { HostError } from '../../lib/errors.js';
import { needsOf as mergeNeeds, read } from '../../lib/facts/needs.js';
import { probeContext } from '../../lib/facts/probe.js';
import { storedLayoutProbe } from '../../lib/facts/stored-layout.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts, StoredLayoutFacts } from '../../lib/facts/types.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { storedLayoutOf } from '../../lib/desired/stored-layout.js';
import { zonesOf } from '../../lib/desired/zone.js';
import { planRestore, restoredDataDirectory, restoreNeeds } from '../../lib/recovery/restore.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

/** ssh.toml as the README's example has it: no pg_data, no pg_version. */
const BARE = SSH_CONFIG.replace(/^pg_data = .*\n/gm, '').replace(/^pg_version = .*\n/m, '');
const inventory = parseConfig(BARE, `${FIXTURES}lab/ssh.toml`, ENV);
const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
const ctx = probeContext(inventory, pg1, mergeNeeds([hostNeeds(inventory, pg1), ...restoreNeeds(inventory, pg1)]));
const PLENTY = { availableBytes: 50 * 1024 ** 3, usedBytes: 0 };
const DATA = '/var/lib/postgresql/15/main';
const ZONE_1 = zonesOf(inventory).find((zone) => zone.zone === 1)!;

const recorded = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
/** What ssh-pg1 holds: the pgbackrest.conf bsync wrote there (recorded), postgresql-common's cluster. */
const PGBACKREST_CONF = recorded['ssh-pg1'].files['/etc/pgbackrest/pgbackrest.conf'].content!;
const DEBIAN_CLUSTER = `/etc/postgresql/15/main/postgresql.conf\ndata_directory = '${DATA}'\t\t# use data in another directory\nport = 5432\t\t\t\t# (change requires restart)`;
const PATRONI_YML =
  'scope: lab\npostgresql:\n  listen: 0.0.0.0:5432\n  data_dir: /var/lib/pgsql/15/data\n  bin_dir: /usr/pgsql-15/bin/\n';

/** One framed line as the probe prints it: exit code, stdout and stderr in base64. */
const framed = (code: number, stdout = '') => `F|${code}|${Buffer.from(stdout).toString('base64')}|`;
const ABSENT = framed(1);

interface Answers {
  conf?: string;
  debian?: string;
  bins?: string[];
  patroni?: string;
}

/** The probe's recorded answer, parsed (and for a Patroni config, with its file). */
function probed({ conf, debian, bins = [], patroni }: Answers, context = ctx): StoredLayoutFacts {
  const lines = [
    conf === undefined ? ABSENT : framed(0, conf),
    framed(0, debian ?? ''),
    framed(0, bins.join('\n')),
    ...(context.inventory.patroni ? [patroni === undefined ? ABSENT : framed(0, patroni)] : []),
  ];
  return storedLayoutProbe.parse(lines.join('\n'), context).storedLayout!;
}

/** The recorded facts, ssh-pg1's server down (no facts of it but that), with what the probe found. */
function down(layout: StoredLayoutFacts | undefined, os: Partial<HostFacts['os']> = {}): Map<string, HostFacts> {
  const all = new Map(Object.entries(structuredClone(recorded)));
  const host = all.get('ssh-pg1')!;
  host.postgres = {
    running: false,
    error: 'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed',
    versionNum: 0,
    inRecovery: false,
    settings: {},
    fileSettings: [],
    roles: {},
    configFile: '',
    hbaFile: '',
    dataDirectory: '',
    configContent: '',
    hbaContent: '',
  };
  host.os = { ...host.os, ...os };
  if (layout) host.storedLayout = layout;
  for (const [name, facts] of all) all.set(name, typedFacts(facts, name));
  return all;
}

function restore(facts: Map<string, HostFacts>) {
  return planRestore({
    inventory,
    facts,
    request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: false },
    space: PLENTY,
    now: Date.parse('2026-12-03T00:00:00Z'),
  });
}

/** A resource's steps, one command a line. */
const stepOf = (plan: ReturnType<typeof restore>, kind: string) =>
  plan.resources
    .find((resource) => resource.kind === kind)!
    .change!.steps.map((step) => step.command)
    .join('\n');

describe('the layout of a server that is down, from what its host holds', () => {
  it('is asked by restore only: the declared state does not read it', () => {
    expect(hostNeeds(inventory, pg1).storedLayout).toBeUndefined();
    expect(storedLayoutProbe.applies(probeContext(inventory, pg1, hostNeeds(inventory, pg1)))).toBe(false);
    expect(restoreNeeds(inventory, pg1)).toEqual([read.storedLayout]);
    expect(storedLayoutProbe.applies(ctx)).toBe(true);
  });

  it("bsync's pgbackrest.conf: pg1-path and pg1-port of the stanza, pg_ctl of the backup's major", () => {
    const layout = probed({ conf: PGBACKREST_CONF, bins: ['/usr/lib/postgresql/15/bin'] });
    expect(layout.sources).toEqual([
      {
        source: 'pgbackrest.conf',
        file: '/etc/pgbackrest/pgbackrest.conf',
        key: 'pg1',
        dataDirectory: DATA,
        port: 5432,
      },
    ]);
    const plan = restore(down(layout));
    expect(plan.resources.map((resource) => resource.kind)).toEqual([
      'pg_restore',
      'pg_start',
      'recovery_end',
      'archive_check',
    ]);
    expect(stepOf(plan, 'pg_restore')).toContain(`flock -w 86400 ${DATA} `);
    expect(stepOf(plan, 'pg_start')).toBe(
      `/usr/lib/postgresql/15/bin/pg_ctl -D ${DATA} -l ${DATA}/pg_ctl.log -w start`,
    );
    expect(plan.operation.notes).toContain(`ssh-pg1's data directory ${DATA} is pgbackrest.conf's pg1-path.`);
  });

  it("postgresql-common's cluster: data_directory and port, started as that cluster", () => {
    const layout = probed({ debian: DEBIAN_CLUSTER, bins: ['/usr/lib/postgresql/15/bin'] });
    expect(layout.sources).toEqual([
      {
        source: 'postgresql-common',
        file: '/etc/postgresql/15/main/postgresql.conf',
        configFile: '/etc/postgresql/15/main/postgresql.conf',
        major: '15',
        dataDirectory: DATA,
        port: 5432,
      },
    ]);
    const plan = restore(down(layout));
    expect(stepOf(plan, 'pg_start')).toBe('pg_ctlcluster --skip-systemctl-redirect 15 main start');
    expect(plan.operation.notes.join('\n')).toContain("postgresql-common's data_directory");
  });

  it("a postgresql-common cluster on another port is another server's, and a data directory nobody names asks for pg_data", () => {
    const other = probed({ debian: DEBIAN_CLUSTER.replace('port = 5432', 'port = 5433'), bins: [] });
    expect(() => restore(down(other))).toThrow(
      /^its data directory is unknown: PostgreSQL does not answer on port 5432, pg_data is not set/,
    );
    expect(() => restoredDataDirectory(inventory, { zone: ZONE_1, host: pg1 }, down(other))).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('Set pg_data on [[host]] ssh-pg1') }),
    );
  });

  it("PGDG's layout: /usr/pgsql-MAJOR/bin means /var/lib/pgsql/MAJOR/data and the unit postgresql-MAJOR", () => {
    const layout = probed({ bins: ['/usr/pgsql-15/bin'] });
    const plan = restore(down(layout, { id: 'rocky', family: 'rhel', pid1: 'systemd' }));
    expect(stepOf(plan, 'pg_restore')).toContain('flock -w 86400 /var/lib/pgsql/15/data ');
    expect(stepOf(plan, 'pg_start')).toBe('systemctl start postgresql-15');
    const two = probed({ bins: ['/usr/pgsql-15/bin', '/usr/pgsql-16/bin'] });
    // Two majors installed: PGDG's layout alone cannot say which is the server; the stanza's version (15) can.
    expect(restoredDataDirectory(inventory, { zone: ZONE_1, host: pg1 }, down(two))).toBe('/var/lib/pgsql/15/data');
    expect(() => storedLayoutOf(inventory, pg1, down(two).get('ssh-pg1')!)).toThrow(/its data directory is unknown/);
  });

  it("Patroni's configuration: postgresql.data_dir, bin_dir and the port of listen", () => {
    const ha = parseConfig(`${BARE}\n[patroni]\nconfig = "/etc/patroni/patroni.yml"\n`, `${FIXTURES}lab/ssh.toml`, ENV);
    const haCtx = probeContext(ha, pg1, { ...ctx.needs });
    expect(storedLayoutProbe.command(haCtx)).toContain('cat /etc/patroni/patroni.yml');
    expect(probed({ patroni: PATRONI_YML }, haCtx).sources).toEqual([
      {
        source: 'patroni',
        file: '/etc/patroni/patroni.yml',
        dataDirectory: '/var/lib/pgsql/15/data',
        binDir: '/usr/pgsql-15/bin',
        port: 5432,
      },
    ]);
    // Under [patroni], the packages' own cluster beside it (Debian's main) is not the server Patroni runs.
    const patroniDir = '/var/lib/postgresql/15/patroni';
    const beside = probed(
      {
        debian: DEBIAN_CLUSTER,
        bins: ['/usr/lib/postgresql/15/bin'],
        patroni: PATRONI_YML.replace('/var/lib/pgsql/15/data', patroniDir).replace(
          '  bin_dir: /usr/pgsql-15/bin/\n',
          '',
        ),
      },
      haCtx,
    );
    expect(storedLayoutOf(ha, pg1, down(beside).get('ssh-pg1')!, '15')).toEqual({
      dataDirectory: patroniDir,
      major: 15,
      port: 5432,
      binDir: '/usr/lib/postgresql/15/bin',
      from: "Patroni's postgresql.data_dir in /etc/patroni/patroni.yml",
      notes: [],
    });
    // Without [patroni], the same host's cluster is postgresql-common's.
    expect(storedLayoutOf(inventory, pg1, down(beside).get('ssh-pg1')!, '15').dataDirectory).toBe(DATA);
  });

  it("sources that disagree: bsync's own pgbackrest.conf wins, and the plan says so", () => {
    const layout = probed({
      conf: PGBACKREST_CONF,
      debian: DEBIAN_CLUSTER.replace(`'${DATA}'`, "'/srv/pg/15'"),
      bins: ['/usr/lib/postgresql/15/bin'],
    });
    const plan = restore(down(layout));
    expect(stepOf(plan, 'pg_restore')).toContain(`flock -w 86400 ${DATA} `);
    expect(plan.operation.notes).toContain(
      `ssh-pg1: postgresql-common's data_directory in /etc/postgresql/15/main/postgresql.conf names /srv/pg/15, but pgbackrest.conf's pg1-path names ${DATA}: bsync restores into ${DATA} (pgbackrest.conf's pg1-path, which bsync wrote).`,
    );
  });

  it("refuses a port that is not pg_port, and a host without the backup's major's server", () => {
    const moved = probed({
      conf: PGBACKREST_CONF.replace('pg1-port=5432', 'pg1-port=5433'),
      bins: ['/usr/lib/postgresql/15/bin'],
    });
    expect(() => restore(down(moved))).toThrow(
      /pgbackrest.conf's pg1-path names the server's port 5433, but pg_port is 5432/,
    );
    const noServer = probed({ conf: PGBACKREST_CONF, bins: ['/usr/lib/postgresql/16/bin'] });
    expect(() => restore(down(noServer))).toThrow(
      "PostgreSQL 15's server is not installed: neither /usr/lib/postgresql/15/bin nor /usr/pgsql-15/bin holds pg_ctl",
    );
  });

  it('refuses a system folder as the data directory, naming the file that says it', () => {
    const etc = probed({
      conf: PGBACKREST_CONF.replace(`pg1-path=${DATA}`, 'pg1-path=/etc'),
      bins: ['/usr/lib/postgresql/15/bin'],
    });
    expect(() => restore(down(etc))).toThrow(
      "pgbackrest.conf's pg1-path names the data directory /etc, and /etc is a system folder",
    );
  });

  const hostile: Array<[string, Answers, string]> = [
    [
      'a .. step in pg1-path',
      { conf: PGBACKREST_CONF.replace(`pg1-path=${DATA}`, 'pg1-path=/var/lib/../../root') },
      'storedLayout.sources[0].dataDirectory',
    ],
    [
      'a relative pg1-path',
      { conf: PGBACKREST_CONF.replace(`pg1-path=${DATA}`, 'pg1-path=data') },
      'storedLayout.sources[0].dataDirectory',
    ],
    [
      'a quote in data_directory',
      { debian: DEBIAN_CLUSTER.replace(`'${DATA}'`, "'/var/lib/it''s'") },
      'storedLayout.sources[0].dataDirectory',
    ],
    [
      'a port that is not a number',
      { debian: DEBIAN_CLUSTER.replace('port = 5432', 'port = 54x2') },
      'storedLayout.sources[0].port',
    ],
    [
      'a major that is not digits',
      { debian: DEBIAN_CLUSTER.replace('/15/main/', '/15beta/main/') },
      'storedLayout.sources[0].major',
    ],
    [
      'a control character in a binary folder',
      { bins: ['/usr/lib/postgresql/15/bin\u001b[2J'] },
      'storedLayout.binDirs[0]',
    ],
  ];
  for (const [what, answers, field] of hostile) {
    it(`refuses ${what}, naming host and field`, () => {
      const error = (() => {
        try {
          down(probed(answers));
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(HostError);
      expect((error as HostError).host).toBe('ssh-pg1');
      expect((error as HostError).message).toContain(`${field} is `);
    });
  }

  it("refuses Patroni's relative data_dir, naming host and field", () => {
    const ha = parseConfig(`${BARE}\n[patroni]\nconfig = "/etc/patroni/patroni.yml"\n`, `${FIXTURES}lab/ssh.toml`, ENV);
    const layout = probed(
      { patroni: PATRONI_YML.replace('/var/lib/pgsql/15/data', 'data') },
      probeContext(ha, pg1, ctx.needs),
    );
    expect(() => down(layout)).toThrow(expect.objectContaining({ host: 'ssh-pg1' }));
    expect(() => down(layout)).toThrow(/storedLayout\.sources\[0\]\.dataDirectory is "data"/);
  });
});
