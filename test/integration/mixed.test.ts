// A mixed fleet (issue 30): one config, fixtures/lab/mixed.toml, whose zones run pgBackRest
// 2.45 (Debian 12, PostgreSQL 15), 2.55 (Debian 13, PostgreSQL 17) and 2.60 (Debian
// testing, PostgreSQL 18) side by side, with no pg_version: it converges, backs up in every
// zone and plans No changes; an option only 2.59 and later have is refused for the 2.45
// host by name, and taken for a 2.60 host.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { upForky, upTrixie } from '../lab/lab.js';
import { converge, expectNoChanges } from '../support/recovery.js';

const MIXED = `${FIXTURES}lab/mixed.toml`;
const ZONES = [
  { zone: 1, backup: 'multi-backup1', release: /^2\.45/, pg: '15' },
  { zone: 2, backup: 'trixie-backup1', release: /^2\.55/, pg: '17' },
  { zone: 3, backup: 'forky-backup1', release: /^2\.(59|[6-9]\d)/, pg: '18' },
];
const work = mkdtempSync(join(tmpdir(), 'bsync-mixed-'));
/** An option pgBackRest has from 2.59 on, in every host's [global]. */
const BATCH = '\n[pgbackrest.global]\narchive-push-batch-size = "8MiB"\n';

describe('a mixed fleet: pgBackRest 2.45, 2.55 and 2.60 in one config', () => {
  beforeAll(async () => {
    await upTrixie();
    await upForky();
    for (const scenario of ['multi', 'trixie', 'forky'] as const) await resetScenario(scenario);
  }, 900_000);

  it('converges, backs up in every zone, and plans No changes', async () => {
    expect(readFileSync(MIXED, 'utf8')).not.toMatch(/pg_version/);
    await converge(MIXED);
    for (const { zone } of ZONES) {
      const run = await bsync(['backup', '-c', MIXED, '--zone', String(zone), '--type', 'diff']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    for (const { zone, backup, release, pg } of ZONES) {
      const info = JSON.parse(
        await sh(backup, `cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-mixed-${zone} --output=json info`),
      );
      expect(info[0].backup.map((set: { type: string }) => set.type)).toEqual(['full', 'diff']);
      expect(info[0].backup[1].backrest.version).toMatch(release);
      expect(info[0].db[0].version).toBe(pg);
    }
    await expectNoChanges(MIXED);
  }, 900_000);

  it("judges an option by each host's own release: refused for 2.45 by name, taken for 2.60", async () => {
    const mixed = join(work, 'mixed-batch.toml');
    writeFileSync(mixed, readFileSync(MIXED, 'utf8') + BATCH);
    const refused = await bsync(['plan', '-c', mixed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'pgbackrest.global.archive-push-batch-size: host multi-pg1 runs pgBackRest 2.45: 2.45 does not have archive-push-batch-size (pgBackRest 2.59 has it)',
    );
    const forky = join(work, 'forky-batch.toml');
    writeFileSync(forky, readFileSync(`${FIXTURES}lab/forky.toml`, 'utf8') + BATCH);
    const taken = await bsync(['plan', '-c', forky]);
    expect(taken.code, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stdout).toContain('archive-push-batch-size');
  }, 300_000);
});
