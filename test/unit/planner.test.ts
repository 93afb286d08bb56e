// The planner on facts recorded from the lab's ssh scenario (fixtures/facts/, made by
// test/support/record-facts.ts): order, no-op on converged hosts, known-after-apply values,
// and the cipher passphrase rules. No network.
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

// The values test/support/record-facts.ts put in place of the lab's secrets.
const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';

function inventory(cipher: string = CIPHER): Inventory {
  const text = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
    .replace(/cipher_pass = \{ file = "[^"]+" \}/, cipher === 'auto' ? 'cipher_pass = "auto"' : 'cipher_pass = { env = "CIPHER" }')
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');
  return parseConfig(text, `${FIXTURES}lab/ssh.toml`, { CIPHER: cipher, PASSWORD });
}

function facts(state: 'fresh' | 'converged'): Map<string, HostFacts> {
  return new Map(Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>));
}

function plan(inv: Inventory, hostFacts: Map<string, HostFacts>) {
  return buildPlan(inv, inv.hosts.map((host) => host.name), desiredResources(inv, hostFacts)).plan;
}

const indexOf = (addresses: string[], address: string) => {
  const index = addresses.indexOf(address);
  expect(index, `${address} is in the plan`).toBeGreaterThanOrEqual(0);
  return index;
};

describe('planning a fresh scenario', () => {
  const fresh = plan(inventory(), facts('fresh'));
  const order = fresh.actions.map((action) => action.address);

  it('changes every host', () => {
    expect(new Set(fresh.actions.map((action) => action.host))).toEqual(new Set(['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2']));
    expect(fresh.summary).toEqual({ add: 40, change: 10, remove: 4, conflict: 0 });
  });

  it('orders actions across hosts by what they need', () => {
    expect(indexOf(order, 'ssh-pg1.ssh_keypair[postgres]')).toBeLessThan(indexOf(order, 'ssh-backup1.authorized_keys[backrest]'));
    expect(indexOf(order, 'ssh-backup1.authorized_keys[backrest]')).toBeLessThan(indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'));
    expect(indexOf(order, 'ssh-backup1.ssh_keypair[backrest]')).toBeLessThan(indexOf(order, 'ssh-pg1.authorized_keys[postgres]'));
    expect(indexOf(order, 'ssh-pg1.authorized_keys[postgres]')).toBeLessThan(indexOf(order, 'ssh-backup1.stanza[pgedge-lab-1]'));
    expect(indexOf(order, 'ssh-backup1.stanza[pgedge-lab-1]')).toBeLessThan(indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'));
    expect(indexOf(order, 'ssh-pg1.pg_restart')).toBeLessThan(indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'));
    expect(indexOf(order, 'ssh-backup1.os_user[backrest]')).toBeLessThan(indexOf(order, 'ssh-backup1.ssh_dir[backrest]'));
    const firstBackup = fresh.actions.find((action) => action.address === 'ssh-backup1.first_backup[pgedge-lab-1]')!;
    expect(firstBackup.dependsOn).toEqual(expect.arrayContaining(['ssh-backup1.stanza[pgedge-lab-1]', 'ssh-pg1.pg_restart', 'ssh-pg1.pg_reload']));
    expect(firstBackup.dependsOn.some((dep) => dep.startsWith('ssh-pg2'))).toBe(false);
    for (const [index, action] of fresh.actions.entries()) {
      for (const dep of action.dependsOn) expect(indexOf(order, dep), `${dep} before ${action.address}`).toBeLessThan(index);
    }
  });

  it('shows keys that do not exist yet as known after apply, and secrets as (sensitive)', () => {
    const text = renderPlanText(fresh, { color: false });
    expect(text).toContain('(known after apply: public key of postgres@ssh-pg1) bsync:postgres@ssh-pg1');
    expect(text).toContain('repo1-cipher-pass=(sensitive)');
    expect(text).not.toContain(CIPHER);
    expect(text).not.toContain(PASSWORD);
    expect(JSON.stringify(fresh)).not.toContain(CIPHER);
    expect(fresh.actions.find((action) => action.address === 'ssh-pg1.pg_restart')?.requiresRestart).toBe(true);
  });
});

describe('planning a converged scenario', () => {
  it('plans nothing', () => {
    const converged = plan(inventory(), facts('converged'));
    expect(converged.actions).toEqual([]);
    expect(renderPlanText(converged, { color: false })).toBe('No changes. 4 hosts match ssh.toml.\n');
  });

  it('plans exactly the resource whose facts changed', () => {
    const changed = facts('converged');
    const backup = changed.get('ssh-backup1')!;
    backup.crontabs.backrest = backup.crontabs.backrest!.split('\n').filter((line) => !line.includes('bsync:diff')).join('\n');
    const drift = plan(inventory(), changed);
    expect(drift.actions.map((action) => action.address)).toEqual(['ssh-backup1.crontab[backrest]']);
    expect(drift.actions[0].diff).toContain('+10 0 * * 1-6 pgbackrest --stanza=pgedge-lab-1 --type=diff backup # bsync:diff:pgedge-lab-1');
  });

  it('makes the same decisions twice, and fingerprints differ only with the plan key', () => {
    const changed = facts('converged');
    changed.get('ssh-pg1')!.postgres!.settings.archive_command.setting = '/bin/true';
    const inv = inventory();
    const one = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'a'.repeat(32)).plan;
    const two = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'a'.repeat(32)).plan;
    const other = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'b'.repeat(32)).plan;
    expect(one.actions.map((action) => action.fingerprint)).toEqual(two.actions.map((action) => action.fingerprint));
    expect(one.actions[0].fingerprint).not.toBe(other.actions[0].fingerprint);
  });
});

