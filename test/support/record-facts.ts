// Records the ssh scenario's facts for the planner's unit tests: fresh (as the lab makes
// it) and converged (after apply), through lab-facts.ts.
//   npx tsx test/support/record-facts.ts   (the lab must be up; it resets the ssh scenario)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { factsFixture, labFactsJson, SSH_CONFIG_PATH } from './lab-facts.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

execFileSync('bash', [`${root}test/lab/lab.sh`, 'reset', 'ssh'], { stdio: 'inherit' });
writeFileSync(factsFixture('fresh'), await labFactsJson());
execFileSync(process.execPath, [`${root}bin/bsync`, 'apply', '--yes', '--allow-restart', '-c', SSH_CONFIG_PATH], {
  stdio: 'inherit',
});
writeFileSync(factsFixture('converged'), await labFactsJson());
