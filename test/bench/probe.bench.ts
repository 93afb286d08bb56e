// By hand (not in `npm run bench`): the host CPU the fact probe costs. It builds the script
// bsync would send to HOST of CONFIG, writes it to a file, and prints how to measure it:
// the children CPU (user + sys) that getrusage reports after `sh script`. With
// --run N it measures here, as root, the whole script and each probe's section alone
// (median of N runs, one at a time: the machine is shared).
//   tsx test/bench/probe.bench.ts [-c fixtures/lab/ssh.toml] [--host ssh-pg1] [--out DIR] [--run N] [--without PROBE]
//                                 [--identity ID | --cached]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../lib/config/index.js';
import { factsScript, PROBES } from '../../lib/facts/gather.js';
import { pgbackrestVersionProbe } from '../../lib/facts/host-keys.js';
import { probeContext } from '../../lib/facts/probe.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { median, root } from './measure.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c', default: `${root}fixtures/lab/ssh.toml` },
    host: { type: 'string' },
    out: { type: 'string', default: '/tmp/bsync-probe' },
    run: { type: 'string', default: '0' },
    // e.g. postgres on a machine with no server running: psql retries for 8 s there.
    without: { type: 'string', multiple: true, default: [] },
    // The pgbackrest identity the controller remembers (a cache hit on a host with that
    // binary), or --cached: learn it here by running the section once.
    identity: { type: 'string' },
    cached: { type: 'boolean', default: false },
  },
});

// The probe never sees secrets: file secrets (the lab's) are replaced by a stand-in.
const STAND_IN = 'bench-stand-in-secret-0123456789abcdef';
const text = readFileSync(values.config, 'utf8').replace(/\{ *file *= *"[^"]*" *\}/g, '{ env = "BSYNC_BENCH_SECRET" }');
const inventory = parseConfig(text, values.config, { BSYNC_BENCH_SECRET: STAND_IN });
const host = inventory.hosts.find((candidate) => candidate.name === (values.host ?? candidate.name));
if (!host) throw new Error(`no host ${values.host} in ${values.config}`);
const nonce = 'bench';
let ctx = probeContext(inventory, host, hostNeeds(inventory, host));
if (values.cached) {
  const answer = execFileSync('/bin/sh', ['-c', pgbackrestVersionProbe.command(ctx)], { encoding: 'utf8' });
  values.identity = pgbackrestVersionProbe.parse(answer, ctx).pgbackrestIdentity;
}
if (values.identity !== undefined) ctx = { ...ctx, knownPgbackrest: { identity: values.identity, version: 'cached' } };
const probes = PROBES.filter((probe) => probe.applies(ctx) && !values.without.includes(probe.name));

mkdirSync(values.out, { recursive: true });
const scripts = [
  { name: 'all', script: factsScript(ctx, nonce, probes) },
  ...probes.map((probe) => ({ name: probe.name, script: factsScript(ctx, nonce, [probe]) })),
];
for (const { name, script } of scripts) writeFileSync(`${values.out}/${name}.sh`, script);

// What gatherHostFacts runs, with the output thrown away, and the children's CPU (user +
// sys) after it in ms. Python's getrusage, not bash's `times`: times counts in clock ticks
// (10 ms here), which is coarser than what is measured.
const RUSAGE =
  'import resource, subprocess, sys; subprocess.run(["/bin/sh", sys.argv[1], sys.argv[2]], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL); r = resource.getrusage(resource.RUSAGE_CHILDREN); print(round((r.ru_utime + r.ru_stime) * 1000, 2))';
const measure = (file: string) =>
  `d=$(mktemp -d) && cp ${file} "$d/s" && python3 -c '${RUSAGE}' "$d/s" "$d/e"; rm -rf "$d"`;
console.log(
  `host ${host.name} (${host.role}) of ${values.config}: scripts in ${values.out}/ (all.sh, and one per section)`,
);
console.log(
  `measure on the host, as root (prints the script's CPU, user + sys, in ms):\n  ${measure(`${values.out}/all.sh`)}`,
);
console.log(
  values.identity === undefined
    ? `pgbackrest version runs (no cached answer); for a cache hit pass --identity "$(sh ${values.out}/pgbackrestVersion.sh | sed -n 's/^I|//p')" run on the host`
    : `pgbackrest version is answered from the cache when the host's binary is: ${values.identity}`,
);

const runs = Number(values.run);
if (runs > 0) {
  const cpu = (file: string) => Number(execFileSync('/bin/sh', ['-c', measure(file)], { encoding: 'utf8' }).trim());
  console.log(`here, median of ${runs} runs, children CPU (user + sys):`);
  for (const { name } of scripts) {
    const samples = Array.from({ length: runs }, () => cpu(`${values.out}/${name}.sh`));
    console.log(
      `  ${name.padEnd(18)} ${median(samples).toFixed(1).padStart(6)} ms  (min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)})`,
    );
  }
}
