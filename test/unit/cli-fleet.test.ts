// Fleet runs as a user types them, with no host reached: validate over several configs and
// folders, the errors that stop a run before it connects, apply's refusals, --zone and
// --out mistakes caught per cluster or before any connection.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';

const ENV = {
  BSYNC_CIPHER: 'cipher-passphrase-0123456789',
  BSYNC_BACKUP_PASSWORD: 'password-0123456789',
  K: 'key-0123456789',
  S: 'secret-0123456789',
};
const FLEET = `${FIXTURES}good/fleet`;
const MINIMAL = `${FIXTURES}good/minimal.toml`;

describe('validate over several configs', () => {
  it('a folder and a file: each cluster under its heading, one summary, exit 0', async () => {
    const run = await bsync(['validate', '-c', FLEET, '-c', MINIMAL], ENV);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `=== ${FLEET}/billing.toml (cluster billing) ===`,
        `${FLEET}/billing.toml: valid, 4 hosts.`,
        '',
        `=== ${FLEET}/orders.toml (cluster orders) ===`,
        `${FLEET}/orders.toml: valid, 1 host.`,
        '',
        `=== ${FLEET}/reports.toml (cluster reports) ===`,
        `${FLEET}/reports.toml: valid, 3 hosts.`,
        '',
        `=== ${MINIMAL} (cluster demo) ===`,
        `${MINIMAL}: valid, 2 hosts.`,
        '',
        'Fleet: 4 clusters, 0 failed.',
        '',
      ].join('\n'),
    );
  });

  it('one config file alone prints as it always did', async () => {
    const run = await bsync(['validate', '-c', MINIMAL], ENV);
    expect(run.stdout).toBe(`${MINIMAL}: valid, 2 hosts.\n`);
  });

  it('a missing file among several: the others are still reported, the missing one named, exit 1', async () => {
    const run = await bsync(
      ['validate', '-c', `${FLEET}/billing.toml`, '-c', '/nonexistent/gone.toml', '-c', `${FLEET}/orders.toml`],
      ENV,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${FLEET}/billing.toml: valid, 4 hosts.`);
    expect(run.stdout).toContain(`${FLEET}/orders.toml: valid, 1 host.`);
    expect(run.stdout).toContain(
      '=== /nonexistent/gone.toml ===\nbsync: error: /nonexistent/gone.toml: cannot read the config: no such file',
    );
    expect(run.stdout).toContain('Fleet: 3 clusters, 1 failed (gone.toml).');
    expect(run.stderr).toContain('bsync: error: gone.toml: /nonexistent/gone.toml: cannot read the config');
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('a bad config among several gets its usual message', async () => {
    const bad = `${FIXTURES}bad/15-bad-role.toml`;
    const expected = /^# expect: (.+)$/m.exec(readFileSync(bad, 'utf8'))![1].trim();
    const run = await bsync(['validate', '-c', MINIMAL, '-c', bad], ENV);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(expected);
    expect(run.stdout).toContain('Fleet: 2 clusters, 1 failed (15-bad-role.toml).');
  });

  it('--json prints one document that fleet.schema.json accepts', async () => {
    const run = await bsync(['validate', '--json', '-c', FLEET, '-c', '/nonexistent/gone.toml'], ENV);
    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout);
    const schema = (name: string) =>
      JSON.parse(readFileSync(`${FIXTURES}../schemas/${name}.schema.json`, 'utf8')) as object;
    const ajv = new Ajv.default({ allErrors: true, strict: true });
    for (const name of ['plan', 'status', 'check', 'verify']) ajv.addSchema(schema(name));
    const validate = ajv.compile(schema('fleet'));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.exitCode).toBe(1);
    expect(
      document.clusters.map((entry: { cluster: string | null; exitCode: number }) => [entry.cluster, entry.exitCode]),
    ).toEqual([
      ['billing', 0],
      ['orders', 0],
      ['reports', 0],
      [null, 1],
    ]);
    expect(document.clusters[0].validate).toEqual({ valid: true, warnings: [], hosts: 4 });
  });
});

describe('what stops a fleet run before it connects', () => {
  it('an empty folder, or one without .toml files, is named', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'bsync-fleet-'));
    for (const command of ['validate', 'plan']) {
      const run = await bsync([command, '-c', MINIMAL, '-c', empty], ENV);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`bsync: error: ${empty}: the folder holds no config: no *.toml file directly in it`);
      expect(run.stderr).not.toMatch(STACK_TRACE);
    }
    writeFileSync(join(empty, 'notes.txt'), 'not a config');
    const run = await bsync(['validate', '-c', empty], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(empty);
  });

  it('a host in two configs is refused, naming both files', async () => {
    const s3 = `${FIXTURES}good/s3.toml`;
    const run = await bsync(['plan', '-c', MINIMAL, '-c', s3], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${MINIMAL} (pg1) and ${s3} (pg1) both manage stanza pgedge-demo-1 on host 10.0.0.11:22`,
    );
    expect(run.stdout).toBe('');
  });

  it('--zone a config lacks fails that cluster, naming the config and its zones; exit 1', async () => {
    // billing has a zone 2: it is planned (and fails before connecting: in a copy of the
    // fleet's folder without it, its known_hosts file is not there).
    const fleet = mkdtempSync(join(tmpdir(), 'bsync-fleet-'));
    for (const name of ['billing', 'orders', 'reports'])
      writeFileSync(
        join(fleet, `${name}.toml`),
        readFileSync(`${FLEET}/${name}.toml`, 'utf8').replace('../keys/', `${FIXTURES}good/keys/`),
      );
    const run = await bsync(['plan', '--detailed-exitcode', '-c', fleet, '--zone', '2'], ENV);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `=== ${fleet}/billing.toml (cluster billing) ===\nbsync: error: ${fleet}/billing.toml:7: ssh.known_hosts: cannot read ${fleet}/known_hosts: no such file\n`,
    );
    expect(run.stdout).toContain(
      'Fleet: 3 clusters, 0 with changes, 3 failed (billing.toml, orders.toml, reports.toml).',
    );
    expect(run.stdout).toContain(
      `bsync: error: ${fleet}/orders.toml: --zone 2: no such zone in the config\n  Zones: 1`,
    );
    expect(run.stdout).toContain(
      `bsync: error: ${fleet}/reports.toml: --zone 2: no such zone in the config\n  Zones: 1`,
    );
    const one = await bsync(['status', '-c', `${FLEET}/billing.toml`, '--zone', '3'], ENV);
    expect(one.code).toBe(1);
    expect(one.stderr).toBe(
      `bsync: error: ${FLEET}/billing.toml: --zone 3: no such zone in the config\n  Zones: 1, 2\n`,
    );
    const notANumber = await bsync(['plan', '-c', MINIMAL, '--zone', 'one'], ENV);
    expect(notANumber.code).toBe(1);
    expect(notANumber.stderr).toContain('--zone needs a zone number');
  });

  it('plan --out with several configs names a folder that exists', async () => {
    const run = await bsync(['plan', '-c', FLEET, '--out', '/nonexistent/plans'], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '/nonexistent/plans: with several configs, --out names a folder, one plan file per cluster in it',
    );
  });

  it('--parallel takes a whole number of at least 1', async () => {
    const run = await bsync(['plan', '-c', FLEET, '--parallel', '0'], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--parallel needs a whole number of connections, at least 1');
  });

  it('facts and unlock work on one cluster', async () => {
    const run = await bsync(['facts', '-c', FLEET], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('facts works on one cluster: name one config file with -c');
  });
});

