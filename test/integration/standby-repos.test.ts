// Backups from a standby where no backup host exists: the zone's primary runs the backup
// and reads the files of its streaming replica over SSH (pgN-host), for a posix repository
// (a folder both hosts mount, as an NFS share) and an azure one (Azurite). The replica is
// itself rebuilt from that repository with `bsync restore --standby`. The proof that a
// backup read the standby is pgBackRest's own log line for it, counted on the primary.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES } from '../support/bsync.js';
import { onHost, resetScenario, sh } from '../support/lab.js';
import {
  converge,
  expectNoChanges,
  expectReplayed,
  expectStreaming,
  psql,
  restore,
  standbyReads,
  wipeForStandby,
} from '../support/recovery.js';

const work = mkdtempSync(join(tmpdir(), 'bsync-standby-repos-'));

const ZONES = [
  { scenario: 'posix' as const, primary: 'posix-pg1', standby: 'posix-pg2', address: '127.0.1.72' },
  { scenario: 'azure' as const, primary: 'azure-pg1', standby: 'azure-pg2', address: '127.0.1.82' },
];

for (const zone of ZONES) {
  const stanza = `pgedge-${zone.scenario}-1`;
  const fixture = `${FIXTURES}lab/${zone.scenario}.toml`;
  /** The scenario's fixture with its second host in zone 1, and backup_from when given. */
  const withStandby = (backupFrom?: string) => {
    const file = join(work, `${zone.scenario}-${backupFrom ?? 'two'}.toml`);
    let text = `${readFileSync(fixture, 'utf8')}\n[[host]]\nname = "${zone.standby}"\naddress = "${zone.address}"\nrole = "postgres"\n# Its data directory is wiped before the restore: no server says where it is then.\npg_data = "/var/lib/postgresql/15/main"\n`;
    if (backupFrom) text = text.replace('pg_version = 15\n', `pg_version = 15\nbackup_from = "${backupFrom}"\n`);
    writeFileSync(file, text);
    return file;
  };

  describe(`backups from a standby, ${zone.scenario} repository without a backup host`, () => {
    beforeAll(async () => {
      await resetScenario(zone.scenario);
      // The stanza and its first full backup exist on the primary before the second host
      // joins the zone (as the standby it becomes next).
      await converge(fixture);
      await converge(withStandby());
    }, 900_000);

    it(`${zone.standby} comes back from the repository as ${zone.primary}'s streaming replica`, async () => {
      await wipeForStandby(zone.primary, zone.standby);
      await psql(zone.primary, 'DROP TABLE IF EXISTS restore_probe');
      await psql(zone.primary, 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
      await psql(zone.primary, 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1, 2000) g');
      const run = await restore(withStandby(), '--host', zone.standby, '--standby', '--yes');
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect((await psql(zone.standby, 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
      await expectStreaming(zone.primary, zone.standby);
      await expectNoChanges(withStandby());
    }, 600_000);

    it('backup_from = "standby": the primary trusts its standby as postgres, and its incr reads the standby', async () => {
      const config = withStandby('standby');
      await converge(config);
      const conf = await sh(zone.primary, 'cat /etc/pgbackrest/pgbackrest.conf');
      expect(conf).toContain('backup-standby=y\n');
      expect(conf).toContain(`pg2-host=${zone.standby}\n`);
      // The standby's file names the primary the same way: after a failover it backs up from it.
      const standbyConf = await sh(zone.standby, 'cat /etc/pgbackrest/pgbackrest.conf');
      expect(standbyConf).toContain(`pg2-host=${zone.primary}\n`);
      expect(standbyConf).toContain('backup-standby=y\n');
      const login = await onHost(
        zone.primary,
        `runuser -u postgres -- ssh -o BatchMode=yes ${zone.standby} 'id -un; hostname'`,
      );
      expect(login.stdout, login.stderr).toBe(`postgres\n${zone.standby}\n`);

      const before = await standbyReads(zone.primary, stanza);
      await psql(zone.primary, "UPDATE restore_probe SET v = 'after' WHERE id % 3 = 0");
      const run = await bsync(['backup', '-c', config, '--type', 'incr']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await standbyReads(zone.primary, stanza)).toBe(before + 1);
      // The replica still streams what the primary writes after that backup.
      await psql(zone.primary, "INSERT INTO restore_probe SELECT g, 'later' FROM generate_series(2001, 2100) g");
      await expectReplayed(zone.primary, zone.standby);
      await expectNoChanges(config);
    }, 600_000);

    it("check passes on the primary, and the stanza holds the full and the standby's incr", async () => {
      await sh(zone.primary, `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} check`);
      const info = await sh(
        zone.primary,
        `cd / && runuser -u postgres -- pgbackrest --stanza=${stanza} info --output=json`,
      );
      const backups = JSON.parse(info)[0].backup as Array<{ type: string }>;
      expect(backups.map((backup) => backup.type)).toEqual(['full', 'incr']);
    }, 300_000);
  });
}
