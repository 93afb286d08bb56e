// Diagnostics are values (lib/diagnostics.ts): planning returns a host's error beside what it
// could plan, and each caller judges it. The declared state fails as it always did; a restore
// takes the error of a host that is down, since the restore is what brings it back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredState } from '../../lib/desired/index.js';
import { Diagnostics, diagnosticOf, errorOf, warning } from '../../lib/diagnostics.js';
import { BsyncError, ConfigError, HostError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { planFromFacts } from '../../lib/operations/declared.js';
import { restoreSetup } from '../../lib/operations/restore.js';
import { planRestore } from '../../lib/recovery/restore.js';
import { diagnosticLine } from '../../lib/views/diagnostics.js';
import { describeError, errorJson } from '../../lib/views/error.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';
import { sessionOf } from '../support/sessions.js';

const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);

/** The recorded converged hosts, ssh-pg1's server stopped (a restore in place stops it). */
function pg1Down(): Map<string, HostFacts> {
  const all = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  all.set('ssh-pg1', { ...all.get('ssh-pg1')!, postgres: { ...all.get('ssh-pg1')!.postgres!, running: false } });
  return all;
}

describe('planning returns errors as values beside the partial plan', () => {
  it('a host that is down is an error diagnostic naming it; the hosts that could be planned still are', () => {
    const { resources, diagnostics } = desiredState(inventory, pg1Down());
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        host: 'ssh-pg1',
        message: expect.stringMatching(/^PostgreSQL does not answer on port 5432/),
      }),
    ]);
    const hosts = new Set(resources.map((resource) => resource.host));
    expect(hosts.has('ssh-pg1')).toBe(false);
    // Its zone's backup host and the other zone are planned all the same.
    expect(hosts.has('ssh-backup1')).toBe(true);
    expect(hosts.has('ssh-pg2')).toBe(true);
    // With every server up there is nothing to say.
    const up = pg1Down();
    up.set('ssh-pg1', { ...up.get('ssh-pg1')!, postgres: { ...up.get('ssh-pg1')!.postgres!, running: true } });
    expect(desiredState(inventory, up).diagnostics).toEqual([]);
  });

  it('the declared state fails with that error as before; a restore of the down host plans on', () => {
    const [error] = desiredState(inventory, pg1Down()).diagnostics;
    expect(() => planFromFacts(sessionOf(inventory), pg1Down())).toThrow(errorOf(error));
    expect(() => planFromFacts(sessionOf(inventory), pg1Down())).toThrow(HostError);
    const setup = restoreSetup(inventory, pg1Down(), (host) => host === 'ssh-pg1');
    expect(setup).toBeUndefined();
    // ... and the restore of the stopped server is planned: restored and started, nothing to stop.
    const restore = planRestore({
      inventory,
      facts: pg1Down(),
      request: { zone: 1, target: { type: 'latest' }, delta: true, targetAction: 'promote', allowOverwrite: false },
      setup,
      space: { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 },
      now: Date.parse('2026-12-03T00:00:00Z'),
    });
    const kinds = restore.resources.map((resource) => resource.kind);
    expect(kinds).toContain('pg_restore');
    expect(kinds).not.toContain('pg_stop');
    // Another host's restore cannot: the error is not about a host it brings back.
    expect(() => restoreSetup(inventory, pg1Down(), (host) => host === 'ssh-pg2')).toThrow(errorOf(error).message);
  });
});

describe('a diagnostic gives back the error it was made from', () => {
  const errors = [
    new HostError('pg1', 'PostgreSQL does not answer', { hint: 'start it' }),
    new HostError('pg1', 'no hint'),
    new BsyncError('bad value', { where: 'bsync.toml: repo.path', hint: 'fix it' }),
    new BsyncError('pg1 runs pgBackRest 2.40', { where: 'bsync.toml', hosts: ['pg1'] }),
    new BsyncError('nowhere'),
  ];
  for (const error of errors) {
    it(`${error.name}: ${error.message}`, () => {
      const diagnostic = diagnosticOf(error)!;
      expect(diagnostic.severity).toBe('error');
      const back = errorOf(diagnostic);
      expect(back.constructor).toBe(error.constructor);
      expect(describeError(back)).toBe(describeError(error));
      expect(errorJson(back)).toEqual(errorJson(error));
    });
  }

  it('an error it could not give back as it was is not collected: it goes on up', () => {
    const collector = new Diagnostics();
    const subclass = new ConfigError('bad', { where: 'bsync.toml' });
    expect(() =>
      collector.attempt(() => {
        throw subclass;
      }),
    ).toThrow(subclass);
    expect(() =>
      collector.attempt(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
    expect(() =>
      collector.attempt(() => {
        throw new BsyncError('two', { hosts: ['a', 'b'] });
      }),
    ).toThrow('two');
    expect(collector.attempt(() => 7)).toBe(7);
    expect(collector.list).toEqual([]);
  });
});

describe('a diagnostic as a line for the person watching', () => {
  it('its severity first, then the config place or the host, the hint below', () => {
    expect(diagnosticLine(warning('two backups at one minute'))).toBe('warning: two backups at one minute');
    expect(diagnosticLine({ severity: 'note', host: 'pg1', message: 'is down', hint: 'the restore starts it' })).toBe(
      'note: pg1: is down\n  the restore starts it',
    );
    expect(diagnosticLine({ severity: 'error', host: 'pg1', where: 'bsync.toml', message: 'too old' })).toBe(
      'error: bsync.toml: too old',
    );
  });
});