describe('apply over several configs', () => {
  it('refuses a saved plan: it belongs to one cluster', async () => {
    const run = await bsync(
      ['apply', '--yes', '-c', `${FLEET}/billing.toml`, '-c', `${FLEET}/orders.toml`, '/var/tmp/plan.json'],
      ENV,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'bsync: error: a saved plan belongs to one cluster: apply /var/tmp/plan.json with the one config it was made from',
    );
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('asks for --yes rather than a prompt per cluster', async () => {
    const run = await bsync(['apply', '-c', FLEET], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('apply with several configs changes every cluster without asking: confirm with --yes');
  });
});

describe('clusters that share a stanza in one bucket', () => {
  it('validate refuses the run before any cluster, naming both files and keys, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bsync-fleet-stanza-'));
    cpSync(`${FIXTURES}good/keys`, join(dir, 'keys'), { recursive: true });
    const s3 = readFileSync(`${FIXTURES}good/s3.toml`, 'utf8');
    writeFileSync(join(dir, 'a.toml'), s3);
    writeFileSync(join(dir, 'b.toml'), s3.replace('"pg1"', '"pg9"').replace('10.0.0.11', '10.0.9.11'));
    const run = await bsync(['validate', '-c', dir], ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `bsync: error: two clusters share a stanza in one repository:\n  ${dir}/a.toml (zone 1: cluster.name, repo) and ${dir}/b.toml (zone 1: cluster.name, repo) both keep stanza pgedge-demo-1 in s3 bucket "pg-backups"`,
    );
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
