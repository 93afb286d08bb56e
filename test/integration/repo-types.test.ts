// The acceptance story for the repository types without a backup host, each on its own lab
// scenario: posix (a folder on the PostgreSQL host) and azure (a container in Azurite over
// TLS with the lab's CA); then, on azure's host, azure with a SAS token and gcs (the lab's
// GCS server, fixtures/lab/gcs.toml). Plan, apply, no changes, a real full backup, WAL archiving that
// works, a hand edit reported as drift with exit code 2, and apply repairing it.
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { labSecret, onHost, resetScenario, sh } from '../support/lab.js';

const TYPES = [
  {
    scenario: 'posix' as const,
    host: 'posix-pg1',
    stanza: 'pgedge-posix-1',
    planned: ['+repo1-path=/var/lib/pgbackrest', '+repo1-retention-full=2'],
    absent: /repo1-type|repo1-host|ssh_keypair/,
  },
  {
    scenario: 'azure' as const,
    host: 'azure-pg1',
    stanza: 'pgedge-azure-1',
    planned: [
      '+repo1-type=azure',
      '+repo1-azure-account=(sensitive)',
      '+repo1-azure-container=bsync-lab',
      '+repo1-azure-key=(sensitive)',
      '+repo1-azure-uri-style=path',
      '+repo1-storage-host=azure.lab',
      '+repo1-storage-ca-file=/etc/pgbackrest/azure-ca.crt',
      '+ repo_ca[repo1]',
    ],
    absent: /repo1-host|ssh_keypair|directory\[\/home/,
  },
];

for (const type of TYPES) {
  const config = `${FIXTURES}lab/${type.scenario}.toml`;
  describe(`${type.scenario} repositories`, () => {
    beforeAll(() => resetScenario(type.scenario), 600_000);

    it('plans the repository on the PostgreSQL host, with the stanza and a first full backup there', async () => {
      const run = await bsync(['plan', '-c', config, '--detailed-exitcode']);
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(2);
      for (const line of type.planned) expect(run.stdout).toContain(line);
      expect(run.stdout).toContain(`+ stanza[${type.stanza}]`);
      expect(run.stdout).toContain(`+ first_backup[${type.stanza}]`);
      expect(run.stdout).not.toMatch(type.absent);
    });

    it('applies, converges, and a second plan shows no changes', async () => {
      const apply = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
      expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
      expect(apply.code).toBe(0);
      const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
      expect(plan.stdout).toContain(`No changes. 1 host matches ${type.scenario}.toml.`);
      expect(plan.code).toBe(0);
    }, 600_000);

    it('leaves a real full backup and working WAL archiving, and no secret in the plan', async () => {
      const info = JSON.parse(
        await sh(type.host, `cd / && runuser -u postgres -- pgbackrest --stanza=${type.stanza} --output=json info`),
      );
      expect(info[0].status.code).toBe(0);
      expect(info[0].cipher).toBe('aes-256-cbc');
      expect(info[0].backup.some((backup: { type: string }) => backup.type === 'full')).toBe(true);
      const check = await onHost(type.host, `cd / && runuser -u postgres -- pgbackrest --stanza=${type.stanza} check`);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
      if (type.scenario === 'posix') {
        expect(await sh(type.host, 'stat -c "%U %a" /var/lib/pgbackrest')).toBe('postgres 750\n');
        expect(await sh(type.host, `test -f /var/lib/pgbackrest/backup/${type.stanza}/backup.info && echo yes`)).toBe(
          'yes\n',
        );
      }
      const plan = await bsync(['plan', '-c', config, '--json']);
      for (const secret of ['cipher_pass', ...(type.scenario === 'azure' ? ['azure_key'] : [])])
        expect(plan.stdout).not.toContain(await labSecret(secret));
    }, 300_000);

    it('verify restores its newest backup on the PostgreSQL host, apart from the cluster, checks it and removes it', async () => {
      const run = await bsync(['verify', '-c', config, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const [result] = JSON.parse(run.stdout).stanzas;
      expect(result).toMatchObject({ stanza: type.stanza, host: type.host, ok: true, cleanedUp: true });
      expect(result.checks.map((check: { name: string }) => check.name)).toEqual([
        'recovery finished',
        'version',
        'isolated',
        'databases',
      ]);
      expect(result.databases).toContain('postgres');
      expect(await sh(type.host, `cd / && runuser -u postgres -- psql -XAtc 'SELECT pg_is_in_recovery()'`)).toBe('f\n');
    }, 300_000);

    it('reports a hand edit as drift with exit code 2, and apply repairs it', async () => {
      await sh(
        type.host,
        `sed -i 's/^repo1-retention-full=.*/repo1-retention-full=7/' /etc/pgbackrest/pgbackrest.conf`,
      );
      const drift = await bsync(['plan', '-c', config, '--detailed-exitcode']);
      expect(drift.code).toBe(2);
      expect(drift.stdout).toMatch(/~ pgbackrest_conf[\s\S]*-repo1-retention-full=7/);
      const repair = await bsync(['apply', '-c', config, '--yes']);
      expect(repair.code).toBe(0);
      expect((await bsync(['plan', '-c', config, '--detailed-exitcode'])).code).toBe(0);
    }, 300_000);
  });
}

// The two suites below run on azure-pg1 after the azure one above, in this file's order:
// azure-pg1 keeps its stanza and backups, so each is a config change, not a new host.
const AZURE = `${FIXTURES}lab/azure.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-repo-types-'));

/** An account SAS for the lab's Azurite account (service blob, every resource type), signed with `key` (base64). */
function accountSas(key: string): string {
  const expiry = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fields = { sv: '2019-02-02', ss: 'b', srt: 'sco', sp: 'rwdlac', se: expiry, spr: 'https' };
  const toSign = ['bsynclab', fields.sp, fields.ss, fields.srt, '', fields.se, '', fields.spr, fields.sv, ''].join(
    '\n',
  );
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  return `${new URLSearchParams({ ...fields, sig })}`;
}

/** azure.toml with key_type = "sas" and the SAS in a file of its own. */
function sasConfig(name: string, sas: string): string {
  writeFileSync(join(work, `${name}.sas`), sas, { mode: 0o600 });
  const text = readFileSync(AZURE, 'utf8').replace(
    /key = \{ file = "[^"]+" \}/,
    `key = { file = "${join(work, `${name}.sas`)}" }\nkey_type = "sas"`,
  );
  const path = join(work, `${name}.toml`);
  writeFileSync(path, text);
  return path;
}

describe('azure repositories with a SAS token', () => {
  it('converge with key_type = "sas", plan no changes, and back up through it', async () => {
    const config = sasConfig('sas', accountSas(await labSecret('azure_key')));
    const plan = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('+repo1-azure-key-type=sas');
    const apply = await bsync(['apply', '-c', config, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const again = await bsync(['plan', '-c', config, '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes. 1 host matches sas.toml.');
    expect(again.code).toBe(0);
    const backup = await bsync(['backup', '-c', config, '--type', 'incr']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const info = JSON.parse(
      await sh('azure-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-azure-1 --output=json info'),
    );
    expect(info[0].status.code).toBe(0);
    expect(info[0].backup.some((set: { type: string }) => set.type === 'incr')).toBe(true);
    // A restore through the SAS too: verify restores the newest backup (the incr) and checks it.
    const verify = await bsync(['verify', '-c', config, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).stanzas[0]).toMatchObject({ ok: true, cleanedUp: true });
    expect(plan.stdout + again.stdout).not.toContain(accountSas(await labSecret('azure_key')).split('sig=')[1]);
  }, 300_000);

  it('a SAS signed with another key: the plan after it names the repository Azurite refuses, exit 1', async () => {
    const wrong = sasConfig('wrong-sas', accountSas(randomBytes(64).toString('base64')));
    const apply = await bsync(['apply', '-c', wrong, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const plan = await bsync(['plan', '-c', wrong, '--detailed-exitcode']);
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toMatch(/stanza pgedge-azure-1: pgbackrest info reports status 99: .*403/);
    const backup = await bsync(['backup', '-c', wrong, '--type', 'incr']);
    expect(backup.code).not.toBe(0);
    // Back to the shared key, as the suite found it.
    expect((await bsync(['apply', '-c', AZURE, '--yes'])).code).toBe(0);
    expect((await bsync(['plan', '-c', AZURE, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);
});

describe('gcs repositories (the lab GCS server, a second stanza on azure-pg1)', () => {
  const GCS = `${FIXTURES}lab/gcs.toml`;
  const STANZA = 'pgedge-gcs-1';
  const KEY = '/etc/pgbackrest/gcs-key.json';

  it('plans the bucket, the key file and the CA on the host, the stanza and a first full backup', async () => {
    const run = await bsync(['plan', '-c', GCS, '--detailed-exitcode']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(2);
    for (const line of [
      '+repo1-type=gcs',
      '+repo1-gcs-bucket=bsync-lab',
      '+repo1-gcs-endpoint=gcs.lab',
      '+repo1-gcs-key=(sensitive)',
      '+repo1-storage-ca-file=/etc/pgbackrest/gcs-ca.crt',
      '+ repo_ca[repo1]',
      '+ repo_key[repo1]',
      `+ stanza[${STANZA}]`,
      `+ first_backup[${STANZA}]`,
    ])
      expect(run.stdout).toContain(line);
    expect(run.stdout).not.toMatch(/PRIVATE KEY|client_email/);
  });

  it('applies, converges (no changes), backs up and restores through the service account key', async () => {
    const apply = await bsync(['apply', '-c', GCS, '--yes', '--allow-restart']);
    expect(apply.stdout + apply.stderr).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    const plan = await bsync(['plan', '-c', GCS, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes. 1 host matches gcs.toml.');
    expect(plan.code).toBe(0);
    expect(await sh('azure-pg1', `stat -c '%U %a' ${KEY}`)).toBe('postgres 600\n');
    const backup = await bsync(['backup', '-c', GCS, '--type', 'incr']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const info = JSON.parse(
      await sh('azure-pg1', `cd / && runuser -u postgres -- pgbackrest --stanza=${STANZA} --output=json info`),
    );
    expect(info[0].status.code).toBe(0);
    expect(info[0].backup.map((set: { type: string }) => set.type)).toEqual(['full', 'incr']);
    const verify = await bsync(['verify', '-c', GCS, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).stanzas[0]).toMatchObject({ stanza: STANZA, ok: true, cleanedUp: true });
    const key = await labSecret('gcs_key.json');
    for (const output of [apply, plan, backup, verify])
      expect(output.stdout + output.stderr).not.toContain(key.slice(-200));
  }, 600_000);

  it('a key file edited on the host is drift, repaired by apply', async () => {
    await sh('azure-pg1', `chmod 0644 ${KEY} && echo '{}' >> ${KEY}`);
    const drift = await bsync(['plan', '-c', GCS, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toMatch(
      /~ repo_key\[repo1\][\s\S]*mode: 0644 -> 0600[\s\S]*-\(sensitive\)\n\s*\+\(sensitive\)/,
    );
    expect((await bsync(['apply', '-c', GCS, '--yes'])).code).toBe(0);
    expect((await bsync(['plan', '-c', GCS, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);

  it("a wrong service account key: installed as asked, then the plan names the token endpoint's refusal, exit 1", async () => {
    const right = JSON.parse(await labSecret('gcs_key.json'));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = join(work, 'wrong-gcs-key.json');
    writeFileSync(
      wrongKey,
      JSON.stringify({ ...right, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }),
      {
        mode: 0o600,
      },
    );
    const wrong = join(work, 'wrong-gcs.toml');
    writeFileSync(
      wrong,
      readFileSync(GCS, 'utf8').replace(/key = \{ file = "[^"]+" \}/, `key = { file = "${wrongKey}" }`),
    );
    const plan = await bsync(['plan', '-c', wrong, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/~ repo_key\[repo1\][\s\S]*-\(sensitive\)\n\s*\+\(sensitive\)/);
    const applied = await bsync(['apply', '-c', wrong, '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const refused = await bsync(['plan', '-c', wrong, '--detailed-exitcode']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(
      `stanza ${STANZA}: pgbackrest info reports status 99: [ProtocolError] unable to get authentication token: [invalid_grant] Invalid JWT Signature.`,
    );
    expect((await bsync(['apply', '-c', GCS, '--yes'])).code).toBe(0);
    expect((await bsync(['plan', '-c', GCS, '--detailed-exitcode'])).code).toBe(0);
  }, 300_000);

  it('key_type = "auto": the key file goes, pgBackRest takes its token from the metadata server, and backs up', async () => {
    const auto = join(work, 'gcs-auto.toml');
    writeFileSync(auto, readFileSync(GCS, 'utf8').replace(/key = \{ file = "[^"]+" \}/, 'key_type = "auto"'));
    const apply = await bsync(['apply', '-c', auto, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await sh('azure-pg1', 'cat /etc/pgbackrest/pgbackrest.conf')).toContain('repo1-gcs-key-type=auto\n');
    expect((await onHost('azure-pg1', `test -e ${KEY}`)).code).toBe(1);
    expect((await bsync(['plan', '-c', auto, '--detailed-exitcode'])).code).toBe(0);
    const backup = await bsync(['backup', '-c', auto, '--type', 'incr']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    expect((await bsync(['apply', '-c', GCS, '--yes'])).code).toBe(0);
  }, 300_000);
});
