// A cluster from a backup (issue 29 item 6): [[zone]] from_backup on the recorded facts. The
// ssh scenario in an object store (no backup hosts), ssh-pg2 re-declared as zone 3 from zone
// 1's backup; a facts variant where its server is down and its pg_data holds nothing. The
// first plan restores there (archive_mode off, into the empty folder, no check of the
// source's stanza) and asks apply to plan again; once the server runs, from_backup has no
// effect, and the declared state archives into zone 3's own stanza.
import { describe, expect, it } from 'vitest';
import { hostNeeds } from '../../lib/desired/needs.js';
import type { Planned } from '../../lib/operations/planning.js';
import {
  commandsOf as commands,
  DATA,
  expectSavedWithoutSecrets,
  load,
  planDeclared as plan,
  planText as text,
  S3_TABLE,
  zone3Config,
  zone3Facts as facts,
} from '../support/first-data.js';
import { problemsOf } from '../support/configs.js';

/** Inside the recorded window: backup 20261202-003350F consistent at 00:33:56, WAL archived to 00:33:58. */
const T = 'time=2026-12-02 00:33:57.250113+00';

/** ssh.toml in S3 without backup hosts, ssh-pg2 as zone 3; `zone` is the [[zone]] table (none: left out). */
const config = (zone = `[[zone]]\nid = 3\nfrom_backup = { zone = 1, target = "${T}" }\n`) => zone3Config(zone);

describe('[[zone]] from_backup: the config', () => {
  it('reads the source zone, the target and the repository', () => {
    const from = load(config()).fromBackup!.get(3)!;
    expect(from).toEqual({
      zone: 1,
      target: { type: 'time', ms: Date.parse('2026-12-02T00:33:57.250Z'), micros: 113 },
      repo: 1,
    });
    expect(load(config('')).fromBackup).toBeUndefined();
  });

  it.each([
    [
      'an unknown source zone',
      'from_backup = { zone = 7 }',
      /zone\[1\]\.from_backup\.zone: no \[\[host\]\] is in zone 7: the source zone is unknown/,
    ],
    ['its own zone', 'from_backup = { zone = 3 }', /zone 3 cannot start from its own backup/],
    [
      'a time without a zone',
      'from_backup = { zone = 1, target = "time=2026-12-07 11:26:24" }',
      /from_backup\.target: "time=2026-12-07 11:26:24": the time has no zone/,
    ],
    [
      'an unknown target kind',
      'from_backup = { zone = 1, target = "when=now" }',
      /from_backup\.target: "when=now": no target kind "when"/,
    ],
    [
      'a repository the config does not have',
      'from_backup = { zone = 1, repo = 2 }',
      /from_backup\.repo: the config has no repo2/,
    ],
  ])('refuses %s', (_name, line, message) => {
    expect(problemsOf(() => load(config(`[[zone]]\nid = 3\n${line}\n`))).join('\n')).toMatch(message);
  });

  it('refuses one stanza for both zones: the new zone would archive into its source', () => {
    const text = config().replace('pg_version = 15\n', 'pg_version = 15\nstanza = "shared"\n');
    expect(problemsOf(() => load(text)).join('\n')).toMatch(
      /zone 3 and zone 1 have one stanza, shared: the new zone would archive into the stanza it starts from/,
    );
  });

  it('refuses a passphrase per stanza, no pg_data; takes Patroni and a posix folder (one share on every host)', () => {
    expect(load(config().replace('type = "s3"', 'type = "posix"').replace(S3_TABLE, '')).fromBackup?.get(3)?.zone).toBe(
      1,
    );
    expect(problemsOf(() => load(config().replace(/cipher_pass = \{ env = "CIPHER" \}\n/, ''))).join('\n')).toMatch(
      /cipher_pass named/,
    );
    expect(
      problemsOf(() => load(config().replace(/(name = "ssh-pg2"[\s\S]*?)pg_data = .*\n/, '$1'))).join('\n'),
    ).toMatch(/host ssh-pg2 has no pg_data/);
    // Under [patroni] the zone is taken: Patroni bootstraps it (lib/recovery/patroni-bootstrap.ts).
    expect(load(config().replace('[backup_user]', '[patroni]\n\n[backup_user]')).fromBackup?.get(3)?.zone).toBe(1);
  });

  it('refuses a [[zone]] of no hosts, and a zone given twice', () => {
    expect(problemsOf(() => load(config('[[zone]]\nid = 9\n'))).join('\n')).toMatch(
      /zone\[1\]\.id: no \[\[host\]\] is in zone 9/,
    );
    expect(problemsOf(() => load(config('[[zone]]\nid = 3\n[[zone]]\nid = 3\n'))).join('\n')).toMatch(
      /zone\[2\]\.id: zone 3 has a \[\[zone\]\] table already/,
    );
  });

  it('asks the new zone’s host where its server lives and whether pg_data holds data; the source’s hosts as before', () => {
    const inventory = load(config());
    const pg2 = inventory.hosts.find((host) => host.name === 'ssh-pg2')!;
    expect(hostNeeds(inventory, pg2).storedLayout).toBe(true);
    expect(hostNeeds(inventory, pg2).files).toContainEqual({ path: `${DATA}/PG_VERSION`, readContent: false });
    const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
    expect(hostNeeds(inventory, pg1)).toEqual(hostNeeds(load(config('')), pg1));
  });
});

