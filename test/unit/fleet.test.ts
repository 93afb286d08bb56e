// Fleet runs without hosts: the connection bound, the exit-code rule, the summary, the
// JSON document against schemas/fleet.schema.json (plans made from recorded facts), the
// metrics of several clusters in one file, --zone, and which configs a run covers.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import {
  checkHostsNotShared,
  checkStanzasNotShared,
  configLabels,
  expandConfigs,
  isFleet,
} from '../../lib/cli/fleet-configs.js';
import {
  combineExitCodes,
  fleetDocument,
  fleetMetrics,
  fleetSummary,
  clusterSection,
  type ClusterOutcome,
} from '../../lib/cli/fleet.js';
import { selectHosts } from '../../lib/operations/session.js';
import { loadConfig, parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { renderMetrics } from '../../lib/metrics/prom.js';
import { buildPlan } from '../../lib/plan/build.js';
import { planMetrics } from '../../lib/plan/metrics.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { Semaphore } from '../../lib/semaphore.js';
import { FIXTURES } from '../support/bsync.js';
import { configProblems } from '../support/configs.js';

const SECRETS = {
  BSYNC_CIPHER: 'cipher-passphrase-0123456789',
  BSYNC_BACKUP_PASSWORD: 'password-0123456789',
  K: 'key-0123456789',
  S: 'secret-0123456789',
};

/** A lab config with its secret files swapped for environment values, as the planner tests do. */
function labInventory(name: 'ssh' | 's3' | 'ha'): Inventory {
  const text = readFileSync(`${FIXTURES}lab/${name}.toml`, 'utf8')
    .replace(/= \{ file = "\/var\/tmp\/bsync-lab\/secrets\/[^"]+" \}/g, '= { env = "BSYNC_CIPHER" }')
    .replace(/ca_file = "[^"]+"\n/, '');
  return parseConfig(text, `${FIXTURES}lab/${name}.toml`, SECRETS);
}

const recorded = (state: 'fresh' | 'converged') =>
  new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );

function sshPlan(state: 'fresh' | 'converged') {
  const inventory = parseConfig(
    readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
      .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "C" }')
      .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "P" }'),
    `${FIXTURES}lab/ssh.toml`,
    { C: 'recorded-cipher-passphrase-0123456789', P: 'recorded-backup-password-0123456789' },
  );
  return buildPlan(
    inventory,
    inventory.hosts.map((host) => host.name),
    desiredResources(inventory, recorded(state)),
  ).plan;
}

