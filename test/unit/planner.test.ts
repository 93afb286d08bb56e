// The planner on facts recorded from the lab's ssh scenario (fixtures/facts/, made by
// test/support/record-facts.ts, shape checked by test/integration/fixtures.test.ts): order, no-op on converged hosts, known-after-apply values,
// and the cipher passphrase rules. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError, ConfigError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { bigIdsAsText, parseInfo } from '../../lib/facts/repo.js';
import { buildPlan } from '../../lib/plan/build.js';
import { planStanza } from '../../lib/resources/stanza.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { FIXTURES } from '../support/bsync.js';
import { scheduledBackup } from '../../lib/desired/backups.js';

// The values test/support/record-facts.ts put in place of the lab's secrets.
const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';

/** A lab config with its secrets read from the environment (cipher_pass "auto" for 'auto'). */
function labConfig(config: string, cipher: string = CIPHER): string {
  return readFileSync(`${FIXTURES}lab/${config}`, 'utf8')
    .replace(
      /cipher_pass = \{ file = "[^"]+" \}/,
      cipher === 'auto' ? 'cipher_pass = "auto"' : 'cipher_pass = { env = "CIPHER" }',
    )
    .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }');
}

function inventory(cipher: string = CIPHER, config = 'ssh.toml', extra = ''): Inventory {
  return parseConfig(`${labConfig(config, cipher)}${extra}`, `${FIXTURES}lab/${config}`, { CIPHER: cipher, PASSWORD });
}

function facts(state: 'fresh' | 'converged'): Map<string, HostFacts> {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

function plan(inv: Inventory, hostFacts: Map<string, HostFacts>) {
  return buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, hostFacts),
  ).plan;
}

const indexOf = (addresses: string[], address: string) => {
  const index = addresses.indexOf(address);
  expect(index, `${address} is in the plan`).toBeGreaterThanOrEqual(0);
  return index;
};

describe('planning a fresh scenario', () => {
  const fresh = plan(inventory(), facts('fresh'));
  const order = fresh.actions.map((action) => action.address);

  it('changes every host', () => {
    expect(new Set(fresh.actions.map((action) => action.host))).toEqual(
      new Set(['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2']),
    );
    expect(fresh.summary).toEqual({ add: 42, change: 10, remove: 4, adopt: 0, conflict: 0 });
  });

  it('orders actions across hosts by what they need', () => {
    expect(indexOf(order, 'ssh-pg1.ssh_keypair[postgres]')).toBeLessThan(
      indexOf(order, 'ssh-backup1.authorized_keys[backrest]'),
    );
    expect(indexOf(order, 'ssh-backup1.authorized_keys[backrest]')).toBeLessThan(
      indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'),
    );
    expect(indexOf(order, 'ssh-backup1.ssh_keypair[backrest]')).toBeLessThan(
      indexOf(order, 'ssh-pg1.authorized_keys[postgres]'),
    );
    expect(indexOf(order, 'ssh-pg1.authorized_keys[postgres]')).toBeLessThan(
      indexOf(order, 'ssh-backup1.stanza[pgedge-lab-1]'),
    );
    expect(indexOf(order, 'ssh-backup1.stanza[pgedge-lab-1]')).toBeLessThan(
      indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'),
    );
    expect(indexOf(order, 'ssh-pg1.pg_restart')).toBeLessThan(indexOf(order, 'ssh-backup1.first_backup[pgedge-lab-1]'));
    expect(indexOf(order, 'ssh-backup1.os_user[backrest]')).toBeLessThan(
      indexOf(order, 'ssh-backup1.ssh_dir[backrest]'),
    );
    const firstBackup = fresh.actions.find((action) => action.address === 'ssh-backup1.first_backup[pgedge-lab-1]')!;
    expect(firstBackup.dependsOn).toEqual(
      expect.arrayContaining(['ssh-backup1.stanza[pgedge-lab-1]', 'ssh-pg1.pg_restart', 'ssh-pg1.pg_reload']),
    );
    expect(firstBackup.dependsOn.some((dep) => dep.startsWith('ssh-pg2'))).toBe(false);
    for (const [index, action] of fresh.actions.entries()) {
      for (const dep of action.dependsOn)
        expect(indexOf(order, dep), `${dep} before ${action.address}`).toBeLessThan(index);
    }
  });

  it('shows keys that do not exist yet as known after apply, and secrets as (sensitive)', () => {
    const text = renderPlanText(fresh, { color: false });
    expect(text).toContain('(known after apply: public key of postgres@ssh-pg1) bsync:postgres@ssh-pg1');
    expect(text).toContain('repo1-cipher-pass=(sensitive)');
    expect(text).not.toContain(CIPHER);
    expect(text).not.toContain(PASSWORD);
    expect(JSON.stringify(fresh)).not.toContain(CIPHER);
    expect(fresh.actions.find((action) => action.address === 'ssh-pg1.pg_restart')?.requiresRestart).toBe(true);
  });
});

