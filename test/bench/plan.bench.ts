// npm run bench: median wall time of a no-op `bsync plan` on the lab's ssh scenario
// against the floor (one connection and one `true` per host, in parallel), both as fresh
// processes, and their ratio. The target is a ratio of at most 2.
import { spawnSync } from 'node:child_process';
import { medianTime, root, runs } from './measure.js';

const config = `${root}fixtures/lab/ssh.toml`;

spawnSync('npm', ['run', 'lab', '--', 'up'], { cwd: root, stdio: 'inherit' });
const converge = spawnSync(process.execPath, ['bin/bsync', 'apply', '--yes', '--allow-restart', '-c', config], { cwd: root, encoding: 'utf8' });
if (converge.status !== 0) throw new Error(`could not converge the ssh scenario: ${converge.stderr}`);

const floor = medianTime(process.execPath, [`${root}test/bench/floor.mjs`, config]);
const plan = medianTime(process.execPath, ['bin/bsync', 'plan', '-c', config]);

console.log(`hosts: 4 (lab ssh scenario), runs: ${runs}`);
console.log(`no-op bsync plan, median: ${plan.toFixed(0)} ms`);
console.log(`floor (1 connection + 1 exec per host), median: ${floor.toFixed(0)} ms`);
console.log(`ratio: ${(plan / floor).toFixed(2)} (target <= 2)`);
