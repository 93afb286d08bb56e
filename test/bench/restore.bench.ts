// `npm run bench:restore`: how long the database is down, on the lab's ssh scenario
// (ssh-pg1, PostgreSQL 15, repository on ssh-backup1, pgBackRest 2.45, zst + aes-256-cbc),
// for docs/performance.md:
//   (a) the machine's limits beside it: the data directory's disk write bandwidth and the
//       rate one core decrypts and decompresses what the repository holds;
//   (b) pgBackRest's restore of the newest full into an empty data directory against
//       process-max (1, 2, 4), median of BENCH_ROUNDS rounds;
//   (c) bsync's restore (--target latest, delta, as `bsync restore --zone 1 --allow-overwrite
//       --yes` runs it) against the same steps typed by an expert over one SSH session
//       (archive the current WAL, stop, pgBackRest restore --delta with the host's cores,
//       start, wait for the promotion, reset restore_command, pgbackrest check), in
//       alternating rounds, the ratio's median; and bsync's own phase timings.
// BENCH_SCALE (pgbench scale, default 40, about 600 MiB) and BENCH_ROUNDS (default 3).
import { spawnSync } from 'node:child_process';
import * as lab from '../lab/lab.js';
import { mib, on, seconds, table } from './lab-bench.js';
import { median, root } from './measure.js';

const PG = 'ssh-pg1';
const STANZA = 'pgedge-lab-1';
const DATA = '/var/lib/postgresql/15/main';
const CONFIG = `${root}fixtures/lab/ssh.toml`;
const SCALE = Number(process.env.BENCH_SCALE ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WAL_ROWS = Number(process.env.BENCH_WAL_ROWS ?? 1_200_000);
/** BENCH_PARTS=c runs only the comparison (the limits and the sweep take about 4 minutes). */
const PARTS = process.env.BENCH_PARTS ?? 'abc';

const asPostgres = (command: string) => `cd / && runuser -u postgres -- ${command}`;
const pgbackrest = (args: string) => asPostgres(`pgbackrest --stanza=${STANZA} ${args}`);
const ctl = (verb: string) => `pg_ctlcluster --skip-systemctl-redirect 15 main ${verb}`;

function bsync(args: string[]): { stdout: string; ms: number } {
  const started = Date.now();
  const run = spawnSync(process.execPath, [`${root}bin/bsync`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`bsync ${args.join(' ')}: exit ${run.status}\n${run.stdout}${run.stderr}`);
  return { stdout: run.stdout, ms: Date.now() - started };
}

async function timed(host: string, command: string): Promise<number> {
  const started = Date.now();
  await on(host, command);
  return Date.now() - started;
}

/** (a) Bytes per second: a 1 GiB write beside the data directory, synced; one core's decrypt + zstd -d of table data. */
async function limits(): Promise<{ diskBps: number; coreBps: number; rows: string[][] }> {
  const file = `${DATA}/../bench.dd`;
  const diskMs = await timed(
    PG,
    `dd if=/dev/zero of=${file} bs=1M count=1024 conv=fdatasync status=none; rm -f ${file}`,
  );
  // pgbench_accounts as the repository holds it: zst level 3, then AES-256-CBC.
  const relation = (await on(PG, asPostgres(`psql -XAtq -c "SELECT pg_relation_filepath('pgbench_accounts')"`))).trim();
  const sample = '/var/tmp/bsync-bench-sample';
  await on(
    PG,
    `head -c 268435456 ${DATA}/${relation} | zstd -3 -q -c | openssl enc -aes-256-cbc -pbkdf2 -pass pass:bench -out ${sample}`,
  );
  const bytes = Number((await on(PG, `head -c 268435456 ${DATA}/${relation} | wc -c`)).trim());
  const coreMs = await timed(
    PG,
    `openssl enc -d -aes-256-cbc -pbkdf2 -pass pass:bench -in ${sample} | zstd -d -q -c > /dev/null; rm -f ${sample}`,
  );
  const diskBps = (1024 * 1048576) / (diskMs / 1000);
  const coreBps = bytes / (coreMs / 1000);
  return {
    diskBps,
    coreBps,
    rows: [
      ['disk write, 1 GiB synced (dd conv=fdatasync)', `${mib(diskBps)}/s`],
      ['decrypt + zstd -d, one core', `${mib(coreBps)}/s`],
      ['cores', (await on(PG, 'nproc')).trim()],
    ],
  };
}

/** (b) pgBackRest alone, into an empty data directory, per process-max; the server stays stopped between. */
async function processSweep(setBytes: number, floorBps: number): Promise<string[][]> {
  const counts = [1, 2, 4];
  const times = new Map<number, number[]>(counts.map((count) => [count, []]));
  await on(PG, ctl('stop -m fast'));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const count of counts) {
      await on(PG, `find ${DATA} -mindepth 1 -delete`);
      times.get(count)!.push(await timed(PG, pgbackrest(`--process-max=${count} --type=none restore`)));
    }
  }
  await on(PG, pgbackrest('--delta --type=immediate --target-action=promote restore'));
  await on(PG, ctl('start'));
  await on(PG, `until ${asPostgres(`psql -XAtq -c "SELECT NOT pg_is_in_recovery()"`)} | grep -q t; do sleep 1; done`);
  await on(
    PG,
    asPostgres(
      `psql -XAtq -c "ALTER SYSTEM RESET restore_command" -c "ALTER SYSTEM RESET recovery_target" -c "ALTER SYSTEM RESET recovery_target_action" -c "SELECT pg_reload_conf()"`,
    ),
  );
  const floorMs = (setBytes / floorBps) * 1000;
  return counts.map((count) => {
    const ms = median(times.get(count)!);
    return [String(count), seconds(ms), `${mib(setBytes / (ms / 1000))}/s`, `${((100 * floorMs) / ms).toFixed(0)}%`];
  });
}

