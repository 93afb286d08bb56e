// Every fact the planner reads for a host is one that host's needs ask for: the reads its
// parts declare (lib/desired/part.ts, added up by lib/desired/needs.ts). Each part's adders
// are held to its own declaration as they run; what reads facts outside a part (the host's
// builder itself, health, status, verify) is held to the host's needs here: run them on
// recorded facts wrapped so that every read is noted, under several configs, and compare.
// A read nobody asked for would plan as if the fact were absent on every run; here it fails,
// naming what was read.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { usingFacts } from '../../lib/operations/session.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import { HostResources } from '../../lib/desired/builder.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { declarePart } from '../../lib/desired/part.js';
import { pgbackrestFilesPart } from '../../lib/desired/pgbackrest-files.js';
import { factsScript } from '../../lib/facts/gather.js';
import { needsOf, read } from '../../lib/facts/needs.js';
import { probeContext } from '../../lib/facts/probe.js';
import { readsOf, unaskedReads, type FactReads } from '../../lib/facts/reads.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { healthProblems } from '../../lib/plan/health.js';
import { statusReport } from '../../lib/status/report.js';
import { watchNeeds } from '../../lib/status/watch.js';
import { verifyPlans } from '../../lib/verify/targets.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, noBackupHost, s3Repo, SSH_CONFIG, sshZone, withSecondRepo } from '../support/configs.js';
import { sessionOf } from '../support/sessions.js';

const CONFIGS: Record<string, string> = {
  ssh: SSH_CONFIG,
  'ssh + s3 with a CA': withSecondRepo(s3Repo('', `ca_file = "${FIXTURES}good/example-ca.crt"`)),
  'one zone, backups from the standby': sshZone('standby'),
  's3, backups from the standby (the PostgreSQL hosts trust each other)': noBackupHost('s3', 'standby'),
  'async archiving, no backup user': `${SSH_CONFIG.replace('[backup_user]\n', '[backup_user]\nenabled = false\n')}\n[pgbackrest.global]\narchive-async = true\n`,
};

function recordedFacts(state: 'fresh' | 'converged'): Map<string, HostFacts> {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

function readsOfPlanning(inventory: Inventory, state: 'fresh' | 'converged'): Map<string, FactReads> {
  const hosts = inventory.hosts.map((host) => host.name);
  return readsOf(recordedFacts(state), (facts) => {
    desiredResources(inventory, facts);
    healthProblems(inventory, facts, hosts);
    statusReport(inventory, facts, hosts);
    verifyPlans(inventory, facts, {});
  }).reads;
}

describe("the facts the planner reads are the ones each host's needs ask for", () => {
  for (const [name, text] of Object.entries(CONFIGS)) {
    for (const state of ['fresh', 'converged'] as const) {
      it(`${name}, ${state} hosts`, () => {
        const inventory = parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);
        for (const [host, reads] of readsOfPlanning(inventory, state)) {
          const spec = inventory.hosts.find((candidate) => candidate.name === host);
          // A recorded host the config leaves out (ssh-backup2 when both PostgreSQL hosts are zone 1).
          if (!spec) continue;
          // status and check ask for the outcome files too (watchNeeds), as their sessions do.
          const needs = needsOf([hostNeeds(inventory, spec), ...watchNeeds(inventory, spec)]);
          expect(unaskedReads(reads, needs), `${host}: read but not asked for`).toEqual([]);
          // The recording is real: planning a host reads its pgbackrest.conf.
          expect(reads.files.has('/etc/pgbackrest/pgbackrest.conf'), host).toBe(true);
        }
      });
    }
  }

  it('a plan that read a fact no probe asked for is refused, naming the host and the fact', () => {
    const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
    const session = sessionOf(inventory);
    const facts = recordedFacts('converged');
    // What every plan does, unchanged.
    expect(() => usingFacts(session, facts, (checked) => desiredResources(inventory, checked))).not.toThrow();
    const forgetful = () =>
      usingFacts(session, facts, (checked) => {
        desiredResources(inventory, checked);
        return [checked.get('ssh-pg1')?.files['/etc/cron.d/forgotten'], checked.get('ssh-backup1')?.postgres];
      });
    expect(forgetful).toThrow(BsyncError);
    expect(forgetful).toThrow(
      /not asked for:\n {2}ssh-pg1: file \/etc\/cron\.d\/forgotten\n {2}ssh-backup1: the postgres section/,
    );
  });

  it('asks for nothing a host does not read: no SSH keys without an ssh repository, no repository where no backup runs', () => {
    const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
    const backup = hostNeeds(inventory, inventory.hosts.find((host) => host.role === 'backup')!);
    const postgres = hostNeeds(inventory, inventory.hosts.find((host) => host.role === 'postgres')!);
    expect(backup.postgres).toBe(false);
    expect(backup.repos).toBe(true);
    expect(postgres.repos).toBe(false);
    expect(postgres.crontabs).toEqual([]);
    expect(backup.files.map((file) => file.path)).toContain('/home/backrest');
    // Private keys: known by existence only.
    expect(postgres.files.find((file) => file.path === '~postgres/.ssh/id_ed25519')?.readContent).toBe(false);
  });
});

