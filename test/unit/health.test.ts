// What plan reports as a problem beyond drift, on recorded facts of the lab's converged ssh
// scenario: WAL archiving that fails now on a zone's primary (and only then), and which
// first backups wait for `pgbackrest check` (one repository) or not (several).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { healthProblems } from '../../lib/plan/health.js';
import { planFirstBackup } from '../../lib/resources/stanza.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

const inventory = parseConfig(SSH_CONFIG, `${FIXTURES}lab/ssh.toml`, ENV);
const HOSTS = inventory.hosts.map((host) => host.name);

function facts(edit: (pg1: HostFacts) => void): Map<string, HostFacts> {
  const all = new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
  edit(all.get('ssh-pg1')!);
  return all;
}

/** The recorded archiver, its last attempt `failedAt` seconds after its last success (negative: before). */
const archiver = (failedAt: number | null) => (pg1: HostFacts) => {
  const recorded = pg1.postgres!.archiver!;
  pg1.postgres!.archiver = {
    ...recorded,
    failedCount: failedAt === null ? 0 : 3,
    lastFailedWal: failedAt === null ? null : '000000010000000000000007',
    lastFailedTime: failedAt === null ? null : recorded.lastArchivedTime! + failedAt,
  };
};

describe('plan health: WAL archiving', () => {
  it('the last attempt failed after the last success: a problem on the primary, naming the segment and both times', () => {
    const problems = healthProblems(inventory, facts(archiver(0.5)), HOSTS);
    expect(problems).toHaveLength(1);
    expect(problems[0].host).toBe('ssh-pg1');
    expect(problems[0].message).toMatch(
      /^WAL archiving into stanza pgedge-lab-1 fails: 000000010000000000000007 failed at 2026-\S+Z \(3 failures since the statistics were reset\), the last WAL archived was 000000010000000000000002\.00000028\.backup at 2026-\S+Z/,
    );
  });

  it('a failure followed by a success, no failure at all, or a host not planned: no problem', () => {
    expect(healthProblems(inventory, facts(archiver(-1)), HOSTS)).toEqual([]);
    expect(healthProblems(inventory, facts(archiver(null)), HOSTS)).toEqual([]);
    expect(healthProblems(inventory, facts(archiver(5)), ['ssh-backup1'])).toEqual([]);
  });

  it("another archive_command's failures are not bsync's setup failing: the plan replaces that command", () => {
    const other = facts((pg1) => {
      archiver(5)(pg1);
      pg1.postgres!.settings.archive_command = { ...pg1.postgres!.settings.archive_command!, setting: '/bin/false' };
    });
    expect(healthProblems(inventory, other, HOSTS)).toEqual([]);
  });
});

describe('a first backup and pgbackrest check', () => {
  const commands = (several: boolean) =>
    planFirstBackup({ stanza: 's', pgbackrest: 'pgbackrest' }, 'backrest', undefined, 2, several)!.steps.map(
      (step) => step.command,
    );

  it('with one repository, check runs first; with several, the backup alone (check would wait on every repository)', () => {
    expect(commands(false)).toEqual([
      'pgbackrest --stanza=s --log-level-console=warn check',
      'pgbackrest --stanza=s --log-level-console=warn --type=full backup',
    ]);
    expect(commands(true)).toEqual(['pgbackrest --stanza=s --repo=2 --log-level-console=warn --type=full backup']);
  });
});
