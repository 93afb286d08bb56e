// The lab itself: real hosts reached through real SSH with strict host key checking,
// each with its own files and processes, PostgreSQL, pgBackRest, cron, Patroni, and an
// S3 server over TLS; enough to carry real backups; and `down` leaves nothing behind.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_HOSTS, SCENARIO_HOSTS, STATE_DIR, down, execOnMachine, lab, reset, sshRun, up } from './lab.js';

async function sh(host: string, command: string): Promise<string> {
  const result = await sshRun(host, command);
  expect(result.code, `${host}: ${command}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('lab hosts', () => {
  // Other suites leave their scenarios configured; start from pristine ones.
  beforeAll(async () => {
    await reset('ssh');
    await reset('s3');
    await reset('ha');
    await reset('adopt');
    await reset('rocky');
  }, 300_000);

  it.each(ALL_HOSTS)('%s answers with its own hostname over strictly checked SSH', async (host) => {
    expect((await sh(host, 'hostname')).trim()).toBe(host);
  });

  it("keeps each host's files and processes to itself", async () => {
    const marker = `/etc/bsync-lab-isolation-${Date.now()}`;
    await sh('ssh-pg1', `echo here > ${marker}; sleep 30 >/dev/null 2>&1 & echo $! > /tmp/isolation.pid`);
    expect(await sh('ssh-pg1', `cat ${marker}`)).toBe('here\n');
    expect((await sshRun('ssh-pg2', `cat ${marker}`)).code).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
    const pid = (await sh('ssh-pg1', 'cat /tmp/isolation.pid')).trim();
    expect(await sh('ssh-pg1', `ps -o comm= -p ${pid}`)).toBe('sleep\n');
    expect((await sshRun('ssh-pg2', `cat /tmp/isolation.pid`)).code).not.toBe(0);
    expect(await sh('ssh-pg2', 'ps -e -o comm= | grep -c "^sleep$" || true')).toBe('0\n');
    await sh('ssh-pg1', `rm -f ${marker}; kill ${pid}`);
  });

  it.each([...SCENARIO_HOSTS.ssh.postgres, ...SCENARIO_HOSTS.s3.postgres])(
    '%s runs PostgreSQL 15 on its own address, as an operator has it before bsync',
    async (host) => {
      const address = (await sh(host, `getent hosts ${host} | cut -d' ' -f1`)).trim();
      const answer = await sh(
        host,
        `runuser -u postgres -- psql -XAt -h /var/run/postgresql -c "SELECT current_setting('server_version_num'), current_setting('archive_mode'), current_setting('listen_addresses')"`,
      );
      expect(answer.trim()).toMatch(new RegExp(`^150\\d{3}\\|off\\|${address.replace(/\./g, '\\.')}$`));
      expect(await sh(host, 'test -e /etc/pgbackrest/pgbackrest.conf && echo present || echo absent')).toBe('absent\n');
      expect(await sh(host, 'crontab -u postgres -l 2>/dev/null | wc -l')).toBe('0\n');
    },
  );

  it.each(ALL_HOSTS)('%s has pgBackRest and its own cron daemon', async (host) => {
    expect(await sh(host, 'pgbackrest version')).toMatch(/^pgBackRest 2\.\d+/);
    // Rocky's daemon is crond, Debian's cron.
    expect(await sh(host, 'pgrep -x cron >/dev/null || pgrep -x crond >/dev/null && echo cron')).toBe('cron\n');
  });

  it('backup hosts have no PostgreSQL and no repository user yet', async () => {
    for (const host of [...SCENARIO_HOSTS.ssh.backup, ...SCENARIO_HOSTS.ha.backup]) {
      expect(await sh(host, 'pgrep -x postgres || echo none')).toBe('none\n');
      expect(await sh(host, 'getent passwd backrest || echo none')).toBe('none\n');
    }
  });

  it('rocky-pg1 has the Rocky Linux 9 / PGDG layout and no Debian helper on PATH', async () => {
    expect(await sh('rocky-pg1', '. /etc/os-release; echo "$ID $VERSION_ID"')).toBe('rocky 9.4\n');
    expect(await sh('rocky-pg1', 'getent passwd postgres | cut -d: -f6')).toBe('/var/lib/pgsql\n');
    expect(
      await sh('rocky-pg1', 'for c in psql pg_ctl pg_ctlcluster pg_lsclusters; do command -v $c || echo "no $c"; done'),
    ).toBe('no psql\nno pg_ctl\nno pg_ctlcluster\nno pg_lsclusters\n');
    expect(
      await sh('rocky-pg1', 'ls -d /usr/lib/postgresql /var/lib/postgresql /etc/postgresql 2>/dev/null | wc -l'),
    ).toBe('0\n');
    const answer = await sh(
      'rocky-pg1',
      `cd / && runuser -u postgres -- /usr/pgsql-15/bin/psql -XAt -c "SELECT current_setting('data_directory'), current_setting('config_file')"`,
    );
    expect(answer).toBe('/var/lib/pgsql/15/data|/var/lib/pgsql/15/data/postgresql.conf\n');
    expect(await sh('rocky-pg1', 'readlink /proc/$(head -1 /run/postgresql/.s.PGSQL.5432.lock)/exe')).toBe(
      '/usr/pgsql-15/bin/postgres\n',
    );
    // The machine's own Debian layout is untouched by the hosts' overlays.
    expect(existsSync('/usr/lib/postgresql/15/bin/postgres')).toBe(true);
    expect(existsSync('/usr/pgsql-15')).toBe(false);
  });

  it('the adopt scenario is as the Ansible role leaves it: RSA keys, #Ansible: cron jobs, md5 hba line, a full backup', async () => {
    expect(await sh('adopt-pg1', 'ls ~postgres/.ssh')).toBe('authorized_keys\nid_rsa\nid_rsa.pub\nknown_hosts\n');
    expect(await sh('adopt-backup1', 'crontab -l -u backrest | grep -c "^#Ansible: "')).toBe('2\n');
    expect(
      await sh(
        'adopt-pg1',
        'grep -c "^host    all    backrest    127.0.1.43/32    md5$" /etc/postgresql/15/main/pg_hba.conf',
      ),
    ).toBe('1\n');
    const info = JSON.parse(
      await sh('adopt-backup1', 'cd / && runuser -u backrest -- pgbackrest --stanza=pgedge-adopt-1 --output=json info'),
    );
    expect(info[0].backup.map((backup: { type: string }) => backup.type)).toEqual(['full']);
  });

  it('Patroni reports one leader and two replicas', async () => {
    // Each ask is bounded (a CI run once saw patronictl hang for the test's whole 120 s);
    // the members may still be settling right after reset, so ask again for up to 60 s.
    type Member = { Member: string; Role: string; State: string };
    let members: Member[] = [];
    let last = '';
    for (const started = Date.now(); Date.now() - started < 60_000; ) {
      const list = await sshRun('ha-pg2', 'timeout 15 patronictl -c /etc/patroni/patroni.yml list -f json');
      last = `exit ${list.code}: ${list.stdout}${list.stderr}`;
      if (list.code === 0) {
        members = JSON.parse(list.stdout) as Member[];
        const streaming = members.filter(
          (member) => member.Role === 'Replica' && /running|streaming/.test(member.State),
        );
        if (members.filter((member) => member.Role === 'Leader').length === 1 && streaming.length === 2) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const logs = await sshRun('ha-pg2', 'tail -n 20 /var/log/patroni.log');
    const why = `last answer: ${last}\nha-pg2 patroni.log:\n${logs.stdout}`;
    expect(members.map((member) => member.Member).sort(), why).toEqual(['ha-pg1', 'ha-pg2', 'ha-pg3']);
    expect(
      members.filter((member) => member.Role === 'Leader'),
      why,
    ).toHaveLength(1);
    expect(
      members.filter((member) => member.Role === 'Replica' && /running|streaming/.test(member.State)),
      why,
    ).toHaveLength(2);
  });

  it('the S3 endpoint answers over TLS with the lab CA, and not without it', async () => {
    const verified = await sh(
      's3-pg1',
      `curl -s -o /dev/null -w '%{http_code} %{ssl_verify_result}' --cacert ${STATE_DIR}/s3/ca.crt https://s3.lab/`,
    );
    expect(verified).toMatch(/^\d{3} 0$/);
    const unverified = await sshRun('s3-pg1', 'curl -s -o /dev/null https://s3.lab/');
    expect(unverified.code).toBe(60); // curl: peer certificate cannot be authenticated
  });

  it('status names every host and what runs on it', async () => {
    const status = await lab('status');
    expect(status.code).toBe(0);
    for (const host of ALL_HOSTS)
      expect(status.stdout).toMatch(new RegExp(`^${host}\\s+127\\.0\\.1\\.\\d+\\s+\\S+\\s+.*sshd`, 'm'));
    expect(status.stdout).toMatch(/^ssh-pg1 .*postgres/m);
  });
});

