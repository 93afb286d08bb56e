// S3 repositories on the lab's `s3` scenario: every PostgreSQL host writes to the bucket
// itself (s3rver over TLS with the lab's CA). The engine's acceptance story, drift on S3
// options and cron, wrong credentials, and no secret anywhere — not even in `ps`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE, startBsync } from '../support/bsync.js';
import { hostState, labSecret, onHost, resetScenario } from '../support/lab.js';
import { STATE_DIR } from '../lab/lab.js';
import { shq } from '../../lib/formats/shell.js';

const CONFIG = `${FIXTURES}lab/s3.toml`;
const ZONES = [
  { stanza: 'pgedge-lab-1', host: 's3-pg1' },
  { stanza: 'pgedge-lab-2', host: 's3-pg2' },
];
const BUCKET_PREFIX = join(STATE_DIR, 's3/data/bsync-lab/bsync');
const work = mkdtempSync(join(tmpdir(), 'bsync-s3-'));

function objectsUnder(folder: string): number {
  if (!existsSync(folder)) return 0;
  return readdirSync(folder).reduce((count, name) => {
    const path = join(folder, name);
    return count + (statSync(path).isDirectory() ? objectsUnder(path) : name.endsWith('._S3rver_object') ? 1 : 0);
  }, 0);
}

async function s3Secrets(): Promise<string[]> {
  return [
    await labSecret('s3_key'),
    await labSecret('s3_key_secret'),
    await labSecret('cipher_pass'),
    await labSecret('backup_password'),
  ];
}

