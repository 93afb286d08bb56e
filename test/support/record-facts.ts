// Records the ssh scenario's facts for the planner's unit tests: fresh (as the lab makes
// it) and converged (after apply). Lab secrets are replaced by the fixed values the unit
// tests configure, so no lab secret is committed.
//   npx tsx test/support/record-facts.ts   (the lab must be up; it resets the ssh scenario)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatherFacts, openSession } from '../../lib/cli/session.js';
import { scramVerifier } from '../../lib/resources/scram.js';
import { STATE_DIR } from '../lab/lab.js';

export const RECORDED_CIPHER_PASS = 'recorded-cipher-passphrase-0123456789';
export const RECORDED_PASSWORD = 'recorded-backup-password-0123456789';

const root = fileURLToPath(new URL('../../', import.meta.url));
const config = `${root}fixtures/lab/ssh.toml`;

async function record(name: string): Promise<void> {
  const session = await openSession(config, {});
  const facts = await gatherFacts(session);
  session.close();
  let json = JSON.stringify(Object.fromEntries(facts), null, 2);
  json = json.split(readFileSync(`${STATE_DIR}/secrets/cipher_pass`, 'utf8').trim()).join(RECORDED_CIPHER_PASS);
  json = json.split(readFileSync(`${STATE_DIR}/secrets/backup_password`, 'utf8').trim()).join(RECORDED_PASSWORD);
  json = json.replace(/SCRAM-SHA-256\$[^"]+/g, scramVerifier(RECORDED_PASSWORD).replace(/\$/g, '$$$$'));
  writeFileSync(`${root}fixtures/facts/ssh-${name}.json`, `${json}\n`);
}

execFileSync('bash', [`${root}test/lab/lab.sh`, 'reset', 'ssh'], { stdio: 'inherit' });
await record('fresh');
execFileSync(process.execPath, [`${root}bin/bsync`, 'apply', '--yes', '--allow-restart', '-c', config], {
  stdio: 'inherit',
});
await record('converged');
