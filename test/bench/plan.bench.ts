// npm run bench: a no-op `bsync plan` against the floor (one connection and one `true` per
// host, in parallel), both as fresh processes, run in pairs so that both see the same
// machine; the median of the pairs' ratios. Beside it, the floor with each host's real fact
// script (floor.mjs --facts): what bsync costs beyond what it must ask the hosts. On the ssh
// scenario (4 hosts), then on the scale scenario at 4, 16 and 32 hosts (BENCH_NO_SCALE=1 skips it), with bsync's peak RSS.
// Target: ratio at most 1.3 on the ssh scenario.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { median, root, time } from './measure.js';

const pairs = Number(process.env.BENCH_RUNS ?? 10);
const lab = (...args: string[]) => {
  const result = spawnSync('npm', ['run', 'lab', '--', ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`lab ${args.join(' ')} failed`);
};
const converge = (config: string) => {
  const result = spawnSync(process.execPath, ['bin/bsync', 'apply', '--yes', '--allow-restart', '-c', config], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`could not converge ${config}: ${result.stderr}`);
};

/** Peak RSS of one plan in MiB, where GNU time is installed. */
function peakRss(args: string[]): string {
  if (!existsSync('/usr/bin/time')) return 'n/a (no /usr/bin/time)';
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'bin/bsync', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  const kib = Number(result.stderr.trim().split('\n').at(-1));
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : 'n/a';
}

function measure(label: string, config: string, zones: number[]): void {
  const zoneArgs = zones.flatMap((zone) => ['--zone', String(zone)]);
  const planTimes: number[] = [];
  const floorTimes: number[] = [];
  const factsTimes: number[] = [];
  const ratios: number[] = [];
  const factsRatios: number[] = [];
  for (let pair = 0; pair < pairs; pair += 1) {
    const floor = time(process.execPath, [`${root}test/bench/floor.mjs`, config, ...zones.map(String)]);
    const facts = time(process.execPath, [`${root}test/bench/floor.mjs`, '--facts', config, ...zones.map(String)]);
    const plan = time(process.execPath, ['bin/bsync', 'plan', '-c', config, ...zoneArgs]);
    floorTimes.push(floor);
    factsTimes.push(facts);
    planTimes.push(plan);
    ratios.push(plan / floor);
    factsRatios.push(plan / facts);
  }
  console.log(
    `| ${label} | ${median(planTimes).toFixed(0)} ms | ${median(floorTimes).toFixed(0)} ms | ${median(ratios).toFixed(2)} | ${median(factsTimes).toFixed(0)} ms | ${median(factsRatios).toFixed(2)} | ${peakRss(['plan', '-c', config, ...zoneArgs])} |`,
  );
}

lab('up');
converge(`${root}fixtures/lab/ssh.toml`);
console.log(
  `${pairs} pairs each; no-op plan and floor are medians, the ratio is the median of the pairs' ratios (target <= 1.3 on ssh)\n`,
);
// "with facts": floor.mjs --facts, the floor running each host's real fact script instead of `true`.
console.log('| hosts | no-op plan | floor | plan/floor | floor with facts | plan/that | plan peak RSS |');
console.log('|---|---|---|---|---|---|---|');
measure('4 (ssh scenario)', `${root}fixtures/lab/ssh.toml`, []);

if (process.env.BENCH_NO_SCALE !== '1') {
  const scale = `${root}fixtures/lab/scale.toml`;
  lab('up', 'scale');
  try {
    converge(scale);
    measure('4 (scale, 2 zones)', scale, [1, 2]);
    measure('16 (scale, 8 zones)', scale, [1, 2, 3, 4, 5, 6, 7, 8]);
    measure(
      '32 (scale, 16 zones)',
      scale,
      Array.from({ length: 16 }, (_, index) => index + 1),
    );
  } finally {
    lab('down', 'scale');
  }
}
