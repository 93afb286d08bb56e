// The acceptance story for the repository types without a backup host, each on its own lab
// scenario: posix (a folder on the PostgreSQL host) and azure (a container in Azurite over
// TLS with the lab's CA). Plan, apply, no changes, a real full backup, WAL archiving that
// works, a hand edit reported as drift with exit code 2, and apply repairing it.
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
      '+repo1-azure-account=bsynclab',
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