describe('each part of a host reads only what it declares', () => {
  const pg1 = () => recordedFacts('converged').get('ssh-pg1')!;

  it('an adder that reads a fact its part leaves out stops the plan, naming the host, the part and the fact', () => {
    const forgetful = declarePart('a forgetful part', [read.file('/etc/declared'), read.user('postgres')], {
      add: (_out: HostResources, facts: HostFacts) => [
        facts.files['/etc/declared'],
        facts.users.postgres,
        facts.files['/etc/forgotten'],
        facts.crontabs.postgres,
        facts.postgres,
        facts.clock,
      ],
    });
    expect(() => forgetful.add(new HostResources('ssh-pg1'), pg1())).toThrow(
      'ssh-pg1: a forgetful part read facts it does not declare: file /etc/forgotten, crontab of postgres, the postgres section, the tlsServer section',
    );
  });

  it("a part's adders return what they add, and the host's probe asks for what the part declares", () => {
    const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
    const files = pgbackrestFilesPart('postgres');
    const out = new HostResources('ssh-pg1');
    expect(files.addDirs(out, pg1(), 'postgres')).toEqual({
      confDir: 'ssh-pg1.directory[/etc/pgbackrest]',
      logDir: 'ssh-pg1.directory[/var/log/pgbackrest]',
    });
    const asked = hostNeeds(inventory, inventory.hosts.find((host) => host.name === 'ssh-pg1')!);
    for (const { path } of files.reads.flatMap((part) => part.files ?? [])) {
      expect(asked.files.map((file) => file.path)).toContain(path);
    }
  });
});

/** A stand-in for the lab's GCS service account key (secrets/gcs_key.json). */
const SERVICE_KEY = JSON.stringify({
  client_email: 'bsync@bsync-lab.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----\n',
  token_uri: 'https://gcs.lab/token',
});

describe("every lab scenario's fact script is one valid shell script per host", () => {
  const dir = `${FIXTURES}lab/`;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.toml'))) {
    it(file, () => {
      // The lab's secret and CA files exist only on a machine with the lab up: stand-ins.
      const text = readFileSync(`${dir}${file}`, 'utf8')
        .replace(/\{ file = "[^"]+\.json" \}/g, '{ env = "SERVICE_KEY" }')
        .replace(/\{ file = "[^"]+" \}/g, '{ env = "SECRET" }')
        .replace(/ca_file = "[^"]+"/g, `ca_file = "${FIXTURES}good/example-ca.crt"`);
      const inventory = parseConfig(text, `${dir}${file}`, {
        SECRET: 'c2VjcmV0LXN0YW5kLWluLTAxMjM0NTY3ODk=',
        SERVICE_KEY,
      });
      for (const host of inventory.hosts) {
        const script = factsScript(probeContext(inventory, host, hostNeeds(inventory, host)), '0123456789abcdef');
        const check = spawnSync('/bin/sh', ['-n'], { input: script, encoding: 'utf8' });
        expect(check.stderr, `${file} ${host.name}`).toBe('');
        expect(check.status, `${file} ${host.name}`).toBe(0);
      }
    });
  }
});
