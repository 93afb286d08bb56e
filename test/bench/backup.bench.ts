// `npm run bench:backup`: pgBackRest's settings measured on the lab's Debian 13 hosts
// (trixie-pg1 with PostgreSQL 17, trixie-backup1 holding the repository, pgBackRest 2.55),
// in one run, side by side, for docs/performance.md:
//   (a) WAL archiving under a steady pgbench write load: archive-push one segment per
//       process (pgBackRest's default) against archive-async with process-max 2;
//   (b) a full backup of a database of about 1 GiB and an incremental after changes, with
//       gz, lz4 and zst, with and without repository bundling + block incremental;
//   (c) a delta restore and a full restore of the newest backup.
// It resets the trixie scenario first and leaves it converged with bsync.toml's defaults.
// BENCH_GENERATION=forky runs the same on the Debian testing hosts (forky-pg1 with PostgreSQL
// 18, forky-backup1, pgBackRest 2.60) for the table's second column.
// BENCH_SCALE (pgbench scale, default 70 = about 1.05 GiB) and BENCH_LOAD_SECONDS (default
// 60) make it shorter or longer.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lab from '../lab/lab.js';
import { root } from './measure.js';
import {
  type ArchiveBacklog,
  archiveBacklogCommand,
  archiveBacklogOf,
  backlogText,
  mib,
  on,
  seconds,
  table,
} from './lab-bench.js';

const GENERATION = process.env.BENCH_GENERATION === 'forky' ? 'forky' : 'trixie';
const MAJOR = GENERATION === 'forky' ? 18 : 17;
const PG = `${GENERATION}-pg1`;
const REPO = `${GENERATION}-backup1`;
const STANZA = `pgedge-${GENERATION}-1`;
const SCALE = Number(process.env.BENCH_SCALE ?? 70);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const DATA = `/var/lib/postgresql/${MAJOR}/main`;
const work = mkdtempSync(join(tmpdir(), 'bsync-bench-'));

const sql = async (query: string) =>
  (await on(PG, `cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c ${JSON.stringify(query)}`)).trim();
const asBackrest = (args: string) => on(REPO, `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} ${args}`);

function bsync(args: string[]): void {
  const run = spawnSync(process.execPath, [`${root}bin/bsync`, ...args], { encoding: 'utf8', env: process.env });
  if (run.status !== 0) throw new Error(`bsync ${args.join(' ')}: exit ${run.status}\n${run.stdout}${run.stderr}`);
}

/** fixtures/lab/<generation>.toml with `extra` TOML appended (pgbackrest tables). */
function config(name: string, extra: string): string {
  const file = join(work, `${name}.toml`);
  writeFileSync(file, `${readFileSync(`${root}fixtures/lab/${GENERATION}.toml`, 'utf8')}\n${extra}\n`);
  return file;
}

/** Busy share of the machine's CPUs (every lab host runs on this kernel) between two readings of /proc/stat. */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}
const busyShare = (from: ReturnType<typeof cpuTicks>, to: ReturnType<typeof cpuTicks>) =>
  `${Math.round((100 * (to.busy - from.busy)) / Math.max(1, to.total - from.total))}%`;

/** Segments waiting for archive_command now, and how long the oldest has waited. */
async function archiveBacklog(): Promise<ArchiveBacklog> {
  return archiveBacklogOf(await on(PG, archiveBacklogCommand(`${DATA}/pg_wal/archive_status`)));
}

/** Waits (at most `ms`) until no segment waits for archive_command. */
async function drained(ms: number): Promise<void> {
  const started = Date.now();
  while ((await archiveBacklog()).ready > 0 && Date.now() - started < ms)
    await new Promise((resolve) => setTimeout(resolve, 1000));
}

