// What the engine's tests need from the lab: reset a scenario, run a command on a host
// through real SSH, read a secret the lab generated.
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { shq } from '../../lib/formats/shell.js';
import * as lab from '../lab/lab.js';

export interface HostRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function resetScenario(name: lab.Scenario): Promise<void> {
  await lab.reset(name);
}

/** Runs a command on a lab host and expects it to succeed (the message names host, command and stderr); its stdout. */
export async function sh(host: string, command: string): Promise<string> {
  const run = await lab.sshRun(host, command);
  expect(run.code, `${host}: ${command}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

export async function onHost(host: string, command: string): Promise<HostRun> {
  return lab.sshRun(host, command);
}

export async function labSecret(name: string): Promise<string> {
  return (await readFile(`${lab.STATE_DIR}/secrets/${name}`, 'utf8')).trim();
}

/**
 * What a step would change on a host, in one line per thing: each managed file's inode
 * and mtime (an atomic rewrite gets a new inode), the crontabs, PostgreSQL's postmaster
 * pid and reload time. Equal before and after an apply: no step ran there.
 */
export async function hostState(host: string): Promise<string> {
  return sh(
    host,
    [
      'cd /',
      `for f in /etc/pgbackrest/pgbackrest.conf /etc/postgresql/*/main/postgresql.conf /etc/postgresql/*/main/pg_hba.conf ~postgres/.pgpass ~postgres/.ssh/* /home/backrest/.pgpass /home/backrest/.ssh/*; do [ -e "$f" ] && stat -c '%n %i %Y %a %U' "$f"; done`,
      'for u in postgres backrest; do crontab -l -u $u 2>/dev/null | md5sum | sed "s/^/crontab $u /"; done',
      `runuser -u postgres -- psql -XAtq -c "SELECT 'postmaster ' || pg_postmaster_start_time() || ' reload ' || pg_conf_load_time()" 2>/dev/null || true`,
    ].join('\n'),
  );
}

/**
 * Logs the backup user in to `postgres` from `from`'s own address `fromAddress`, as
 * PostgreSQL's pg_hba.conf sees it: lab hosts share the loopback, so a plain psql would
 * come from 127.0.0.1. socat on `from` listens on that address and connects out from it.
 * With `password`: as root, the password in PGPASSWORD (through port 15432). Without: as
 * `user` (backrest), libpq's own .pgpass, matched by the host name and port 5432 (the
 * proxy listens on 5432 of `fromAddress`, where no server listens). Prints
 * `current_user inet_client_addr`.
 */
export async function loginFrom(
  from: string,
  fromAddress: string,
  postgres: string,
  how: { password: string } | { user: string },
): Promise<HostRun> {
  const port = 'password' in how ? 15432 : 5432;
  const proxy = `socat TCP-LISTEN:${port},bind=${fromAddress},reuseaddr,fork TCP:${postgres}:5432,bind=${fromAddress}`;
  const listening = `bash -c 'exec 3<>/dev/tcp/${fromAddress}/${port}'`;
  await sh(
    from,
    `setsid ${proxy} </dev/null >/dev/null 2>&1 & for i in $(seq 50); do ${listening} 2>/dev/null && break; sleep 0.1; done`,
  );
  const sql = `-c "SELECT current_user || ' ' || host(inet_client_addr())"`;
  try {
    return await onHost(
      from,
      'password' in how
        ? `cd / && PGPASSWORD=${shq(how.password)} psql -XAt "host=${fromAddress} port=${port} user=backrest dbname=postgres sslmode=disable" ${sql}`
        : `cd / && runuser -u ${how.user} -- env -u PGPASSWORD psql -XAtw "host=${postgres} hostaddr=${fromAddress} port=${port} user=backrest dbname=postgres sslmode=disable" ${sql}`,
    );
  } finally {
    await onHost(from, `pkill -f 'socat TCP-LISTEN:${port},bind=${fromAddress}'`);
  }
}