describe('the cipher passphrase', () => {
  it('refuses to change the passphrase of a repository that holds backups', () => {
    expect(() => plan(inventory('a-different-passphrase-000'), facts('converged'))).toThrow(BsyncError);
    expect(() => plan(inventory('a-different-passphrase-000'), facts('converged'))).toThrow(/differs from the passphrase of a repository that already holds the stanza/);
  });

  it('"auto" adopts the passphrase the hosts share: nothing to change', () => {
    expect(plan(inventory('auto'), facts('converged')).actions).toEqual([]);
  });

  it('"auto" with no passphrase anywhere generates one during apply, before any config that needs it', () => {
    const fresh = plan(inventory('auto'), facts('fresh'));
    const order = fresh.actions.map((action) => action.address);
    const generator = indexOf(order, 'ssh-backup1.cipher_pass[pgedge-lab-1]');
    expect(generator).toBeLessThan(indexOf(order, 'ssh-pg1.pgbackrest_conf'));
    expect(generator).toBeLessThan(indexOf(order, 'ssh-backup1.pgbackrest_conf'));
    expect(renderPlanText(fresh, { color: false })).toContain('repo1-cipher-pass=(sensitive, known after apply)');
  });
});

describe('an HA config', () => {
  function haInventory(): Inventory {
    const text = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
      .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
      .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }')
      .replace('[schedule]', '[patroni]\nconfig = "/etc/patroni/patroni.yml"\n\n[schedule]')
      .replace(/\[\[host\]\]\nname = "ssh-backup1"[^[]*/, '')
      .replace('name = "ssh-backup2"', 'name = "ssh-backup1"')
      .replace('zone = 2', 'zone = 1').replace('zone = 2', 'zone = 1');
    return parseConfig(text, `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD });
  }

  it('refuses a zone where only some hosts are Patroni members', () => {
    const hostFacts = facts('converged');
    hostFacts.get('ssh-pg1')!.patroni = { scope: 'x', dynamic: { postgresql: {} }, members: [], errors: [] };
    hostFacts.get('ssh-pg2')!.patroni = { scope: '', dynamic: null, members: [], errors: ['patronictl: no such file'] };
    const inv = haInventory();
    expect(inv.hosts.filter((host) => host.role === 'postgres').map((host) => host.zone)).toEqual([1, 1]);
    expect(() => plan(inv, hostFacts)).toThrow(/zone 1 mixes Patroni members \(ssh-pg1\) with hosts Patroni does not manage \(ssh-pg2\)/);
  });

  it('names a host whose Patroni does not answer', () => {
    const hostFacts = facts('converged');
    for (const name of ['ssh-pg1', 'ssh-pg2']) hostFacts.get(name)!.patroni = { scope: '', dynamic: null, members: [], errors: ['connection refused'] };
    expect(() => plan(haInventory(), hostFacts)).toThrow(/Patroni does not answer: connection refused/);
  });
});