describe('s3 repositories: plan, apply, converge', () => {
  const outputs: string[] = [];
  const processLists: string[] = [];
  beforeAll(async () => {
    await resetScenario('s3');
  });

  it('plans the S3 repository on both hosts, with no backup host and no SSH keys', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(2);
    for (const { stanza, host } of ZONES) {
      expect(run.stdout).toMatch(new RegExp(`^${host}$`, 'm'));
      expect(run.stdout).toContain(`+ stanza[${stanza}]`);
    }
    expect(run.stdout).toContain('+repo1-type=s3');
    expect(run.stdout).toContain('+repo1-s3-key-secret=(sensitive)');
    expect(run.stdout).toContain('+repo1-storage-ca-file=/etc/pgbackrest/s3-ca.crt');
    expect(run.stdout).not.toMatch(/repo1-host|ssh_keypair|authorized_keys|known_hosts/);
    expect(run.stdout).toMatch(
      /crontab\[postgres\][\s\S]*pg_is_in_recovery\(\)' 2>\/dev\/null\)" = t \] \|\| \/etc\/pgbackrest\/bsync-backup-job \/var\/log\/pgbackrest\/pgedge-lab-1\.bsync-full-repo1\.outcome \/var\/log\/pgbackrest\/pgedge-lab-1\.bsync-backup\.lock pgbackrest --stanza=pgedge-lab-1 --type=full backup # bsync:full:pgedge-lab-1/,
    );
  });

  it('applies without a secret in any process list on the hosts, and converges', async () => {
    const { child, done } = startBsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    let running = true;
    const watch = (async () => {
      while (running) {
        for (const { host } of ZONES) processLists.push((await onHost(host, 'ps -eo args')).stdout);
      }
    })();
    const run = await done;
    running = false;
    await watch;
    expect(child.exitCode).toBe(0);
    outputs.push(run.stdout, run.stderr);
    expect(run.stdout).toMatch(/Apply complete: \d+ done, 0 failed, 0 skipped, 0 deferred\./);
    expect(run.code).toBe(0);
    expect(processLists.join('\n')).toContain('pgbackrest'); // the watch saw pgBackRest at work
  }, 600_000);

  it('plans no changes afterwards', async () => {
    const run = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    outputs.push(run.stdout, run.stderr);
    expect(run.stdout).toContain('No changes. 2 hosts match s3.toml.');
    expect(run.code).toBe(0);
  });

  it('leaves a full backup in the bucket under the prefix and working archiving', async () => {
    for (const { stanza, host } of ZONES) {
      const info = JSON.parse(
        (await onHost(host, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} --output=json info`)).stdout,
      );
      expect(info[0].status.code).toBe(0);
      expect(info[0].backup.map((backup: { type: string }) => backup.type)).toContain('full');
      const check = await onHost(host, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} check`);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
      // The data files travel in bundles (repo1-bundle=y, bsync's default): a few objects, not one a file.
      const label = info[0].backup.at(-1).label as string;
      expect(objectsUnder(join(BUCKET_PREFIX, 'backup', stanza, label, 'bundle'))).toBeGreaterThan(0);
      expect(objectsUnder(join(BUCKET_PREFIX, 'backup', stanza))).toBeGreaterThan(2);
      expect(objectsUnder(join(BUCKET_PREFIX, 'archive', stanza))).toBeGreaterThan(1);
    }
  }, 300_000);

  it('has cron entries that skip on a standby and run on the primary', async () => {
    const line = (await onHost('s3-pg1', 'crontab -u postgres -l')).stdout
      .split('\n')
      .find((entry) => entry.includes('bsync:diff'))!;
    const command = line
      .replace(/^(\S+\s+){5}/, '')
      .replace(/ # bsync:.*$/, '')
      .replace('--type=diff backup', '--type=diff --dry-run-bsync backup');
    // On the primary the guard lets pgBackRest run (here with an option it rejects, to see that it ran).
    const primary = await onHost('s3-pg1', `cd / && runuser -u postgres -- sh -c ${shq(command)}`);
    expect(primary.code).not.toBe(0);
    expect(primary.stdout + primary.stderr).toContain('dry-run-bsync');
    // Where the server says it is in recovery, the entry exits 0 without trying. The guard
    // calls the server's own psql by its path: a stand-in that answers `t` takes its place.
    const asStandby = command.replace(/"\$\((\S*\/)?psql /, '"$(/tmp/fake-standby/psql ');
    expect(asStandby).not.toBe(command);
    const standby = await onHost(
      's3-pg1',
      `cd / && mkdir -p /tmp/fake-standby && printf '#!/bin/sh\\necho t\\n' > /tmp/fake-standby/psql && chmod 755 /tmp/fake-standby /tmp/fake-standby/psql && runuser -u postgres -- sh -c ${shq(asStandby)}; echo "exit $?"`,
    );
    expect(standby.stdout.trim()).toBe('exit 0');
    expect(standby.stderr).not.toContain('dry-run-bsync');
  });

  it('executes nothing on a second apply (no file, crontab or server changes), and never showed a secret', async () => {
    const before = await Promise.all(['s3-pg1', 's3-pg2'].map(hostState));
    const run = await bsync(['apply', '-c', CONFIG, '--yes']);
    outputs.push(run.stdout, run.stderr);
    expect(await Promise.all(['s3-pg1', 's3-pg2'].map(hostState))).toEqual(before);
    expect(run.stdout).toContain('No changes.');
    expect(run.code).toBe(0);
    for (const secret of await s3Secrets()) {
      for (const text of outputs) expect(text).not.toContain(secret);
      expect(processLists.join('\n')).not.toContain(secret);
    }
  });
});

describe('drift on s3 repositories', () => {
  it.each([
    ['endpoint', `s/^repo1-s3-endpoint=.*/repo1-s3-endpoint=s3.example.com/`, '-repo1-s3-endpoint=s3.example.com'],
    ['uri style', `s/^repo1-s3-uri-style=path/repo1-s3-uri-style=host/`, '-repo1-s3-uri-style=host'],
    ['bucket', `s/^repo1-s3-bucket=.*/repo1-s3-bucket=other-bucket/`, '-repo1-s3-bucket=other-bucket'],
  ])('a changed %s is reported and repaired', async (_, edit, shown) => {
    await onHost('s3-pg2', `sed -i '${edit}' /etc/pgbackrest/pgbackrest.conf`);
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('~ pgbackrest_conf');
    expect(drift.stdout).toContain(shown);
    const apply = await bsync(['apply', '-c', CONFIG, '--yes']);
    expect(apply.code).toBe(0);
    const after = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(after.code).toBe(0);
  });

  it('a deleted cron line is reported and repaired', async () => {
    await onHost('s3-pg1', `crontab -u postgres -l | grep -v bsync:full | crontab -u postgres -`);
    const drift = await bsync(['plan', '-c', CONFIG, '--detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('~ crontab[postgres]');
    expect((await bsync(['apply', '-c', CONFIG, '--yes'])).code).toBe(0);
    expect((await onHost('s3-pg1', 'crontab -u postgres -l')).stdout).toContain('# bsync:full:pgedge-lab-1');
  });
});

describe('wrong S3 credentials', () => {
  beforeAll(async () => {
    await resetScenario('s3');
  });

  // The lab's access key signed with a wrong secret: the lab's S3 server checks SigV4
  // signatures (test/lab/s3-server.mjs) and answers 403 SignatureDoesNotMatch.
  it("fail at the stanza step naming the host with pgBackRest's error; the rest is applied; exit 1; nothing secret shown", async () => {
    const wrongSecret = join(work, 'wrong_secret');
    writeFileSync(wrongSecret, 'not-the-lab-secret-0000000000000000000000\n', { mode: 0o600 });
    const config = join(work, 'wrong.toml');
    writeFileSync(
      config,
      readFileSync(CONFIG, 'utf8').replace(`${STATE_DIR}/secrets/s3_key_secret"`, `${wrongSecret}"`),
    );
    expect(readFileSync(config, 'utf8')).toContain(wrongSecret);
    const run = await bsync(['apply', '-c', config, '--yes', '--allow-restart']);
    expect(run.code).toBe(1);
    for (const { stanza, host } of ZONES) {
      expect(run.stdout).toMatch(new RegExp(`failed: ${host}\\.stanza\\[${stanza}\\]: exit \\d+: .*ERROR: \\[\\d+\\]`));
      expect(run.stdout).toContain(`skipped: ${host}.first_backup[${stanza}]`);
    }
    expect(run.stdout).toMatch(/HTTP request failed with 403/);
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    for (const secret of [...(await s3Secrets()), 'not-the-lab-secret-0000000000000000000000'])
      expect(run.stdout + run.stderr).not.toContain(secret);
    // Everything that did not need the bucket was applied.
    const settings = await onHost('s3-pg2', `cd / && runuser -u postgres -- psql -XAtc 'SHOW archive_mode'`);
    expect(settings.stdout.trim()).toBe('on');
    const fixed = await bsync(['apply', '-c', CONFIG, '--yes', '--allow-restart']);
    expect(fixed.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
    expect(fixed.code).toBe(0);
  }, 600_000);
});
