// transport = "tls" on the lab's ssh scenario, zone 1 (ssh-pg1, ssh-backup1): apply
// converges, a second plan has nothing to do, a backup, archive-push (check) and a restore
// go through pgBackRest's TLS servers, no bsync line of SSH trust is left between the hosts,
// and a certificate that expires within 30 days is drift that apply renews.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import { expectRestored, restore, timeline, twoBatches } from '../support/recovery.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-tls-'));
const CONFIG = join(work, 'tls.toml');
const ZONE = ['--host', 'ssh-pg1', '--host', 'ssh-backup1'];
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' }).toString();

beforeAll(async () => {
  await resetScenario('ssh');
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=lab TLS CA',
    '-days',
    '3650',
  );
  const ssh = readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8').replace(
    'type = "ssh"\n',
    'type = "ssh"\ntransport = "tls"\n',
  );
  writeFileSync(CONFIG, `${ssh}\n[tls]\nca_cert = "${work}/ca.crt"\nca_key = { file = "${work}/ca.key" }\n`);
});

describe('transport = "tls" on the lab', () => {
  it('converges, and plans no changes after apply', async () => {
    const apply = await bsync(['apply', '-c', CONFIG, ...ZONE, '--yes', '--allow-restart']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete: \d+ done, 0 failed/);
    expect(apply.stdout + apply.stderr).not.toContain('PRIVATE KEY');
    const plan = await bsync(['plan', '-c', CONFIG, ...ZONE, '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');
  });

  it('backs up, archives and restores through the TLS servers, with no SSH trust of bsync between the hosts', async () => {
    await sh('ssh-backup1', 'cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-lab-1 --type=incr backup');
    await sh('ssh-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');
    const trust = await onHost(
      'ssh-backup1',
      'grep -h bsync: /home/backrest/.ssh/authorized_keys ~postgres/.ssh/authorized_keys 2>/dev/null',
    );
    expect(trust.stdout).toBe('');
    const pgTrust = await onHost('ssh-pg1', 'grep -h bsync: ~postgres/.ssh/authorized_keys 2>/dev/null');
    expect(pgTrust.stdout).toBe('');
    const { target, first } = await twoBatches('ssh-pg1');
    const before = await timeline('ssh-pg1');
    const run = await restore(CONFIG, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--yes');
    await expectRestored('ssh-pg1', run, first, before);
  });

  it('shows a certificate that expires within 30 days as drift, and apply renews it', async () => {
    const pub = await sh('ssh-pg1', 'cat /etc/pgbackrest/tls/host.pub');
    writeFileSync(join(work, 'pg1.pub'), pub);
    writeFileSync(
      join(work, 'ext'),
      'subjectAltName=DNS:ssh-pg1,IP:127.0.1.11\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    const short = openssl(
      'x509',
      '-new',
      '-force_pubkey',
      'pg1.pub',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-subj',
      '/CN=ssh-pg1',
      '-days',
      '10',
      '-extfile',
      'ext',
    );
    await sh('ssh-pg1', `cat > /etc/pgbackrest/tls/host.crt <<'PEM'\n${short.trim()}\nPEM`);
    const drift = await bsync(['plan', '-c', CONFIG, ...ZONE, '--detailed-exitcode']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    expect(drift.stdout).toContain('tls_cert[ssh-pg1]');
    expect(drift.stdout).toMatch(/within 30 days/);
    const apply = await bsync(['apply', '-c', CONFIG, ...ZONE, '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const days = await sh(
      'ssh-pg1',
      'openssl x509 -in /etc/pgbackrest/tls/host.crt -noout -checkend 25920000 && echo valid-300-days',
    );
    expect(days).toContain('valid-300-days');
    await sh('ssh-pg1', 'cd / && runuser -u postgres -- pgbackrest --stanza=pgedge-lab-1 check');
  });
});
