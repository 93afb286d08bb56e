// Keyless S3 on the lab's `s3` scenario (docs/config.md, "Keyless S3"): one PostgreSQL host,
// s3-pg1, with two repositories in the lab's bucket and no access key in any conf.
// repo1 key_type "auto" (the emulated instance metadata service, IMDSv2), repo2 key_type
// "web-id" (the emulated STS, with the token lab.sh puts where EKS would) and kms_key_id,
// under the prefix whose PUTs the lab's S3 server refuses without SSE-KMS and the lab's key.
// The S3 server checks every SigV4 signature and session token. One apply converges both
// repositories; a restore from repo2 reads back through web-id (restore_command included).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { labSecret, onHost, resetScenario } from '../support/lab.js';
import { checksum, psql, timeline, twoBatches } from '../support/recovery.js';
import { STATE_DIR } from '../lab/lab.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/bsync-lab';
const TOKEN_FILE = '/run/secrets/eks.amazonaws.com/serviceaccount/token';
const KMS_KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/bsync-lab';
const STANZA = 'pgedge-lab-1';
const ENV = `env AWS_ROLE_ARN=${ROLE_ARN} AWS_WEB_IDENTITY_TOKEN_FILE=${TOKEN_FILE}`;
const work = mkdtempSync(join(tmpdir(), 'bsync-s3-keyless-'));

/** s3.toml's s3-pg1 alone, its [repo] replaced by the two keyless repositories. */
function keylessConfig(): string {
  const s3 = readFileSync(`${FIXTURES}lab/s3.toml`, 'utf8');
  const head = s3.slice(0, s3.indexOf('[repo]'));
  const tail = s3.slice(s3.indexOf('[backup_user]'), s3.indexOf('[[host]]\nname = "s3-pg2"'));
  const repo = (key: number, path: string, keys: string) => `[[repo]]
type = "s3"
path = "${path}"
cipher_type = "aes-256-cbc"
cipher_pass = { file = "${STATE_DIR}/secrets/cipher_pass" }
${key === 2 ? 'schedule = { full = "30 1 * * 0" }\n' : ''}
[repo.s3]
bucket = "bsync-lab"
endpoint = "s3.lab"
region = "us-east-1"
uri_style = "path"
port = 443
ca_file = "${STATE_DIR}/s3/ca.crt"
${keys}
`;
  return `${head}${repo(1, '/keyless-auto', 'key_type = "auto"')}
${repo(2, '/keyless-kms', `key_type = "web-id"\nrole_arn = "${ROLE_ARN}"\ntoken_file = "${TOKEN_FILE}"\nkms_key_id = "${KMS_KEY_ID}"`)}
${tail}`;
}

const CONFIG = join(work, 'keyless.toml');

function objectsUnder(folder: string): number {
  if (!existsSync(folder)) return 0;
  return readdirSync(folder, { recursive: true }).filter((name) => String(name).endsWith('._S3rver_object')).length;
}

describe('keyless s3 repositories (auto, web-id with SSE-KMS): converge, back up, restore', () => {
  const outputs: string[] = [];
  beforeAll(async () => {
    writeFileSync(CONFIG, keylessConfig());
    await resetScenario('s3');
  });

  it('plans the key types and the KMS key, no access key, and the web-id environment before every pgbackrest', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toContain('+repo1-s3-key-type=auto');
    expect(run.stdout).toContain('+repo2-s3-key-type=web-id');
    expect(run.stdout).toContain(`+repo2-s3-kms-key-id=${KMS_KEY_ID}`);
    expect(run.stdout).not.toMatch(/repo[12]-s3-key(-secret)?=/);
    expect(run.stdout).toContain(`archive_command = '${ENV} pgbackrest --stanza=${STANZA} archive-push %p'`);
    expect(run.stdout).toContain(
      `.bsync-backup.lock ${ENV} pgbackrest --stanza=${STANZA} --repo=2 --type=full backup # bsync:full-repo2:${STANZA}`,
    );
  });

  it('applies, converges, and both repositories hold a full backup and archived WAL', async () => {
    const run = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    outputs.push(run.stdout, run.stderr);
    expect(run.stdout, run.stdout + run.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(run.code).toBe(0);
    const again = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
    const check = await onHost('s3-pg1', `cd / && runuser -u postgres -- ${ENV} pgbackrest --stanza=${STANZA} check`);
    expect(check.code, check.stderr).toBe(0);
    const bucket = join(STATE_DIR, 's3/data/bsync-lab');
    for (const prefix of ['keyless-auto', 'keyless-kms']) {
      // Data files travel in bundles (repo1-bundle=y, bsync's default): a few objects, not one a file.
      expect(objectsUnder(join(bucket, prefix, 'backup', STANZA))).toBeGreaterThan(2);
      expect(objectsUnder(join(bucket, prefix, 'archive', STANZA))).toBeGreaterThan(1);
    }
    // Every object of repo2 was written asking for SSE-KMS with the lab's key (the server refuses any other PUT there).
    const sse = readFileSync(join(STATE_DIR, 's3/sse.log'), 'utf8');
    expect(sse).toMatch(new RegExp(`^aws:kms ${KMS_KEY_ID} keyless-kms/backup/${STANZA}/`, 'm'));
    expect(sse).toMatch(new RegExp(`^aws:kms ${KMS_KEY_ID} keyless-kms/archive/${STANZA}/`, 'm'));
    // Both emulators handed out credentials, and no access key reached a conf.
    expect(readdirSync(join(STATE_DIR, 'aws/credentials')).length).toBeGreaterThanOrEqual(2);
    expect((await onHost('s3-pg1', 'cat /etc/pgbackrest/pgbackrest.conf')).stdout).not.toMatch(/s3-key(-secret)?=/);
  }, 600_000);

  it('restores from repo2 (web-id, SSE-KMS) to a point in time', async () => {
    const { target, first } = await twoBatches('s3-pg1');
    const before = await timeline('s3-pg1');
    const run = await bsync([
      'restore',
      '-c',
      CONFIG,
      '--repo',
      '2',
      '--target',
      `time=${target}`,
      '--allow-overwrite',
      '--yes',
    ]);
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await checksum('s3-pg1')).toBe(first);
    expect(await psql('s3-pg1', 'SELECT pg_is_in_recovery()')).toBe('f\n');
    expect(await timeline('s3-pg1')).toBeGreaterThan(before);
    const check = await onHost('s3-pg1', `cd / && runuser -u postgres -- ${ENV} pgbackrest --stanza=${STANZA} check`);
    expect(check.code, check.stderr).toBe(0);
    expect(outputs.join('\n')).not.toMatch(STACK_TRACE);
    for (const secret of [await labSecret('cipher_pass'), await labSecret('web_identity_token')])
      for (const text of outputs) expect(text).not.toContain(secret);
  }, 600_000);
});