describe('planning a converged scenario', () => {
  it('plans nothing', () => {
    const converged = plan(inventory(), facts('converged'));
    expect(converged.actions).toEqual([]);
    expect(renderPlanText(converged, { color: false })).toBe('No changes. 4 hosts match ssh.toml.\n');
  });

  it('plans exactly the resource whose facts changed', () => {
    const changed = facts('converged');
    const backup = changed.get('ssh-backup1')!;
    backup.crontabs.backrest = backup.crontabs
      .backrest!.split('\n')
      .filter((line) => !line.includes('bsync:diff'))
      .join('\n');
    const drift = plan(inventory(), changed);
    expect(drift.actions.map((action) => action.address)).toEqual(['ssh-backup1.crontab[backrest]']);
    expect(drift.actions[0].diff).toContain(
      `+10 0 * * 1-6 ${scheduledBackup('pgedge-lab-1', 'diff', 'pgbackrest --stanza=pgedge-lab-1 --type=diff backup')} # bsync:diff:pgedge-lab-1`,
    );
  });

  it('makes the same decisions twice, and fingerprints differ only with the plan key', () => {
    const changed = facts('converged');
    changed.get('ssh-pg1')!.postgres!.settings.archive_command.setting = '/bin/true';
    const inv = inventory();
    const one = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'a'.repeat(32)).plan;
    const two = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'a'.repeat(32)).plan;
    const other = buildPlan(inv, ['ssh-pg1'], desiredResources(inv, changed), 'b'.repeat(32)).plan;
    expect(one.actions.map((action) => action.fingerprint)).toEqual(two.actions.map((action) => action.fingerprint));
    expect(one.actions[0].fingerprint).not.toBe(other.actions[0].fingerprint);
  });
});

describe('the cipher passphrase', () => {
  it('refuses to change the passphrase of a repository that holds backups', () => {
    expect(() => plan(inventory('a-different-passphrase-000'), facts('converged'))).toThrow(BsyncError);
    expect(() => plan(inventory('a-different-passphrase-000'), facts('converged'))).toThrow(
      /differs from the passphrase of a repository that already holds the stanza/,
    );
  });

  it('"auto" adopts the passphrase the hosts share: nothing to change', () => {
    expect(plan(inventory('auto'), facts('converged')).actions).toEqual([]);
  });

  it('"auto" with no passphrase anywhere generates one during apply, before any config that needs it', () => {
    const fresh = plan(inventory('auto'), facts('fresh'));
    const order = fresh.actions.map((action) => action.address);
    const generator = indexOf(order, 'ssh-backup1.cipher_pass[pgedge-lab-1]');
    expect(generator).toBeLessThan(indexOf(order, 'ssh-pg1.pgbackrest_conf'));
    expect(generator).toBeLessThan(indexOf(order, 'ssh-backup1.pgbackrest_conf'));
    expect(renderPlanText(fresh, { color: false })).toContain('repo1-cipher-pass=(sensitive, known after apply)');
  });
});