function outcome(label: string, fields: Partial<ClusterOutcome> = {}): ClusterOutcome {
  return {
    config: `/etc/bsync/${label}`,
    label,
    cluster: label.replace(/\.toml$/, ''),
    code: 0,
    changes: false,
    text: '',
    metrics: [],
    success: true,
    ...fields,
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('the connection bound', () => {
  it('never lets more work run than it has permits, and every piece of work runs', async () => {
    const slots = new Semaphore(3);
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    await Promise.all(
      [2, 1, 3, 1, 2, 2, 1].map(async (weight, index) => {
        const release = await slots.acquire(weight);
        running += weight;
        most = Math.max(most, running);
        await tick();
        running -= weight;
        finished.push(index);
        release();
        release(); // twice gives back nothing more
      }),
    );
    expect(most).toBe(3);
    expect(finished.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(slots.free).toBe(3);
  });

  it('lets a cluster larger than the bound run alone instead of never', async () => {
    const slots = new Semaphore(2);
    const release = await slots.acquire(5);
    expect(slots.free).toBe(0);
    let second = false;
    const waiting = slots.acquire(1).then((give) => {
      second = true;
      return give;
    });
    await tick();
    expect(second).toBe(false);
    release();
    (await waiting)();
    expect(slots.free).toBe(2);
  });

  it('grants in arrival order, so a large request is not starved by small ones', async () => {
    const slots = new Semaphore(2);
    const order: string[] = [];
    const first = await slots.acquire(1);
    const big = slots.acquire(2).then((give) => {
      order.push('big');
      return give;
    });
    const small = slots.acquire(1).then((give) => {
      order.push('small');
      return give;
    });
    await tick();
    expect(order).toEqual([]);
    first();
    (await big)();
    (await small)();
    expect(order).toEqual(['big', 'small']);
  });

  it('refuses a bound below one', () => {
    expect(() => new Semaphore(0)).toThrow();
  });
});

describe('the fleet exit code', () => {
  it('is the most severe: interrupted, then error, then drift, then in sync', () => {
    expect(combineExitCodes([])).toBe(0);
    expect(combineExitCodes([0, 0])).toBe(0);
    expect(combineExitCodes([0, 2, 0])).toBe(2);
    expect(combineExitCodes([2, 1, 0])).toBe(1);
    expect(combineExitCodes([1, 2])).toBe(1);
    expect(combineExitCodes([2, 130, 1])).toBe(130);
  });
});

describe('the fleet summary and sections', () => {
  it('counts clusters, names those with changes and those that failed', () => {
    const outcomes = [outcome('ssh.toml'), outcome('ha.toml', { changes: true, code: 2 }), outcome('s3.toml')];
    expect(fleetSummary(outcomes, 'with changes')).toBe('Fleet: 3 clusters, 1 with changes (ha.toml), 0 failed.');
    const failedToo = [
      ...outcomes,
      outcome('gone.toml', {
        cluster: null,
        code: 1,
        success: false,
        error: new BsyncError('cannot read the config: no such file'),
      }),
    ];
    expect(fleetSummary(failedToo, 'with changes')).toBe(
      'Fleet: 4 clusters, 1 with changes (ha.toml), 1 failed (gone.toml).',
    );
    expect(fleetSummary([outcome('a.toml')])).toBe('Fleet: 1 cluster, 0 failed.');
  });

  it("shows a drifted cluster's plan, as plan prints it alone, under that cluster's heading", () => {
    const drifted = renderPlanText(sshPlan('fresh'), { color: false });
    const inSync = renderPlanText(sshPlan('converged'), { color: false });
    const text = [
      outcome('s3.toml', { text: inSync, cluster: 'lab' }),
      outcome('ssh.toml', { text: drifted, cluster: 'lab', changes: true, code: 2 }),
    ]
      .map(clusterSection)
      .join('');
    expect(text).toBe(
      `=== /etc/bsync/s3.toml (cluster lab) ===\n${inSync}\n=== /etc/bsync/ssh.toml (cluster lab) ===\n${drifted}\n`,
    );
    expect(drifted).toContain('  + ssh_keypair[postgres]');
    expect(inSync).toBe('No changes. 4 hosts match ssh.toml.\n');
  });

  it('prints each cluster under a heading naming its config and cluster, its error there if it failed', () => {
    expect(clusterSection(outcome('ha.toml', { text: 'No changes. 4 hosts match ha.toml.\n' }))).toBe(
      '=== /etc/bsync/ha.toml (cluster ha) ===\nNo changes. 4 hosts match ha.toml.\n\n',
    );
    const failed = clusterSection(
      outcome('gone.toml', {
        cluster: null,
        error: new BsyncError('cannot read the config: no such file', { where: '/etc/bsync/gone.toml' }),
      }),
    );
    expect(failed).toBe(
      '=== /etc/bsync/gone.toml ===\nbsync: error: /etc/bsync/gone.toml: cannot read the config: no such file\n\n',
    );
    const problems = clusterSection(outcome('bad.toml', { cluster: null, error: CONFIG_PROBLEMS }));
    expect(problems).toBe(
      '=== /etc/bsync/bad.toml ===\nbsync: error: bad.toml:4: repo.cipher_pass: the environment variable C is not set\n  Export C\n'
        + 'bsync: error: bad.toml:14: host[2].zone: must be at least 1, got 0\n\n',
    );
  });
});

const CONFIG_PROBLEMS = configProblems('bad.toml');

describe('the fleet JSON document', () => {
  const schema = (name: string) =>
    JSON.parse(readFileSync(`${FIXTURES}../schemas/${name}.schema.json`, 'utf8')) as object;
  const ajv = new Ajv.default({ allErrors: true, strict: true });
  for (const name of ['plan', 'status', 'check', 'verify']) ajv.addSchema(schema(name));
  const validate = ajv.compile(schema('fleet'));

  it("holds each cluster's plan as plan --json prints it, or its error, and the exit code", () => {
    const drifted = sshPlan('fresh');
    const inSync = sshPlan('converged');
    const document = fleetDocument(
      'plan',
      [
        outcome('ssh.toml', { json: drifted, code: 2, changes: true }),
        outcome('ssh-again.toml', { json: inSync }),
        outcome('gone.toml', {
          cluster: null,
          code: 1,
          success: false,
          error: new BsyncError('cannot read the config: no such file', {
            where: 'gone.toml',
            hint: 'Name the config with -c',
          }),
        }),
        outcome('bad.toml', { cluster: null, code: 1, success: false, error: CONFIG_PROBLEMS }),
      ],
      1,
    ) as { clusters: Array<Record<string, unknown>>; exitCode: number };
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.exitCode).toBe(1);
    expect(document.clusters.map((entry) => entry.exitCode)).toEqual([2, 0, 1, 1]);
    expect((document.clusters[3].error as { errors: unknown[] }).errors).toEqual([
      { message: 'repo.cipher_pass: the environment variable C is not set', where: 'bad.toml:4', hint: 'Export C' },
      { message: 'host[2].zone: must be at least 1, got 0', where: 'bad.toml:14' },
    ]);
    expect(document.clusters[0].plan).toBe(drifted);
    expect(document.clusters[2]).toEqual({
      config: '/etc/bsync/gone.toml',
      cluster: null,
      error: { message: 'cannot read the config: no such file', where: 'gone.toml', hint: 'Name the config with -c' },
      exitCode: 1,
    });
  });

  it('is refused by the schema when an entry has both a result and an error, or neither', () => {
    const plan = sshPlan('converged');
    const both = {
      format: 'bsync-fleet',
      version: 1,
      command: 'plan',
      exitCode: 1,
      clusters: [{ config: 'a.toml', cluster: 'a', exitCode: 1, plan, error: { message: 'x' } }],
    };
    const neither = { ...both, clusters: [{ config: 'a.toml', cluster: 'a', exitCode: 0 }] };
    expect(validate(both)).toBe(false);
    expect(validate(neither)).toBe(false);
  });
});

describe('fleet metrics', () => {
  it('label every sample with its cluster and config, one HELP and TYPE per metric, each series once', () => {
    // The lab's three scenarios all call their cluster "lab": the config label keeps them apart.
    const metrics = planMetrics(sshPlan('fresh'));
    const text = renderMetrics(
      fleetMetrics('plan', [
        outcome('ssh.toml', { cluster: 'lab', metrics }),
        outcome('ssh-copy.toml', { cluster: 'lab', metrics }),
        outcome('gone.toml', { cluster: null, success: false, error: new Error('gone') }),
      ]),
    );
    const families = parsePrometheus(text) as Array<{
      name: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    const names = families.map((family) => family.name);
    expect(new Set(names).size).toBe(names.length);
    const series = families.flatMap((family) =>
      family.metrics.map((sample) => `${family.name}${JSON.stringify(sample.labels)}`),
    );
    expect(new Set(series).size).toBe(series.length);
    for (const family of families) for (const sample of family.metrics) expect(sample.labels).toHaveProperty('config');
    const hostActions = families.find((family) => family.name === 'bsync_drift_host_actions')!;
    expect(hostActions.metrics).toContainEqual({
      value: expect.any(String),
      labels: { cluster: 'lab', config: '/etc/bsync/ssh-copy.toml', host: 'ssh-pg1' },
    });
    const success = families.find((family) => family.name === 'bsync_cluster_success')!;
    expect(success.metrics.map((sample) => [sample.labels.config, sample.value])).toEqual([
      ['/etc/bsync/ssh.toml', '1'],
      ['/etc/bsync/ssh-copy.toml', '1'],
      ['/etc/bsync/gone.toml', '0'],
    ]);
  });
});

describe('--zone', () => {
  const inventory = labInventory('ssh');
  const names = (hosts: Array<{ name: string }>) => hosts.map((host) => host.name);

  it('selects the hosts of the zones named, and involves only those zones', () => {
    const { selected, involved } = selectHosts(inventory, { zones: [2] });
    expect(names(selected)).toEqual(['ssh-pg2', 'ssh-backup2']);
    expect(names(involved)).toEqual(['ssh-pg2', 'ssh-backup2']);
    expect(names(selectHosts(inventory, { zones: [1, 2] }).selected)).toEqual(names(inventory.hosts));
    expect(names(selectHosts(inventory, {}).selected)).toEqual(names(inventory.hosts));
  });

  it('with --host, selects the named hosts of those zones', () => {
    const { selected, involved } = selectHosts(inventory, { hosts: ['ssh-pg1', 'ssh-pg2'], zones: [1] });
    expect(names(selected)).toEqual(['ssh-pg1']);
    expect(names(involved)).toEqual(['ssh-pg1', 'ssh-backup1']);
    expect(() => selectHosts(inventory, { hosts: ['ssh-pg1'], zones: [2] })).toThrow(/--host ssh-pg1: not in --zone 2/);
  });

  it('a zone the config does not have is an error naming the config and its zones', () => {
    let error: unknown;
    try {
      selectHosts(inventory, { zones: [1, 3] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BsyncError);
    expect((error as BsyncError).describe()).toBe(
      `${FIXTURES}lab/ssh.toml: --zone 3: no such zone in the config\n  Zones: 1, 2`,
    );
  });
});

describe('the configs of a run', () => {
  const folder = () => mkdtempSync(join(tmpdir(), 'bsync-fleet-'));

  it('a folder means its *.toml files, in name order; each file once', () => {
    const dir = folder();
    for (const name of ['b.toml', 'a.toml', 'notes.txt', 'c.toml.bak']) writeFileSync(join(dir, name), '');
    mkdirSync(join(dir, 'sub.toml'));
    expect(expandConfigs([dir])).toEqual([join(dir, 'a.toml'), join(dir, 'b.toml')]);
    expect(expandConfigs([join(dir, 'b.toml'), dir])).toEqual([join(dir, 'b.toml'), join(dir, 'a.toml')]);
    expect(expandConfigs(['missing.toml', dir])).toEqual(['missing.toml', join(dir, 'a.toml'), join(dir, 'b.toml')]);
  });

  it('an empty folder, or one without .toml files, is an error naming it', () => {
    const empty = folder();
    expect(() => expandConfigs([empty])).toThrow(BsyncError);
    expect(() => expandConfigs([empty])).toThrow(/no \*\.toml file/);
    const other = folder();
    writeFileSync(join(other, 'readme.md'), '');
    try {
      expandConfigs([other]);
      expect.unreachable();
    } catch (error) {
      expect((error as BsyncError).where).toBe(other);
    }
  });

  it('one file is not a fleet; several files, or any folder, are', () => {
    expect(isFleet(['a.toml'])).toBe(false);
    expect(isFleet(['a.toml', 'b.toml'])).toBe(true);
    expect(isFleet([`${FIXTURES}good/fleet`])).toBe(true);
  });

  it('clusters are named by file name, by path where two share one', () => {
    expect(configLabels(['x/ssh.toml', 'y/ha.toml', 'z/ssh.toml'])).toEqual(['x/ssh.toml', 'ha.toml', 'z/ssh.toml']);
  });

  it("the lab's three scenarios share no host, so they run as one fleet", () => {
    expect(() =>
      checkHostsNotShared(
        (['ssh', 's3', 'ha'] as const).map((name) => ({ config: `${name}.toml`, inventory: labInventory(name) })),
      ),
    ).not.toThrow();
  });

  it('a host in two clusters is refused, naming both files and the stanza both would manage', () => {
    const minimal = loadConfig(`${FIXTURES}good/minimal.toml`, { env: SECRETS });
    const s3 = loadConfig(`${FIXTURES}good/s3.toml`, { env: SECRETS });
    expect(() =>
      checkHostsNotShared([
        { config: 'minimal.toml', inventory: minimal },
        { config: 's3.toml', inventory: s3 },
      ]),
    ).toThrow('minimal.toml (pg1) and s3.toml (pg1) both manage stanza pgedge-demo-1 on host 10.0.0.11:22');
  });

  describe('two clusters keeping one stanza in one bucket', () => {
    const S3 = readFileSync(`${FIXTURES}good/s3.toml`, 'utf8');
    /** fixtures/good/s3.toml as another cluster: its host elsewhere, `edit` applied. */
    const other = (edit: (text: string) => string = (text) => text) =>
      parseConfig(
        edit(S3.replace('"pg1"', '"pg9"').replace('10.0.0.11', '10.0.9.11')),
        `${FIXTURES}good/other.toml`,
        SECRETS,
      );
    const s3 = () => loadConfig(`${FIXTURES}good/s3.toml`, { env: SECRETS });

    it('are refused, naming both files, the keys that make the stanza and the repositories, and the place', () => {
      expect(() =>
        checkStanzasNotShared([
          { config: 's3.toml', inventory: s3() },
          { config: 'other.toml', inventory: other() },
        ]),
      ).toThrow(
        's3.toml (zone 1: cluster.name, repo) and other.toml (zone 1: cluster.name, repo) both keep stanza pgedge-demo-1 in s3 bucket "pg-backups", endpoint "s3.example.com", region "us-east-1", path "/pg"',
      );
      const stanza = (text: string) => text.replace('name = "demo"', 'name = "other"\nstanza = "pgedge-demo-1"');
      expect(() =>
        checkStanzasNotShared([
          { config: 's3.toml', inventory: s3() },
          { config: 'other.toml', inventory: other(stanza) },
        ]),
      ).toThrow('and other.toml (zone 1: cluster.stanza, repo) both keep stanza pgedge-demo-1');
    });

    it.each([
      ['another path', (text: string) => text.replace('path = "/pg"', 'path = "/pg-other"')],
      ['another bucket', (text: string) => text.replace('bucket = "pg-backups"', 'bucket = "pg-backups-2"')],
      ['another endpoint', (text: string) => text.replace('s3.example.com', 's3.example.net')],
      ['another stanza', (text: string) => text.replace('name = "demo"', 'name = "other"')],
    ])('with %s, are not', (_, edit) => {
      expect(() =>
        checkStanzasNotShared([
          { config: 's3.toml', inventory: s3() },
          { config: 'other.toml', inventory: other(edit) },
        ]),
      ).not.toThrow();
    });

    it("the lab's scenarios and the fleet fixtures share none", () => {
      const fleet = ['billing', 'orders', 'reports'].map((name) => ({
        config: `${name}.toml`,
        inventory: loadConfig(`${FIXTURES}good/fleet/${name}.toml`, { env: SECRETS }),
      }));
      const lab = (['ssh', 's3', 'ha'] as const).map((name) => ({
        config: `${name}.toml`,
        inventory: labInventory(name),
      }));
      expect(() => checkStanzasNotShared([...fleet, ...lab])).not.toThrow();
    });
  });
});