/** (c) The expert's restore, over one SSH session, with what bsync's own plan does and nothing else. */
async function expertRestore(cores: number): Promise<number> {
  const psql = (sql: string) => asPostgres(`psql -XAtq -v ON_ERROR_STOP=1 -c "${sql}"`);
  return timed(
    PG,
    [
      psql('SELECT txid_current()'),
      pgbackrest('check'),
      ctl('stop -m fast'),
      pgbackrest(`--delta --process-max=${cores} restore`),
      ctl('start'),
      `until [ "$(${psql('SELECT NOT pg_is_in_recovery()')})" = t ]; do sleep 1; done`,
      psql('ALTER SYSTEM RESET restore_command'),
      psql('SELECT pg_reload_conf()'),
      pgbackrest('check'),
    ].join(' && '),
  );
}

async function main(): Promise<void> {
  await lab.up();
  await lab.reset('ssh');
  bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
  await on(PG, asPostgres(`pgbench -i -s ${SCALE} -q postgres >/dev/null 2>&1`));
  bsync(['backup', '-c', CONFIG, '--zone', '1', '--type', 'full']);
  const info = JSON.parse(await on(PG, pgbackrest('--output=json info')))[0];
  const setBytes = Number(info.backup.at(-1).info.size);
  const cores = Number((await on(PG, 'nproc')).trim());

  if (PARTS.includes('a') || PARTS.includes('b')) {
    const measured = await limits();
    table(`(a) the machine (${mib(setBytes)} to restore)`, ['limit', 'rate'], measured.rows);
    const floorBps = Math.min(measured.diskBps, measured.coreBps * cores);
    table(
      `(b) pgBackRest restore of ${mib(setBytes)} into an empty data directory (median of ${ROUNDS}); floor: the slower of disk and ${cores} cores`,
      ['process-max', 'time', 'rate', 'of the floor'],
      await processSweep(setBytes, floorBps),
    );
  }

  const ratios: number[] = [];
  const rows: string[][] = [];
  let phases = '';
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each side restores a fresh full plus the same WAL written after it, on one timeline;
    // the order alternates so neither always runs first.
    const sides = round % 2 === 0 ? (['bsync', 'expert'] as const) : (['expert', 'bsync'] as const);
    const ms: Record<'bsync' | 'expert', number> = { bsync: 0, expert: 0 };
    for (const side of sides) {
      bsync(['backup', '-c', CONFIG, '--zone', '1', '--type', 'full']);
      await on(
        PG,
        asPostgres(
          `psql -XAtq -c "DROP TABLE IF EXISTS bench_wal" -c "CREATE TABLE bench_wal AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, ${WAL_ROWS}) g"`,
        ),
      );
      if (side === 'expert') ms.expert = await expertRestore(cores);
      else {
        const run = bsync(['restore', '-c', CONFIG, '--zone', '1', '--allow-overwrite', '--yes', '--json']);
        const timings = JSON.parse(run.stdout).timings as { phases: Array<{ phase: string; seconds: number }> };
        phases = timings.phases.map((part) => `${part.phase} ${part.seconds.toFixed(1)} s`).join(', ');
        ms.bsync = run.ms;
      }
    }
    ratios.push(ms.bsync / ms.expert);
    rows.push([String(round + 1), seconds(ms.bsync), seconds(ms.expert), `${(ms.bsync / ms.expert).toFixed(2)}x`]);
  }
  rows.push(['median', '', '', `${median(ratios).toFixed(2)}x`]);
  table(
    `(c) bsync restore --zone 1 --allow-overwrite --yes against the expert steps (a fresh full, then ${WAL_ROWS} rows of WAL)`,
    ['round', 'bsync', 'expert', 'ratio'],
    rows,
  );
  console.log(`\nbsync's phases in the last round: ${phases}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