describe('an HA config', () => {
  function haInventory(): Inventory {
    const text = labConfig('ssh.toml')
      .replace('[schedule]', '[patroni]\nconfig = "/etc/patroni/patroni.yml"\n\n[schedule]')
      .replace(/\[\[host\]\]\nname = "ssh-backup1"[^[]*/, '')
      .replace('name = "ssh-backup2"', 'name = "ssh-backup1"')
      .replace('zone = 2', 'zone = 1')
      .replace('zone = 2', 'zone = 1');
    return parseConfig(text, `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD });
  }

  it('refuses a zone where only some hosts are Patroni members', () => {
    const hostFacts = facts('converged');
    hostFacts.get('ssh-pg1')!.patroni = { scope: 'x', dynamic: { postgresql: {} }, members: [], errors: [] };
    hostFacts.get('ssh-pg2')!.patroni = { scope: '', dynamic: null, members: [], errors: ['patronictl: no such file'] };
    const inv = haInventory();
    expect(inv.hosts.filter((host) => host.role === 'postgres').map((host) => host.zone)).toEqual([1, 1]);
    expect(() => plan(inv, hostFacts)).toThrow(
      /zone 1 mixes Patroni members \(ssh-pg1\) with hosts Patroni does not manage \(ssh-pg2\)/,
    );
  });

  it('names a host whose Patroni does not answer', () => {
    const hostFacts = facts('converged');
    for (const name of ['ssh-pg1', 'ssh-pg2'])
      hostFacts.get(name)!.patroni = { scope: '', dynamic: null, members: [], errors: ['connection refused'] };
    expect(() => plan(haInventory(), hostFacts)).toThrow(/Patroni does not answer: connection refused/);
  });
});

/** The facts with every host running pgBackRest `version`. */
function at(hostFacts: Map<string, HostFacts>, version: string): Map<string, HostFacts> {
  for (const one of hostFacts.values()) one.pgbackrestVersion = version;
  return hostFacts;
}

describe('pgBackRest options ([pgbackrest.global] in fixtures/lab/ssh-options.toml)', () => {
  const OPTIONS = ['archive-async=y', 'process-max=2', 'spool-path=/var/spool/pgbackrest'];
  // In place of bsync's defaults (compress-type=zst, repo1-bundle=y), where those stand.
  const REPLACING = ['compress-type=lz4', 'repo1-bundle=n'];
  const SPOOL = '/var/spool/pgbackrest';
  const withOptions = () => inventory(CIPHER, 'ssh-options.toml');
  const confAction = (planned: ReturnType<typeof plan>, host: string) =>
    planned.actions.find((action) => action.address === `${host}.pgbackrest_conf`);

  it("go into [global] of every host of each zone, after bsync's keys, sorted by name; bsync's defaults take their values in place", () => {
    const planned = plan(withOptions(), facts('converged'));
    for (const host of ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2']) {
      const diff = confAction(planned, host)?.diff ?? '';
      expect(
        diff
          .split('\n')
          .filter((line) => line.startsWith('+') && !line.startsWith('+++'))
          .map((line) => line.slice(1)),
        host,
      ).toEqual([...REPLACING, ...OPTIONS]);
      expect(diff, host).toMatch(/\n-compress-type=zst\n\+compress-type=lz4\n/);
      expect(diff, host).toMatch(/\n-repo1-bundle=y\n\+repo1-bundle=n\n/);
      expect(diff, host).toMatch(
        /repo1-cipher-pass=\(sensitive\)\n\+archive-async=y\n\+process-max=2\n\+spool-path=\/var\/spool\/pgbackrest\n/,
      );
    }
  });

  it('archive-async gives each PostgreSQL host the spool folder, owned by postgres, before its settings take effect', () => {
    const planned = plan(withOptions(), facts('converged'));
    const order = planned.actions.map((action) => action.address);
    for (const host of ['ssh-pg1', 'ssh-pg2']) {
      const spool = planned.actions.find((action) => action.address === `${host}.directory[${SPOOL}]`);
      expect(spool?.action, host).toBe('create');
      expect(JSON.stringify(spool?.fields)).toContain('postgres');
    }
    expect(order.filter((address) => address.startsWith('ssh-backup') && address.includes(SPOOL))).toEqual([]);
  });

  it('a converged host whose pgbackrest.conf already holds them plans nothing', () => {
    const converged = facts('converged');
    for (const [name, hostFacts] of converged) {
      const conf = hostFacts.files['/etc/pgbackrest/pgbackrest.conf']!;
      conf.content = conf
        .content!.replace('compress-type=zst', 'compress-type=lz4')
        .replace('repo1-bundle=y', 'repo1-bundle=n')
        .replace(/(repo1-cipher-pass=[^\n]*\n)/, `$1${OPTIONS.join('\n')}\n`);
      if (name.startsWith('ssh-pg'))
        hostFacts.files[SPOOL] = {
          exists: true,
          kind: 'dir',
          type: 'directory',
          owner: 'postgres',
          group: 'postgres',
          mode: '0750',
        };
    }
    expect(plan(withOptions(), converged).actions).toEqual([]);
  });

  it('a host whose pgBackRest lacks an option stops the plan, naming the host and both versions', () => {
    const older = facts('converged');
    older.get('ssh-backup2')!.pgbackrestVersion = '2.40';
    expect(() => plan(withOptions(), older)).toThrow(BsyncError);
    expect(() => plan(withOptions(), older)).toThrow(
      /pgbackrest\.global\.archive-async: host ssh-backup2 runs pgBackRest 2\.40: that is older than 2\.45/,
    );

    const newer = inventory(CIPHER, 'ssh.toml', '\n[pgbackrest.global]\npage-header-check = false\n');
    expect(() => plan(newer, facts('converged'))).toThrow(
      /^pgbackrest\.global\.page-header-check: host ssh-pg1 runs pgBackRest 2\.45: 2\.45 does not have page-header-check \(pgBackRest 2\.55 has it\)$/,
    );
    expect(() => plan(newer, at(facts('converged'), '2.55.1'))).not.toThrow();
    // Between the tables: judged by the older one, which does not have it.
    expect(() => plan(newer, at(facts('converged'), '2.50'))).toThrow(
      "runs pgBackRest 2.50: bsync's newest option list up to 2.50 is 2.45's, which does not have page-header-check (pgBackRest 2.55 has it)",
    );
  });

  it("repo1-storage-tag on a repository that is no object store is refused, by 2.55's own rule", () => {
    // pgBackRest 2.55.1 reads repoN-storage-tag only for repoN-type azure, gcs or s3, and
    // ignores the line otherwise; ssh.toml's repo1 is a posix folder on its backup host.
    const tagged = () =>
      plan(
        inventory(CIPHER, 'ssh.toml', '\n[pgbackrest.global]\nrepo1-storage-tag = { team = "db" }\n'),
        at(facts('converged'), '2.55.1'),
      );
    expect(tagged).toThrow(ConfigError);
    expect(tagged).toThrow(
      'pgbackrest.global.repo1-storage-tag: pgBackRest ignores it unless repo1-type is azure or gcs or s3 (its option table: repo-storage-tag depends on repo-type), and repo1-type is posix here (what bsync writes)',
    );
  });

  /** The message of the error planning throws, or null when it plans. */
  const refusal = (extra: string, version: string) => {
    try {
      plan(inventory(CIPHER, 'ssh.toml', `\n[pgbackrest.global]\n${extra}\n`), at(facts('converged'), version));
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(BsyncError);
      return (error as BsyncError).message;
    }
  };

  it('an option new in 2.55 is refused for a 2.45 host, naming it and both versions, and planned for a 2.55 host', () => {
    expect(refusal('page-header-check = false', '2.45')).toBe(
      'pgbackrest.global.page-header-check: host ssh-pg1 runs pgBackRest 2.45: 2.45 does not have page-header-check (pgBackRest 2.55 has it)',
    );
    expect(refusal('page-header-check = false', '2.55.1')).toBeNull();
    const diff = confAction(
      plan(
        inventory(CIPHER, 'ssh.toml', '\n[pgbackrest.global]\npage-header-check = false\n'),
        at(facts('converged'), '2.55.1'),
      ),
      'ssh-pg1',
    )?.diff;
    expect(diff).toContain('+page-header-check=n\n');
    // Only the host that runs 2.45 is refused.
    const mixed = at(facts('converged'), '2.55.1');
    mixed.get('ssh-backup2')!.pgbackrestVersion = '2.45';
    expect(() =>
      plan(inventory(CIPHER, 'ssh.toml', '\n[pgbackrest.stanza]\npg-version-force = "15"\n'), mixed),
    ).toThrow(
      'pgbackrest.stanza.pg-version-force: host ssh-backup2 runs pgBackRest 2.45: 2.45 does not have pg-version-force (pgBackRest 2.55 has it)',
    );
  });

  it('an option 2.55 no longer lists is refused for a 2.55 host; 2.45 refuses block incremental without its beta option', () => {
    const block = 'repo1-bundle = true\nrepo1-block = true';
    expect(refusal(`${block}\nrepo1-block-size-map = { "1GiB" = "64KiB" }`, '2.55.1')).toBe(
      'pgbackrest.global.repo1-block-size-map: host ssh-pg1 runs pgBackRest 2.55.1: 2.55.1 does not have repo-block-size-map (pgBackRest 2.45 had it; 2.55 does not list it)',
    );
    expect(refusal(block, '2.55.1')).toBeNull();
    // 2.45's config.yaml marks repo-block `beta`: pgBackRest 2.45 throws without --beta.
    expect(refusal(block, '2.45')).toBe(
      'pgbackrest.global.repo1-block: host ssh-pg1 runs pgBackRest 2.45: 2.45 has repo-block as a beta feature only: pgBackRest refuses it without its internal beta option, which bsync does not set (pgBackRest 2.55 to 2.60 has it as a regular option)',
    );
  });

  it("a value only 2.55 takes is refused for a 2.45 host by 2.45's table and planned for a 2.55 host", () => {
    expect(refusal('backup-standby = "prefer"', '2.45')).toBe(
      'pgbackrest.global.backup-standby: host ssh-pg1 runs pgBackRest 2.45: by the option list of 2.45, backup-standby must be true or false, got "prefer" (pgBackRest 2.55 to 2.60 takes it)',
    );
    expect(refusal('backup-standby = "prefer"', '2.55.1')).toBeNull();
    expect(refusal('compress-level-network = -1', '2.45')).toBe(
      'pgbackrest.global.compress-level-network: host ssh-pg1 runs pgBackRest 2.45: by the option list of 2.45, compress-level-network must be a whole number from 0 to 9, got -1 (pgBackRest 2.55 to 2.60 takes it)',
    );
    expect(refusal('compress-level-network = -1', '2.55.1')).toBeNull();
    // A boolean is y/n for both: 2.45's boolean, 2.55's bool-like string (true would need a standby in the stanza).
    expect(refusal('backup-standby = false', '2.45')).toBeNull();
    expect(refusal('backup-standby = false', '2.55.1')).toBeNull();
  });

  it("start-fast takes the operator's value in bsync's place; a stanza option goes into the stanza section", () => {
    const inv = inventory(
      CIPHER,
      'ssh.toml',
      '\n[pgbackrest.global]\nstart-fast = false\n\n[pgbackrest.stanza]\narchive-timeout = 120\n',
    );
    const diff = confAction(plan(inv, facts('converged')), 'ssh-backup1')?.diff ?? '';
    expect(diff).toContain('-start-fast=y\n+start-fast=n\n');
    expect(diff).toMatch(/pg1-database=postgres\n\+archive-timeout=120\n/);
  });
});

describe('a stanza whose database the server no longer is (a major upgrade, a new initdb)', () => {
  const OLD_ID = '7312345678901234567';
  const NEW_ID = '7412345678901234599';
  /** The converged facts with the stanza's database and the server's identity as info and psql report them. */
  function withDatabases(serverId: string, serverVersion = 150018): Map<string, HostFacts> {
    const hostFacts = facts('converged');
    for (const [backup, pg] of [
      ['ssh-backup1', 'ssh-pg1'],
      ['ssh-backup2', 'ssh-pg2'],
    ]) {
      for (const repo of hostFacts.get(backup)!.repos ?? []) {
        repo.database = { id: 1, version: '15', systemId: OLD_ID };
        for (const entry of repo.backups) entry.databaseId = 1;
      }
      const server = hostFacts.get(pg)!.postgres!;
      server.systemId = pg === 'ssh-pg1' ? serverId : OLD_ID;
      server.versionNum = serverVersion;
    }
    return hostFacts;
  }

  it('plans nothing while the stanza is for the running database', () => {
    expect(plan(inventory(), withDatabases(OLD_ID)).actions).toEqual([]);
  });

  it('plans stanza-upgrade on the backup host, then a full backup of the new database, naming both databases', () => {
    const upgraded = plan(inventory(), withDatabases(NEW_ID));
    const addresses = upgraded.actions.map((action) => action.address);
    expect(addresses).toEqual(['ssh-backup1.stanza[pgedge-lab-1]', 'ssh-backup1.first_backup[pgedge-lab-1]']);
    const [stanza, backup] = upgraded.actions;
    expect(stanza.action).toBe('update');
    expect(stanza.fields).toEqual([
      {
        name: 'database',
        before: `PostgreSQL 15 (system identifier ${OLD_ID})`,
        after: `PostgreSQL 15 (system identifier ${NEW_ID})`,
      },
    ]);
    expect(backup.dependsOn).toContain(stanza.address);
    expect(backup.reason).toBe('after stanza-upgrade the stanza holds no backup of the new database yet');
    expect(renderPlanText(upgraded, { color: false })).toContain('stanza-upgrade adds the new database');
  });

  it('after stanza-upgrade, a full backup of the new database is what counts: one of the old database does not', () => {
    const hostFacts = withDatabases(NEW_ID);
    const repo = hostFacts.get('ssh-backup1')!.repos![0];
    repo.database = { id: 2, version: '15', systemId: NEW_ID };
    expect(plan(inventory(), hostFacts).actions.map((action) => action.address)).toEqual([
      'ssh-backup1.first_backup[pgedge-lab-1]',
    ]);
    repo.backups.push({ ...repo.backups[0], label: '20261206-010000F', databaseId: 2 });
    expect(plan(inventory(), hostFacts).actions).toEqual([]);
  });

  it('a new major version is named in the plan (15 -> 17)', () => {
    const server = { ...facts('converged').get('ssh-pg1')!.postgres!, versionNum: 170002, systemId: NEW_ID };
    const repo = {
      ...facts('converged').get('ssh-backup1')!.repos![0],
      database: { id: 1, version: '15', systemId: OLD_ID },
    };
    const change = planStanza({ stanza: 'pgedge-lab-1', pgbackrest: 'pgbackrest' }, 'backrest', [repo], server);
    expect(change?.steps.map((step) => step.command)).toEqual([
      'pgbackrest --stanza=pgedge-lab-1 --log-level-console=warn stanza-upgrade',
    ]);
    expect(change?.steps[0].user).toBe('backrest');
    expect(change?.fields).toEqual([
      {
        name: 'database',
        before: `PostgreSQL 15 (system identifier ${OLD_ID})`,
        after: `PostgreSQL 17 (system identifier ${NEW_ID})`,
      },
    ]);
  });

  it("reads the stanza's system identifier digit for digit, past what a JavaScript number holds", () => {
    const text = `[{"name":"s","status":{"code":0,"message":"ok"},"db":[{"id":1,"repo-key":1,"system-id":${OLD_ID},"version":"15"},{"id":2,"repo-key":1,"system-id":${NEW_ID},"version":"17"}],"backup":[],"archive":[]}]`;
    expect(String(JSON.parse(text)[0].db[0]['system-id'])).not.toBe(OLD_ID);
    expect(parseInfo(JSON.parse(bigIdsAsText(text)), 's').database).toEqual({ id: 2, version: '17', systemId: NEW_ID });
  });
});
