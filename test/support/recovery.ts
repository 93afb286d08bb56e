// What the recovery suites share: SQL on a lab host, a table written in two batches around
// a target time and its checksum, the timeline, and the checks after a restore.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { shq } from '../../lib/formats/shell.js';
import { bsync, FIXTURES, startBsync, type BsyncRun } from './bsync.js';
import { onHost, sh } from './lab.js';

export const psql = (host: string, sql: string) =>
  sh(host, `cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c ${shq(sql)}`);

/** What the table holds, as one checksum over every row in order. */
export const checksum = async (host: string) =>
  (
    await psql(host, `SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM restore_probe`)
  ).trim();

export const timeline = async (host: string) =>
  Number.parseInt((await psql(host, 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')).trim(), 16);

export async function converge(config: string): Promise<void> {
  const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
}

export async function expectNoChanges(config: string): Promise<void> {
  const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
  expect(plan.stdout + plan.stderr).toContain('No changes.');
  expect(plan.code).toBe(0);
}

/**
 * Writes batch A, takes the time, writes batch B (new rows and changed A rows): a
 * recovery to that time must give back exactly A. Returns the time and A's checksum.
 */
export async function twoBatches(host: string): Promise<{ target: string; first: string }> {
  await psql(host, 'DROP TABLE IF EXISTS restore_probe');
  await psql(host, 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
  await psql(host, 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
  const first = await checksum(host);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const target = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await psql(host, "INSERT INTO restore_probe SELECT g, 'B' FROM generate_series(5001, 6000) g");
  await psql(host, "UPDATE restore_probe SET v = 'changed' WHERE id % 7 = 0");
  expect(await checksum(host)).not.toBe(first);
  return { target, first };
}

/** ssh.toml with ssh-pg2 in zone 1 beside ssh-pg1 (and zone 2's backup host gone with its zone), written into `dir`. */
export function zoneOfTwo(dir: string): string {
  const file = join(dir, 'zone-of-two.toml');
  writeFileSync(
    file,
    readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
      .replace(/(name = "ssh-pg2"[\s\S]*?zone = )2/, '$11')
      .replace(/\[\[host\]\]\nname = "ssh-backup2"[\s\S]*$/, ''),
  );
  return file;
}

/**
 * Makes `standby` ready to come back from the repository as `primary`'s streaming replica,
 * as an operator has it: the replication role on the primary, the standby's server stopped
 * and its data gone, where its primary is in its own configuration.
 */
export async function wipeForStandby(primary: string, standby: string, major = 15): Promise<void> {
  await psql(
    primary,
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replica-secret'; END IF; END $$",
  );
  await sh(
    standby,
    `pg_ctlcluster --skip-systemctl-redirect ${major} main stop -m fast && rm -rf /var/lib/postgresql/${major}/main/* && printf '%s\\n' "primary_conninfo = 'host=${primary} port=5432 user=replicator password=replica-secret application_name=${standby}'" > /etc/postgresql/${major}/main/conf.d/standby.conf`,
  );
}

/** Waits up to 30 s for `standby` to stream from `primary`, and expects it does. */
export async function expectStreaming(primary: string, standby: string): Promise<void> {
  let streaming = '';
  for (let i = 0; i < 30 && streaming !== '1'; i += 1) {
    streaming = (
      await psql(
        primary,
        `SELECT count(*) FROM pg_stat_replication WHERE application_name = '${standby}' AND state = 'streaming'`,
      )
    ).trim();
    if (streaming !== '1') await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(streaming, `${standby} streams from ${primary}`).toBe('1');
}

/** Waits up to 30 s for `standby` to hold what `primary` holds now (the table's checksum), and expects it does. */
export async function expectReplayed(primary: string, standby: string): Promise<void> {
  const want = await checksum(primary);
  let seen = '';
  for (let i = 0; i < 30 && seen !== want; i += 1) {
    seen = await checksum(standby);
    if (seen !== want) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(seen, `${standby} replays ${primary}'s writes`).toBe(want);
}

/** How many backups of `stanza` run on `host` read a standby: pgBackRest logs the standby's replay then. */
export async function standbyReads(host: string, stanza: string): Promise<number> {
  const log = `/var/log/pgbackrest/${stanza}-backup.log`;
  return Number((await sh(host, `cat ${log} 2>/dev/null | grep -c 'replay on the standby reached' || true`)).trim());
}

export function restore(config: string, ...args: string[]): Promise<BsyncRun> {
  return bsync(['restore', '-c', config, ...args]);
}

export async function expectRestored(
  host: string,
  run: BsyncRun,
  first: string,
  timelineBefore: number,
  stanza = 'pgedge-lab-1',
): Promise<void> {
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
  expect(await checksum(host)).toBe(first);
  expect(await psql(host, 'SELECT pg_is_in_recovery()')).toBe('f\n');
  expect(await timeline(host)).toBeGreaterThan(timelineBefore);
  // Archiving goes on: the new timeline's WAL reaches the repository.
  await sh(host, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} check`);
}

/**
 * Runs bsync with `args` and kills it (SIGKILL) as soon as its progress says `started`,
 * then proves the kill landed there: that line was printed, `notYet` (the next step) was
 * not, and the apply's round under way never completed (`roundsBefore` rounds had).
 */
export async function killWhile(
  args: string[],
  started: string | RegExp,
  notYet?: string | RegExp,
  roundsBefore = 0,
): Promise<BsyncRun> {
  const has = (text: string, line: string | RegExp) =>
    typeof line === 'string' ? text.includes(line) : line.test(text);
  const running = startBsync(args);
  let seen = '';
  const reached = await new Promise<boolean>((resolve) => {
    running.child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (has(seen, started)) resolve(true);
    });
    running.child.on('close', () => resolve(false));
  });
  running.child.kill('SIGKILL');
  const killed = await running.done;
  expect(reached, `the run never started ${started}:\n${killed.stdout}${killed.stderr}`).toBe(true);
  expect(has(killed.stderr, started)).toBe(true);
  if (notYet) expect(has(killed.stderr, notYet), `${notYet} had started:\n${killed.stderr}`).toBe(false);
  // An apply of several rounds (a promotion, then the declared state) completes the rounds before the kill's.
  expect((killed.stdout + killed.stderr).split('Apply complete').length - 1).toBe(roundsBefore);
  return killed;
}

/**
 * Which of a group's kill points this run tries: BSYNC_RESTORE_KILLS=all tries every one,
 * BSYNC_RESTORE_KILLS=group:name,… replays a choice; otherwise `count` at random, printed
 * (as faults.test samples its kill points: the whole set over runs, a bounded CI time).
 */
export function killSample(group: string, names: string[], count: number): string[] {
  const asked = process.env.BSYNC_RESTORE_KILLS;
  const chosen =
    asked === 'all'
      ? names
      : asked
        ? asked
            .split(',')
            .filter((entry) => entry.startsWith(`${group}:`))
            .map((entry) => entry.slice(group.length + 1))
        : [...names].sort(() => Math.random() - 0.5).slice(0, count);
  const picked = names.filter((name) => chosen.includes(name));
  console.log(
    `${group} kills this run: BSYNC_RESTORE_KILLS=${picked.map((name) => `${group}:${name}`).join(',')} (every one: BSYNC_RESTORE_KILLS=all)`,
  );
  return picked;
}

/** Stops a clone (its postmaster killed) and removes its folder and everything beside it. */
export async function removeClone(host: string, path: string): Promise<void> {
  await onHost(
    host,
    `pid=$(head -n 1 ${path}/postmaster.pid 2>/dev/null); [ -z "$pid" ] || kill -9 "$pid"; sleep 1; rm -rf ${path} ${path}.tablespaces ${path}.spool ${path}.bsync-clone ${path}.lock`,
  );
}
