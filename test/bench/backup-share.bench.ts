// `npm run bench:backup-share`: what a backup's processes cost the primary's workload, on the
// lab's ssh scenario (ssh-pg1, PostgreSQL 15, the backup run from ssh-backup1, pgBackRest
// 2.45, zst + aes-256-cbc). A pgbench read-write load runs BENCH_LOAD_SECONDS (default 40) on
// the primary: alone, then beside a full backup with process-max 1 and 2. The table gives
// the load's transactions per second and the backup's time, for docs/performance.md's
// choice of how many of a primary's cores a backup takes.
// BENCH_SCALE (pgbench scale, default 30, about 450 MiB).
import * as lab from '../lab/lab.js';
import { on, seconds, table } from './lab-bench.js';

const PG = 'ssh-pg1';
const REPO = 'ssh-backup1';
const STANZA = 'pgedge-lab-1';
const SCALE = Number(process.env.BENCH_SCALE ?? 30);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 40);
const CONFIG = new URL('../../fixtures/lab/ssh.toml', import.meta.url).pathname;

const asPostgres = (command: string) => `cd / && runuser -u postgres -- ${command}`;

/** pgbench's tps over LOAD_SECONDS, and the time of what `beside` runs meanwhile (started 3 s in). */
async function load(beside?: () => Promise<void>): Promise<{ tps: number; besideMs?: number }> {
  const bench = on(PG, asPostgres(`pgbench -c 4 -j 2 -T ${LOAD_SECONDS} -n postgres`));
  let besideMs: number | undefined;
  if (beside) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const started = Date.now();
    await beside();
    besideMs = Date.now() - started;
  }
  const out = await bench;
  const tps = Number(/tps = ([0-9.]+)/.exec(out)?.[1] ?? Number.NaN);
  return { tps, ...(besideMs === undefined ? {} : { besideMs }) };
}

async function main(): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  await lab.up();
  await lab.reset('ssh');
  const bsync = spawnSync(
    process.execPath,
    [new URL('../../bin/bsync', import.meta.url).pathname, 'apply', '-c', CONFIG, '--yes', '--allow-restart'],
    { encoding: 'utf8' },
  );
  if (bsync.status !== 0) throw new Error(bsync.stdout + bsync.stderr);
  await on(PG, asPostgres(`pgbench -i -s ${SCALE} -q postgres >/dev/null 2>&1`));
  const backup = (count: number) => async () => {
    await on(
      REPO,
      `cd / && runuser -u backrest -- pgbackrest --stanza=${STANZA} --type=full --process-max=${count} backup`,
    );
  };
  const alone = await load();
  const rows: string[][] = [['none', alone.tps.toFixed(0), '100%', '']];
  for (const count of [1, 2]) {
    const run = await load(backup(count));
    rows.push([
      String(count),
      run.tps.toFixed(0),
      `${((100 * run.tps) / alone.tps).toFixed(0)}%`,
      seconds(run.besideMs!),
    ]);
  }
  table(
    `pgbench -c 4 on ${(await on(PG, 'nproc')).trim()} cores beside a full backup (scale ${SCALE})`,
    ['backup process-max', 'tps', 'of alone', 'backup time'],
    rows,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