/** (a) pgbench for LOAD_SECONDS with the archiving settings of `extra`, then until the backlog drains (at most 120 s). */
async function archiving(name: string, extra: string): Promise<string[]> {
  console.error(`archiving: ${name}`);
  bsync(['apply', '-c', config(name, extra), '--yes', '--allow-restart']);
  // Each run starts with nothing waiting (pgbench -i and the run before leave a backlog).
  await sql('SELECT pg_switch_wal()');
  await drained(300_000);
  const startLsn = await sql('SELECT pg_current_wal_lsn()');
  const archivedBefore = Number(await sql('SELECT archived_count FROM pg_stat_archiver'));
  const cpu = cpuTicks();
  const started = Date.now();
  const load = on(
    PG,
    `cd / && runuser -u postgres -- pgbench -n -c 4 -j 2 -T ${LOAD_SECONDS} postgres 2>&1 | grep -E '^tps' || true`,
  );
  let worst: ArchiveBacklog = { ready: 0, oldest: null };
  while (Date.now() - started < LOAD_SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const now = await archiveBacklog();
    if (now.ready > worst.ready) worst = now;
  }
  const tps = (await load).trim().replace(/^tps = ([\d.]+).*/s, '$1');
  const cpuLoad = busyShare(cpu, cpuTicks());
  const produced = Number(await sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${startLsn}')`));
  const archived = Number(await sql('SELECT archived_count FROM pg_stat_archiver')) - archivedBefore;
  const atEnd = await archiveBacklog();
  const drainStarted = Date.now();
  await drained(120_000);
  return [
    name,
    Number(tps).toFixed(0),
    mib(produced),
    `${archived} (${mib(archived * 16 * 1048576)})`,
    backlogText(worst),
    backlogText(atEnd),
    seconds(Date.now() - drainStarted),
    cpuLoad,
  ];
}

interface InfoBackup {
  label: string;
  type: string;
  timestamp: { start: number; stop: number };
  info: { size: number; repository: { delta: number; size: number } };
}
async function newestBackup(): Promise<InfoBackup> {
  const info = JSON.parse(await asBackrest('--output=json info')) as Array<{ backup: InfoBackup[] }>;
  return info[0]!.backup.at(-1)!;
}

/** (b) a full backup, pgbench changes, an incremental: wall time and bytes the repository took for each. */
async function backups(name: string, options: string): Promise<string[]> {
  console.error(`backups: ${name}`);
  const full = Date.now();
  await asBackrest(`${options} --type=full backup`);
  const fullMs = Date.now() - full;
  const fullInfo = await newestBackup();
  await on(PG, 'cd / && runuser -u postgres -- pgbench -n -c 2 -j 2 -t 3000 postgres >/dev/null 2>&1');
  const incr = Date.now();
  await asBackrest(`${options} --type=incr backup`);
  const incrMs = Date.now() - incr;
  const incrInfo = await newestBackup();
  return [
    name,
    seconds(fullMs),
    mib(fullInfo.info.repository.delta),
    seconds(incrMs),
    mib(incrInfo.info.repository.delta),
    mib(incrInfo.info.size),
  ];
}

/** (c) the newest backup restored with --delta over the current data, then into an empty directory. */
async function restores(): Promise<string[][]> {
  const stop = `pg_ctlcluster --skip-systemctl-redirect ${MAJOR} main stop -m fast`;
  const start = `pg_ctlcluster --skip-systemctl-redirect ${MAJOR} main start`;
  const restore = async (how: string, prepare: string) => {
    await on(PG, `${stop}${prepare}`);
    const started = Date.now();
    await on(PG, `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} ${how} restore`);
    const ms = Date.now() - started;
    await on(PG, start);
    return ms;
  };
  const delta = await restore('--delta --type=immediate --target-action=promote', '');
  const full = await restore('--type=immediate --target-action=promote', ` && find ${DATA} -mindepth 1 -delete`);
  return [
    ['delta (data unchanged since the backup)', seconds(delta)],
    ['full (empty data directory)', seconds(full)],
  ];
}

async function main(): Promise<void> {
  const began = Date.now();
  await (GENERATION === 'forky' ? lab.upForky() : lab.upTrixie());
  await lab.reset(GENERATION);
  const base = config('base', '');
  bsync(['apply', '-c', base, '--yes', '--allow-restart']);
  const version = (await on(PG, 'pgbackrest version')).trim();
  console.log(
    `${new Date().toISOString()}: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${version}, PostgreSQL ${MAJOR}, pgbench scale ${SCALE}`,
  );
  await on(PG, `cd / && runuser -u postgres -- pgbench -i -q -s ${SCALE} postgres >/dev/null 2>&1`);
  console.log(`database: ${await sql("SELECT pg_size_pretty(pg_database_size('postgres'))")}`);

  const parts = process.env.BENCH_PARTS ?? 'abc';
  if (parts.includes('a')) await archivingTable();
  if (parts.includes('b')) await backupTable();
  if (parts.includes('c'))
    table('(c) restores of the newest backup (zst, bundle + block, incr)', ['restore', 'time'], await restores());
  bsync(['apply', '-c', base, '--yes', '--allow-restart']);
  console.log(`\nbench took ${seconds(Date.now() - began)}`);
}

async function archivingTable(): Promise<void> {
  const archiveRows = [
    await archiving('one process per segment, gz (pgBackRest defaults)', ''),
    await archiving('one process per segment, zst', '[pgbackrest.global]\ncompress-type = "zst"'),
    await archiving(
      'archive-async, process-max 2, zst',
      '[pgbackrest.global]\ncompress-type = "zst"\narchive-async = true\n\n[pgbackrest."global:archive-push"]\nprocess-max = 2',
    ),
  ];
  table(
    `(a) WAL archiving under pgbench -c 4 for ${LOAD_SECONDS} s`,
    [
      'settings',
      'tps',
      'WAL written',
      'segments archived',
      'worst backlog (ready / oldest)',
      'backlog at end',
      'drained in',
      'machine CPU busy',
    ],
    archiveRows,
  );
  bsync(['apply', '-c', config('base', ''), '--yes', '--allow-restart']);
}

async function backupTable(): Promise<void> {
  const backupRows: string[][] = [];
  for (const compress of ['gz', 'lz4', 'zst'])
    for (const [label, flags] of [
      ['', ''],
      [', bundle + block', ' --repo1-bundle --repo1-block'],
    ])
      backupRows.push(await backups(`${compress}${label}`, `--compress-type=${compress}${flags}`));
  backupRows.push(
    await backups(
      'zst, bundle + block, process-max 2',
      '--compress-type=zst --repo1-bundle --repo1-block --process-max=2',
    ),
  );
  table(
    '(b) backups (aes-256-cbc on, one process unless said)',
    ['settings', 'full', 'full in repo', 'incr after pgbench -t 3000', 'incr in repo', 'database size'],
    backupRows,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
