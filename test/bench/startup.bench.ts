// npm run bench (first part, no lab): how long `bsync --version` takes as a fresh
// process, next to Node starting with nothing to do. The target is under 80 ms. The two
// alternate, so a busy moment on the machine slows both alike.
import { median, runs, time } from './measure.js';

const node: number[] = [];
const version: number[] = [];
for (let run = 0; run < runs; run += 1) {
  node.push(time(process.execPath, ['-e', '0']));
  version.push(time(process.execPath, ['bin/bsync', '--version']));
}

console.log(`runs: ${runs}`);
console.log(`bsync --version, median: ${median(version).toFixed(0)} ms (target < 80)`);
console.log(`node -e 0 (Node's own start), median: ${median(node).toFixed(0)} ms`);