describe('[[zone]] from_backup: the plan', () => {
  it('restores zone 1’s backup into the empty folder, archiving off, then starts and promotes; apply plans again', async () => {
    const planned = await plan(load(config()), facts(true));
    expect(planned.planAgain).toBe(true);
    const restore = commands(planned, 'ssh-pg2', 'pg_restore');
    expect(restore).toContain(`pgbackrest --pg1-path=${DATA} --stanza=pgedge-lab-1`);
    expect(restore).toContain('--archive-mode=off');
    expect(restore).toContain("'--target=2026-12-02 00:33:57.250113+00'");
    expect(restore).not.toMatch(/--delta|--force/);
    // The folder is made when missing and refused when it holds anything, before pgBackRest runs.
    expect(restore).toMatch(
      /\[ -z "\$\(ls -A \/var\/lib\/postgresql\/15\/main\)" \] \|\| \{ echo '\/var\/lib\/postgresql\/15\/main is not an empty folder/,
    );
    expect(restore.indexOf('ls -A')).toBeLessThan(restore.indexOf('pgbackrest --pg1-path'));
    // WAL comes from the source's stanza while it recovers; nothing is checked or pushed there.
    expect(restore).toContain(`restore_command=pgbackrest --pg1-path=${DATA} --stanza=pgedge-lab-1 --archive-async`);
    expect(planned.plan.actions.some((action) => action.kind === 'archive_check')).toBe(false);
    expect(text(planned)).not.toMatch(/archive-push/);
  });

  it("saves none of the config's secrets: pgbackrest.conf's S3 key, secret and passphrase shown as (sensitive)", async () => {
    const planned = await plan(load(config()), facts(true));
    expect(planned.planAgain).toBe(true);
    expectSavedWithoutSecrets(planned);
  });

  it('puts pgBackRest’s setup first, then restore, start, promotion; nothing of the running server', async () => {
    const planned = await plan(load(config()), facts(true));
    const pg2 = planned.plan.actions.filter((action) => action.host === 'ssh-pg2');
    const kinds = pg2.map((action) => action.kind);
    expect(kinds.slice(-3)).toEqual(['pg_restore', 'pg_start', 'recovery_end']);
    const restore = pg2.find((action) => action.kind === 'pg_restore')!;
    expect(restore.dependsOn).toContain('ssh-pg2.pgbackrest_conf');
    expect(pg2.find((action) => action.kind === 'pg_start')!.dependsOn).toEqual([restore.address]);
    for (const kind of ['postgresql_conf', 'stanza', 'first_backup', 'pg_role', 'pg_restart'])
      expect(kinds).not.toContain(kind);
    // Zone 1 is planned as without the [[zone]] table.
    const without = await plan(load(config('')), facts(false));
    const zone1 = (p: Planned) =>
      p.plan.actions.filter((action) => action.host === 'ssh-pg1').map(({ fingerprint: _, ...shown }) => shown);
    expect(zone1(planned)).toEqual(zone1(without));
  });

  it('writes zone 3’s own stanza into pgbackrest.conf, never zone 1’s', async () => {
    const conf = (await plan(load(config()), facts(true))).plan.actions.find(
      (action) => action.host === 'ssh-pg2' && action.kind === 'pgbackrest_conf',
    );
    const written = JSON.stringify(conf);
    expect(written).toContain('[pgedge-lab-3]');
    expect(written).not.toContain('[pgedge-lab-1]');
  });

  it('has no effect once the server runs: the plan is the one without from_backup, archiving into zone 3’s stanza', async () => {
    const planned = await plan(load(config()), facts(false));
    expect(planned.planAgain).toBeUndefined();
    expect(text(planned)).toBe(text(await plan(load(config('')), facts(false))));
    const conf = planned.plan.actions.find((action) => action.host === 'ssh-pg2' && action.kind === 'postgresql_conf')!
      .diff!;
    expect(conf).toContain('pgbackrest --stanza=pgedge-lab-3 archive-push %p');
    expect(conf).not.toContain('--stanza=pgedge-lab-1 archive-push');
  });

  it('the second round, on the restored server: its own stanza in postgresql.conf first, then pgBackRest’s archive_mode off removed, then the restart', async () => {
    const byHost = facts(false);
    // As the restore leaves it: promoted, archive_mode off in postgresql.auto.conf (pgBackRest's --archive-mode=off).
    const pg = byHost.get('ssh-pg2')!.postgres!;
    const auto = `${DATA}/postgresql.auto.conf`;
    pg.settings.archive_mode = { ...pg.settings.archive_mode, setting: 'off', sourcefile: auto, sourceline: 3 };
    pg.fileSettings.push({
      name: 'archive_mode',
      setting: 'off',
      sourcefile: auto,
      sourceline: 3,
      applied: true,
      error: null,
    });
    const planned = await plan(load(config()), byHost);
    expect(planned.planAgain).toBeUndefined();
    const pg2 = planned.plan.actions.filter((action) => action.host === 'ssh-pg2');
    const address = (kind: string) => pg2.find((action) => action.kind === kind)!.address;
    expect(pg2.find((action) => action.kind === 'postgresql_conf')!.diff).toContain(
      "+archive_command = 'pgbackrest --stanza=pgedge-lab-3 archive-push %p'",
    );
    const override = pg2.find((action) => action.kind === 'setting_override')!;
    expect(override.fields).toEqual([{ name: 'archive_mode', before: 'off' }]);
    expect(planned.changes.get(override.address)!.steps[0].stdin).toEqual(['ALTER SYSTEM RESET archive_mode;\n']);
    // archive_mode comes back on only where postgresql.conf already names zone 3's stanza.
    expect(override.dependsOn).toContain(address('postgresql_conf'));
    expect(pg2.find((action) => action.kind === 'pg_restart')!.dependsOn).toEqual(
      expect.arrayContaining([address('postgresql_conf'), override.address]),
    );
    expect(JSON.stringify(pg2)).not.toContain('pgedge-lab-1');
    // Then its own stanza and first full backup, once archiving is in effect.
    const stanza = pg2.find((action) => action.kind === 'stanza')!;
    expect([stanza.action, stanza.title]).toEqual(['create', 'stanza pgedge-lab-3']);
    expect(stanza.dependsOn).toContain(address('pg_restart'));
    expect(pg2.find((action) => action.kind === 'first_backup')!.dependsOn).toContain(stanza.address);
  });

  it('never overwrites: a stopped server whose pg_data holds a data directory is refused', async () => {
    const refusal = await plan(load(config()), facts(true, true)).then(
      () => 'planned',
      (error: Error & { hint?: string }) => `${error.message} | ${error.hint}`,
    );
    expect(refusal).toMatch(
      /\/var\/lib\/postgresql\/15\/main holds a data directory \(PG_VERSION\), but PostgreSQL does not answer on port 5432: zone 3's from_backup restores only into an empty folder/,
    );
    expect(refusal).toMatch(/bsync never overwrites data/);
  });

  it.each([
    ['2000-01-01 00:00:00+00', /is before the recovery window/],
    ['2026-12-07 11:26:24+00', /is past the end of the recovery window of repo1/],
  ])('refuses a target outside zone 1’s recovery window (%s)', async (time, message) => {
    const outside = config(`[[zone]]\nid = 3\nfrom_backup = { zone = 1, target = "time=${time}" }\n`);
    const refusal = await plan(load(outside), facts(true)).then(
      () => 'planned',
      (error: Error) => error.message,
    );
    expect(refusal).toMatch(message);
  });

  it('refuses to plan the new zone without its source zone’s hosts', async () => {
    const byHost = facts(true);
    byHost.delete('ssh-pg1');
    const refusal = await plan(load(config()), byHost).then(
      () => 'planned',
      (error: Error) => error.message,
    );
    expect(refusal).toMatch(/whose repository is read on ssh-pg1: it is not among the hosts planned/);
  });

  it('refuses a source repository that cannot be read', async () => {
    const byHost = facts(true);
    byHost.get('ssh-pg1')!.repos = [
      { ...byHost.get('ssh-pg1')!.repos![0], statusCode: null, statusMessage: 'cipher error' },
    ];
    const refusal = await plan(load(config()), byHost).then(
      () => 'planned',
      (error: Error) => error.message,
    );
    expect(refusal).toMatch(/repo1 of pgedge-lab-1 cannot be read from ssh-pg1/);
  });
});
