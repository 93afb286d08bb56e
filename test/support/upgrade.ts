// A major upgrade as docs/recovery.md walks it, shared by the generations' suites (15 to 17
// in trixie.test, 17 to 18 in forky.test): the old server's stanza in the lab's bucket, a
// dump of it restored into the new server on a host of the next generation, the old one
// stopped; the new server's first apply stops at the stanza of the old database, the plan
// then names both databases, and the apply after runs stanza-upgrade and a full backup of
// the new one beside the old one's.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { bigIdsAsText } from '../../lib/facts/repo.js';
import { sshRun } from '../lab/lab.js';
import { bsync, FIXTURES } from './bsync.js';
import { sh } from './lab.js';
import { checksum, converge, expectNoChanges, psql } from './recovery.js';

export interface UpgradeSide {
  host: string;
  address: string;
  version: number;
}

/** s3.toml for cluster `name` in the bucket's /`name`, with zone 1 on one host only. */
function upgradeConfig(name: string, side: UpgradeSide): string {
  const base = readFileSync(`${FIXTURES}lab/s3.toml`, 'utf8');
  const head = base.slice(0, base.indexOf('[[host]]'));
  const text = `${head
    .replace('name = "lab"', `name = "${name}"`)
    .replace('pg_version = 15', `pg_version = ${side.version}`)
    .replace('path = "/bsync"', `path = "/${name}"`)
    // Two fulls kept: the old database's stays beside the new one's (with 1 it would expire).
    .replace('retention = { full = 1, diff = 6 }', 'retention = { full = 2, diff = 6 }')}[[host]]
name = "${side.host}"
address = "${side.address}"
role = "postgres"
zone = 1
pg_data = "/var/lib/postgresql/${side.version}/main"
pg_port = 5432
`;
  const file = join(tmpdir(), `bsync-${name}-${side.version}.toml`);
  writeFileSync(file, text);
  return file;
}

/** The whole upgrade of cluster `name` from `from` to `to`, checked at each step. */
export async function majorUpgrade(name: string, from: UpgradeSide, to: UpgradeSide): Promise<void> {
  const stanza = `pgedge-${name}-1`;
  // System identifiers are read as text: a JavaScript number would round them.
  const infoOn = async (host: string) =>
    JSON.parse(
      bigIdsAsText(await sh(host, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} --output=json info`)),
    )[0];
  const old = upgradeConfig(name, from);
  await converge(old);
  await psql(from.host, 'DROP TABLE IF EXISTS restore_probe');
  await psql(from.host, 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
  await psql(from.host, 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
  const written = await checksum(from.host);
  const before = await infoOn(from.host);
  expect(before.db.map((db: { version: string }) => db.version)).toEqual([String(from.version)]);

  const dump = await sh(from.host, 'cd / && runuser -u postgres -- pg_dump -Fp --no-owner postgres');
  await psql(to.host, 'DROP TABLE IF EXISTS restore_probe');
  // On stdin: a dump is larger than a command line may be.
  const restored = await sshRun(
    to.host,
    'cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres',
    dump,
  );
  expect(restored.code, restored.stderr).toBe(0);
  expect(await checksum(to.host)).toBe(written);
  await sh(from.host, `pg_ctlcluster ${from.version} main stop`);

  const upgraded = upgradeConfig(name, to);
  // The new server has no pgbackrest.conf yet, so it cannot ask the bucket: the first
  // apply sets it up, and its stanza-create meets the old database's stanza and stops
  // there, saying what comes next; nothing is written into the stanza.
  const first = await bsync(['apply', '-c', upgraded, '--yes', '--allow-restart']);
  expect(first.code).toBe(1);
  expect(first.stdout + first.stderr).toContain('bsync plan now shows stanza-upgrade naming both');
  expect((await infoOn(to.host)).db.map((db: { version: string }) => db.version)).toEqual([String(from.version)]);
  const plan = await bsync(['plan', '-c', upgraded]);
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  const systemId = (await psql(to.host, 'SELECT system_identifier FROM pg_control_system()')).trim();
  expect(plan.stdout).toContain(
    `database: PostgreSQL ${from.version} (system identifier ${before.db[0]['system-id']}) -> PostgreSQL ${to.version} (system identifier ${systemId})`,
  );
  expect(plan.stdout).toContain('after stanza-upgrade the stanza holds no backup of the new database yet');
  await converge(upgraded);
  await expectNoChanges(upgraded);

  await sh(to.host, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} check`);
  const after = await infoOn(to.host);
  expect(after.db.map((db: { id: number; version: string }) => `${db.id}:${db.version}`)).toEqual([
    `1:${from.version}`,
    `2:${to.version}`,
  ]);
  const fulls = after.backup.map((set: { type: string; database: { id: number } }) => `${set.type}@${set.database.id}`);
  expect(fulls).toEqual(['full@1', 'full@2']);
  expect(await checksum(to.host)).toBe(written);
}