describe('the lab carries real backups', () => {
  it('pgBackRest configured by hand on the ssh scenario takes a full backup from the backup host', async () => {
    const conf = (lines: string[]) =>
      `mkdir -p /etc/pgbackrest && printf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')} > /etc/pgbackrest/pgbackrest.conf`;
    await sh(
      'ssh-backup1',
      'useradd -m -s /bin/bash -U backrest && usermod -p "*" backrest && chown backrest:backrest /var/log/pgbackrest && runuser -u backrest -- ssh-keygen -q -t ed25519 -N "" -f /home/backrest/.ssh/id_ed25519',
    );
    await sh(
      'ssh-pg1',
      'runuser -u postgres -- sh -c \'mkdir -p ~/.ssh && ssh-keygen -q -t ed25519 -N "" -f ~/.ssh/id_ed25519\'',
    );
    const backupKey = await sh('ssh-backup1', 'cat /home/backrest/.ssh/id_ed25519.pub');
    const pgKey = await sh('ssh-pg1', 'cat /var/lib/postgresql/.ssh/id_ed25519.pub');
    await sh(
      'ssh-pg1',
      `echo '${backupKey.trim()}' >> /var/lib/postgresql/.ssh/authorized_keys && chown postgres: /var/lib/postgresql/.ssh/authorized_keys`,
    );
    await sh(
      'ssh-backup1',
      `echo '${pgKey.trim()}' > /home/backrest/.ssh/authorized_keys && chown backrest: /home/backrest/.ssh/authorized_keys && chmod 600 /home/backrest/.ssh/authorized_keys`,
    );
    const pgHostKey = await sh('ssh-pg1', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub');
    const backupHostKey = await sh('ssh-backup1', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub');
    await sh(
      'ssh-backup1',
      `echo 'ssh-pg1 ${pgHostKey.trim()}' > /home/backrest/.ssh/known_hosts && chown backrest: /home/backrest/.ssh/known_hosts`,
    );
    await sh(
      'ssh-pg1',
      `echo 'ssh-backup1 ${backupHostKey.trim()}' > /var/lib/postgresql/.ssh/known_hosts && chown postgres: /var/lib/postgresql/.ssh/known_hosts`,
    );
    await sh(
      'ssh-backup1',
      conf([
        '[global]',
        'repo1-path=/home/backrest',
        'log-path=/var/log/pgbackrest',
        'start-fast=y',
        '[smoke]',
        'pg1-host=ssh-pg1',
        'pg1-path=/var/lib/postgresql/15/main',
      ]),
    );
    await sh(
      'ssh-pg1',
      conf([
        '[global]',
        'repo1-host=ssh-backup1',
        'repo1-host-user=backrest',
        'log-path=/var/log/pgbackrest',
        '[smoke]',
        'pg1-path=/var/lib/postgresql/15/main',
      ]),
    );
    await sh(
      'ssh-pg1',
      `echo "archive_mode = on" >> /etc/postgresql/15/main/conf.d/smoke.conf && echo "archive_command = 'pgbackrest --stanza=smoke archive-push %p'" >> /etc/postgresql/15/main/conf.d/smoke.conf && pg_ctlcluster --skip-systemctl-redirect 15 main restart`,
    );
    await sh('ssh-backup1', 'runuser -u backrest -- pgbackrest --stanza=smoke stanza-create');
    await sh('ssh-backup1', 'runuser -u backrest -- pgbackrest --stanza=smoke --type=full backup');
    const info = JSON.parse(
      await sh('ssh-backup1', 'runuser -u backrest -- pgbackrest --stanza=smoke --output=json info'),
    );
    expect(info[0].backup.map((backup: { type: string }) => backup.type)).toEqual(['full']);

    await reset('ssh');
    expect(await sh('ssh-backup1', 'getent passwd backrest || echo none')).toBe('none\n');
    expect(await sh('ssh-pg1', 'test -e /etc/pgbackrest/pgbackrest.conf && echo present || echo absent')).toBe(
      'absent\n',
    );
    expect((await sh('ssh-pg1', `runuser -u postgres -- psql -XAtc 'SHOW archive_mode'`)).trim()).toBe('off');
  }, 300_000);

  it('pgBackRest completes stanza-create, backup, expire and repo-ls --recurse against the S3 server', async () => {
    // Its own prefix, empty: a run before this one on the same lab left its stanza there.
    rmSync(join(STATE_DIR, 's3/data/bsync-lab/smoke'), { recursive: true, force: true });
    const key = readFileSync(`${STATE_DIR}/secrets/s3_key`, 'utf8').trim();
    const secret = readFileSync(`${STATE_DIR}/secrets/s3_key_secret`, 'utf8').trim();
    const lines = [
      '[global]',
      'repo1-type=s3',
      'repo1-path=/smoke',
      'repo1-s3-bucket=bsync-lab',
      'repo1-s3-endpoint=s3.lab',
      'repo1-s3-region=us-east-1',
      `repo1-s3-key=${key}`,
      `repo1-s3-key-secret=${secret}`,
      'repo1-s3-uri-style=path',
      'repo1-storage-port=443',
      `repo1-storage-ca-file=${STATE_DIR}/s3/ca.crt`,
      'repo1-retention-full=1',
      'log-path=/var/log/pgbackrest',
      'start-fast=y',
      '[smoke]',
      'pg1-path=/var/lib/postgresql/15/main',
    ];
    await sh(
      's3-pg1',
      `mkdir -p /etc/pgbackrest && cat > /etc/pgbackrest/pgbackrest.conf && chmod 640 /etc/pgbackrest/pgbackrest.conf && chgrp postgres /etc/pgbackrest/pgbackrest.conf`.replace(
        'cat >',
        `printf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')} >`,
      ),
    );
    await sh(
      's3-pg1',
      `echo "archive_mode = on" >> /etc/postgresql/15/main/conf.d/smoke.conf && echo "archive_command = 'pgbackrest --stanza=smoke archive-push %p'" >> /etc/postgresql/15/main/conf.d/smoke.conf && pg_ctlcluster --skip-systemctl-redirect 15 main restart`,
    );
    const pgbackrest = (args: string) => sh('s3-pg1', `runuser -u postgres -- pgbackrest --stanza=smoke ${args}`);
    await pgbackrest('stanza-create');
    await pgbackrest('--type=full backup');
    const first = JSON.parse(await pgbackrest('--output=json info'))[0].backup[0].label as string;
    const firstFolder = join(STATE_DIR, 's3/data/bsync-lab/smoke/backup/smoke', first);
    expect(countObjects(firstFolder)).toBeGreaterThan(100);
    await pgbackrest('--type=full backup'); // retention-full=1: this expires the first one
    const labels = JSON.parse(await pgbackrest('--output=json info'))[0].backup.map(
      (backup: { label: string }) => backup.label,
    );
    expect(labels).toHaveLength(1);
    expect(labels[0]).not.toBe(first);
    expect(countObjects(firstFolder)).toBe(0);
    const listing = await pgbackrest('repo-ls --recurse backup/smoke');
    expect(listing).toContain(`${labels[0]}/pg_data/base/`);
    expect(listing).toContain(`${labels[0]}/backup.manifest`);

    // reset s3 empties the s3 scenario's prefixes (multi's /multi is the multi scenario's).
    await reset('s3');
    for (const prefix of ['bsync', 'smoke']) expect(countObjects(join(STATE_DIR, 's3/data/bsync-lab', prefix))).toBe(0);
  }, 300_000);
});

/** s3rver keeps each object as `<key>._S3rver_object` under the bucket's folder. */
function countObjects(folder: string): number {
  if (!existsSync(folder)) return 0;
  let count = 0;
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) count += countObjects(path);
    else if (name.endsWith('._S3rver_object')) count += 1;
  }
  return count;
}

describe('lab down', () => {
  it('leaves no lab process, mount or /etc/hosts line behind, and the lab comes back up', async () => {
    await down();
    const processes = await execOnMachine('ps', ['-eo', 'args']);
    expect(processes.stdout).not.toMatch(
      /sshd -D -e|etcd --name lab|s3-server\.mjs|patroni|postgres -D|\/usr\/sbin\/cron/,
    );
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain('bsync-lab');
    expect(readFileSync('/etc/hosts', 'utf8')).not.toMatch(/bsync-lab|ssh-pg1|s3\.lab/);
    expect(existsSync(STATE_DIR)).toBe(false);
    await up();
    expect((await sh('ha-pg1', 'hostname')).trim()).toBe('ha-pg1');
  }, 600_000);
});
