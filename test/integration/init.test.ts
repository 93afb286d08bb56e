// bsync init on the lab's ssh scenario (issue 32, item 2): a new user names the hosts,
// init asks them and writes bsync.toml; with the secret file its comments name, validate
// passes, plan shows everything, apply converges and the next plan shows no changes. Then
// init again on the converged hosts finds the zones and cluster from their stanzas, and
// its config plans no changes either. Host keys are verified as plan verifies them.
// bsync here is the package as a user installs it (issue 32's first hour): the tarball
// `npm pack` makes of this checkout, installed with `npm install -g` into an empty prefix.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_HOSTS, OPERATOR_KEY } from '../lab/lab.js';
import { installPackage, run } from '../support/package.js';
import { resetScenario } from '../support/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'bsync-init-lab-'));
const SECRETS = join(dir, 'secrets');
const KEYS = ['--identity', OPERATOR_KEY, '--known-hosts', KNOWN_HOSTS, '--secrets', SECRETS];
const HOSTS = [
  'ssh-pg1=127.0.1.11:postgres:1',
  'ssh-pg2=127.0.1.12:postgres:2',
  'ssh-backup1=127.0.1.13:backup:1',
  'ssh-backup2=127.0.1.14:backup:2',
];
const hostArgs = (hosts: string[]) => hosts.flatMap((host) => ['--host', host]);

/** The installed package's bsync. */
const bsync = (args: string[]) => run(join(dir, 'prefix', 'bin', 'bsync'), args, dir);

describe('bsync init on fresh hosts, then validate, plan and apply', () => {
  const config = join(dir, 'bsync.toml');

  beforeAll(async () => {
    await Promise.all([resetScenario('ssh'), installPackage(dir, join(dir, 'prefix'))]);
  }, 600_000);

  it('writes a commented config naming what it found and the secret file to create', async () => {
    const run = await bsync(['init', ...hostArgs(HOSTS), '--cluster', 'lab', ...KEYS, '--out', config]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Wrote ${config}:`);
    expect(run.stdout).toMatch(/ssh-pg1 \(zone 1\): primary, PostgreSQL 15\.\d+/);
    expect(run.stdout).toContain(`${SECRETS}/backup_password`);
    const text = readFileSync(config, 'utf8');
    expect(text).toContain('name = "lab"');
    expect(text).toContain('pg_data = "/var/lib/postgresql/15/main"');
    expect(text).toContain('cipher_pass = "auto"');
  });

  it('does not validate until the secret file exists, then does', async () => {
    const missing = await bsync(['validate', '-c', config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read the secret file ${SECRETS}/backup_password: no such file`);
    mkdirSync(SECRETS, { recursive: true, mode: 0o700 });
    writeFileSync(join(SECRETS, 'backup_password'), 'init-lab-backup-password-0123456789\n', { mode: 0o600 });
    const valid = await bsync(['validate', '-c', config]);
    expect(valid).toStrictEqual({ code: 0, stdout: `${config}: valid, 4 hosts.\n`, stderr: '' });
  });

  it('plans everything, applies, and converges', async () => {
    const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    expect(plan.stderr).not.toMatch(/error/i);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ stanza[pgedge-lab-1]');
    const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(apply.code).toBe(0);
    // The passphrase "auto" generated was kept in the secrets folder first.
    expect(existsSync(join(SECRETS, 'pgedge-lab-1.cipher_pass'))).toBe(true);
    const again = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes. 4 hosts match bsync.toml.');
    expect(again.code).toBe(0);
  }, 900_000);

  it('never overwrites the config', async () => {
    const before = readFileSync(config, 'utf8');
    const run = await bsync(['init', ...hostArgs(HOSTS), ...KEYS, '--out', config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${config} exists already: bsync init never overwrites a file`);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it('on the converged hosts finds zones and cluster from the stanzas, and its config plans no changes', async () => {
    const second = join(dir, 'again.toml');
    const names = HOSTS.map((host) => host.replace(/:postgres:\d$|:\d$/, ''));
    const run = await bsync(['init', ...hostArgs(names), ...KEYS, '--out', second]);
    expect(run.code).toBe(0);
    const text = readFileSync(second, 'utf8');
    expect(text).toContain('name = "lab"  # stanzas pgedge-lab-<zone>');
    expect(text).toMatch(/name = "ssh-backup2"\naddress = "127\.0\.1\.14"\nrole = "backup"\nzone = 2\n/);
    const plan = await bsync(['plan', '-c', second, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 4 hosts match again.toml.');
    expect(plan.code).toBe(0);
  }, 300_000);
});

describe('host keys', () => {
  it('an unknown host key stops init with the message plan gives, naming the line to add', async () => {
    const empty = join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const run = await bsync([
      'init',
      '--host',
      'ssh-pg1=127.0.1.11',
      '--host',
      'ssh-backup1=127.0.1.13:backup',
      '--identity',
      OPERATOR_KEY,
      '--known-hosts',
      empty,
      '--out',
      join(dir, 'unknown.toml'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bsync: error: cannot reach 2 hosts:');
    expect(run.stderr).toMatch(/ssh-pg1: the host key of ssh-pg1 \(127\.0\.1\.11:22\) is not in known_hosts/);
    expect(run.stderr).toMatch(/add this line to .*empty_known_hosts:\n\s+ssh-pg1,127\.0\.1\.11 \S+ /);
    expect(existsSync(join(dir, 'unknown.toml'))).toBe(false);
  });
});
