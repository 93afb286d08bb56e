// Issue 33: a restore, a clone and a verify run pgBackRest with the host's cores (the server
// is down, or the copy is bsync's own), unless the config sets process-max; the plan shows
// the value and where it came from. On recorded facts of the converged ssh scenario.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { backupProcesses, processesFor } from '../../lib/desired/processes.js';
import { planBackup } from '../../lib/recovery/backup.js';
import { osProbe } from '../../lib/facts/os.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { planClone } from '../../lib/recovery/clone.js';
import { planRestore } from '../../lib/recovery/restore.js';
import { verifyScript } from '../../lib/verify/script.js';
import { verifyPlans } from '../../lib/verify/targets.js';
import { cloneRequest } from '../support/requests.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

const PLENTY = { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 };
const NOW = Date.parse('2026-12-03T00:00:00Z');

function facts(cpus?: number): Map<string, HostFacts> {
  const all = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
  // The recordings hold the lab's cores; undefined: a host that did not tell.
  for (const host of Object.values(all)) {
    if (cpus === undefined) delete host.os.cpus;
    else host.os.cpus = cpus;
  }
  return new Map(Object.entries(all));
}

const inventoryWith = (options = '') => parseConfig(`${SSH_CONFIG}\n${options}`, `${FIXTURES}lab/ssh.toml`, ENV);

function restoreOf(cpus?: number) {
  const inventory = inventoryWith();
  const all = facts(cpus);
  const plan = planRestore({
    inventory,
    facts: all,
    request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: true },
    setup: desiredResources(inventory, all),
    space: PLENTY,
    now: NOW,
  });
  const change = plan.resources.find((resource) => resource.kind === 'pg_restore')!.change!;
  return {
    command: change.steps.find((step) => step.command.startsWith('flock '))!.command,
    shown: change.fields!.find((field) => field.name === 'processes')?.after,
  };
}

describe('process-max where bsync runs pgBackRest with the host to itself', () => {
  it('the os probe reads the cores and memory, and the boundary takes them', () => {
    const { os } = osProbe.parse('debian|12|\nsystemd\n16|65843012\n', {} as never);
    expect(os).toMatchObject({ cpus: 16, memoryBytes: 65843012 * 1024 });
    expect(osProbe.parse('debian|12|\nsystemd\nx|\n', {} as never).os).not.toHaveProperty('cpus');
    const host = facts().get('ssh-pg1')!;
    expect(() => typedFacts({ ...host, os: os! })).not.toThrow();
    expect(() => typedFacts({ ...host, os: { ...os!, cpus: 0 } })).toThrow(/os\.cpus/);
  });

  it("a restore takes the host's cores, and says so", () => {
    const { command, shown } = restoreOf(2);
    expect(command).toContain('--process-max=2 ');
    expect(shown).toBe("2 (the host's 2 cores)");
    expect(restoreOf(64).command).toContain('--process-max=64 ');
  });

  it('process-max in the config wins: pgBackRest reads it, bsync adds nothing, the plan names the table', () => {
    const host = facts(8).get('ssh-pg1');
    const global = processesFor(inventoryWith('[pgbackrest.global]\nprocess-max = 3\n'), 'restore', host);
    expect(global.options).toEqual([]);
    expect(global.field.after).toBe('3 (process-max in [pgbackrest.global])');
    const forRestore = processesFor(inventoryWith('[pgbackrest."global:restore"]\nprocess-max = 5\n'), 'restore', host);
    expect(forRestore.options).toEqual([]);
    expect(forRestore.field.after).toBe('5 (process-max in [pgbackrest."global:restore"])');
    // A command section for another command does not count.
    const forBackup = processesFor(inventoryWith('[pgbackrest."global:backup"]\nprocess-max = 5\n'), 'restore', host);
    expect(forBackup.options).toEqual(['--process-max=8']);
  });

  it("a host that did not tell its cores gets pgBackRest's default, said in the plan", () => {
    const { command, shown } = restoreOf();
    expect(command).not.toContain('--process-max');
    expect(shown).toContain("pgBackRest's default");
  });

  it('a clone and a verify take the cores of the host they restore on', () => {
    const inventory = inventoryWith();
    const clone = planClone({
      inventory,
      facts: facts(4),
      request: cloneRequest('ssh-backup1'),
      space: PLENTY,
      now: NOW,
    });
    const restore = clone.resources.find((resource) => resource.kind === 'clone_restore')!.change!;
    expect(restore.steps[0].command).toContain('--process-max=4 ');
    expect(restore.fields).toContainEqual({ name: 'processes', after: "4 (the host's 4 cores)" });
    const [verify] = verifyPlans(inventory, facts(6), { recoveryPoint: false });
    expect('job' in verify && verifyScript(verify.job)).toContain('--process-max=6');
  });

  it("a backup reads with a quarter of the fewest cores of the zone's PostgreSQL hosts, pgBackRest's 1 below 8", () => {
    const inventory = inventoryWith();
    const cronLine = (all: Map<string, HostFacts>) => {
      const crontab = desiredResources(inventory, all).find(
        (resource) => resource.host === 'ssh-backup1' && resource.kind === 'crontab',
      );
      return JSON.stringify(crontab?.change ?? crontab);
    };
    const two = facts(2);
    expect(backupProcesses(inventory, [two.get('ssh-pg1')]).options).toEqual([]);
    expect(backupProcesses(inventory, [two.get('ssh-pg1')]).field.after).toBe(
      "pgBackRest's default, 1 (a quarter of the 2 cores of the hosts it reads)",
    );
    const mixed = facts(16);
    mixed.get('ssh-pg2')!.os.cpus = 12;
    const choice = backupProcesses(inventory, [mixed.get('ssh-pg1'), mixed.get('ssh-pg2')]);
    expect(choice.options).toEqual(['--process-max=3']);
    expect(choice.field.after).toBe('3 (a quarter of the 12 cores of the hosts it reads)');
    expect(backupProcesses(inventory, [facts(64).get('ssh-pg1'), facts().get('ssh-pg2')]).field.after).toContain(
      'did not tell its cores',
    );
    // The scheduled jobs and an on-demand backup carry it; the config's process-max wins.
    const planned = planBackup(inventory, facts(16), { zone: 1, type: 'full' });
    expect(planned.resources[0].change!.steps[0].command).toContain(' --process-max=4 --type=full backup');
    const set = inventoryWith('[pgbackrest."global:backup"]\nprocess-max = 2\n');
    expect(backupProcesses(set, [facts(64).get('ssh-pg1')])).toMatchObject({ options: [] });
    expect(backupProcesses(set, [facts(64).get('ssh-pg1')]).field.after).toBe(
      '2 (process-max in [pgbackrest."global:backup"])',
    );
    expect(cronLine(facts(2))).not.toContain('--process-max');
    expect(cronLine(facts(16))).toContain('--process-max=4 --type=full backup');
  });
});
