// A standby site (issue 29 item 5): [[zone]] standby_of on the recorded facts. The ssh
// scenario in an object store (no backup hosts), ssh-pg2 re-declared as zone 3, a standby of
// zone 1's stanza. While its server has no data, the plan restores zone 1's newest backup
// there as a standby (archive_mode off, restore_command from zone 1's stanza) and asks apply
// to plan again; once it runs in recovery, the declared state keeps it a reader of zone 1's
// stanza, with no stanza, archiving or backups of its own; a server promoted by hand is refused.
import { describe, expect, it } from 'vitest';
import { hostNeeds } from '../../lib/desired/needs.js';
import type { HostFacts } from '../../lib/facts/types.js';
import type { Planned } from '../../lib/operations/planning.js';
import { promotePlanning } from '../../lib/operations/promote.js';
import { decodePromoteRequest } from '../../lib/recovery/requests.js';
import { ENV, problemsOf } from '../support/configs.js';
import { savedPlanText, secretsShownIn } from '../support/saved-secrets.js';
import { sessionOf } from '../support/sessions.js';
import {
  commandsOf,
  DATA,
  expectSavedWithoutSecrets,
  load,
  planDeclared as plan,
  planText,
  standbyFacts,
  zone3Config,
  zone3Facts,
} from '../support/first-data.js';

const STANDBY = '[[zone]]\nid = 3\nstandby_of = { zone = 1 }\n';
const config = (zone = STANDBY) => zone3Config(zone);
const SOURCE_GET = 'pgbackrest --stanza=pgedge-lab-1 archive-get %f "%p"';
const running = standbyFacts;

const pg2Actions = (planned: Planned) => planned.plan.actions.filter((action) => action.host === 'ssh-pg2');
const refusalOf = (planning: Promise<Planned>) =>
  planning.then(
    () => 'planned',
    (error: Error & { hint?: string }) => `${error.message} | ${error.hint}`,
  );

describe('[[zone]] standby_of: the config', () => {
  it('reads the source zone and the repository', () => {
    expect(load(config()).standbyOf).toEqual(new Map([[3, { zone: 1, repo: 1, stream: false }]]));
    expect(load(config('')).standbyOf).toBeUndefined();
  });

  it.each([
    [
      'both keys',
      'standby_of = { zone = 1 }\nfrom_backup = { zone = 1 }',
      /zone\[1\]: zone 3 has both from_backup and standby_of/,
    ],
    ['its own zone', 'standby_of = { zone = 3 }', /zone\[1\]\.standby_of\.zone: zone 3 cannot be a standby of itself/],
    ['an unknown source zone', 'standby_of = { zone = 7 }', /no \[\[host\]\] is in zone 7: the source zone is unknown/],
    [
      'a repository the config does not have',
      'standby_of = { zone = 1, repo = 2 }',
      /standby_of\.repo: the config has no repo2/,
    ],
    ['a key the table does not have', 'standby_of = { zone = 1, target = "latest" }', /standby_of/],
  ])('refuses %s', (_name, line, message) => {
    expect(problemsOf(() => load(config(`[[zone]]\nid = 3\n${line}\n`))).join('\n')).toMatch(message);
  });

  it('refuses what from_backup refuses: one stanza, a passphrase per stanza, no pg_data, Patroni, two servers', () => {
    const problems = (text: string) => problemsOf(() => load(text)).join('\n');
    expect(problems(config().replace('pg_version = 15\n', 'pg_version = 15\nstanza = "shared"\n'))).toMatch(
      /zone 3 and zone 1 have one stanza, shared: the standby site would be a host of the stanza it replays/,
    );
    expect(problems(config().replace(/cipher_pass = \{ env = "CIPHER" \}\n/, ''))).toMatch(/cipher_pass named/);
    expect(problems(config().replace(/(name = "ssh-pg2"[\s\S]*?)pg_data = .*\n/, '$1'))).toMatch(
      /host ssh-pg2 has no pg_data/,
    );
    expect(problems(config().replace('[backup_user]', '[patroni]\n\n[backup_user]'))).toMatch(
      /a Patroni standby cluster is not supported yet: Patroni reads bootstrap.dcs.standby_cluster only when it starts/,
    );
    const twoServers = config(
      `[[host]]\nname = "ssh-pg3"\naddress = "127.0.1.13"\nrole = "postgres"\nzone = 3\n\n${STANDBY}`,
    );
    expect(problems(twoServers)).toMatch(/zone 3 has 2 PostgreSQL hosts: a standby site is one server/);
  });

  it('asks the standby’s host where its server lives and whether pg_data holds data; the source’s hosts as before', () => {
    const inventory = load(config());
    const pg2 = inventory.hosts.find((host) => host.name === 'ssh-pg2')!;
    expect(hostNeeds(inventory, pg2).files).toContainEqual({ path: `${DATA}/PG_VERSION`, readContent: false });
    expect(hostNeeds(inventory, pg2).storedLayout).toBe(true);
    const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
    expect(hostNeeds(inventory, pg1)).toEqual(hostNeeds(load(config('')), pg1));
  });
});

describe('[[zone]] standby_of: the first data', () => {
  it('restores zone 1’s newest backup as a standby into the empty folder, archiving off, restore_command from zone 1; apply plans again', async () => {
    const planned = await plan(load(config()), zone3Facts(true));
    expect(planned.planAgain).toBe(true);
    const restore = commandsOf(planned, 'ssh-pg2', 'pg_restore');
    expect(restore).toContain('pgbackrest --stanza=pgedge-lab-1 ');
    expect(restore).toContain('--type=standby --target-timeline=latest');
    expect(restore).toContain('--archive-mode=off');
    expect(restore).toContain(`--recovery-option='restore_command=${SOURCE_GET}' restore`);
    expect(restore).not.toMatch(/--delta|--force|--target-action|--pg1-path/);
    // Made when missing, refused when it holds anything; pgBackRest's line stays in postgresql.auto.conf.
    expect(restore.indexOf('ls -A')).toBeGreaterThan(-1);
    expect(restore.indexOf('ls -A')).toBeLessThan(restore.indexOf('pgbackrest --stanza'));
    expect(restore).not.toContain('postgresql.auto.conf');
  });

  it("saves none of the config's secrets: pgbackrest.conf's S3 key, secret and passphrase shown as (sensitive)", async () => {
    const planned = await plan(load(config()), zone3Facts(true));
    expect(planned.planAgain).toBe(true);
    expectSavedWithoutSecrets(planned);
  });

  it('puts pgBackRest’s setup first, then restore, start and the wait until consistent: no promotion, no archive check', async () => {
    const planned = await plan(load(config()), zone3Facts(true));
    const pg2 = pg2Actions(planned);
    const kinds = pg2.map((action) => action.kind);
    expect(kinds.slice(-3)).toEqual(['pg_restore', 'pg_start', 'standby_ready']);
    expect(pg2.find((action) => action.kind === 'pg_restore')!.dependsOn).toContain('ssh-pg2.pgbackrest_conf');
    for (const kind of ['recovery_end', 'archive_check', 'stanza', 'first_backup', 'crontab', 'backup_job'])
      expect(kinds).not.toContain(kind);
    // Zone 1 is planned as without the [[zone]] table.
    const zone1 = (p: Planned) =>
      p.plan.actions.filter((action) => action.host === 'ssh-pg1').map(({ fingerprint: _, ...shown }) => shown);
    expect(zone1(planned)).toEqual(zone1(await plan(load(config('')), zone3Facts(false))));
  });

  it('writes zone 1’s stanza into the standby’s pgbackrest.conf, with its own data directory, never zone 3’s', async () => {
    const conf = pg2Actions(await plan(load(config()), zone3Facts(true))).find(
      (action) => action.kind === 'pgbackrest_conf',
    )!;
    expect(conf.diff).toMatch(/\+\[pgedge-lab-1\]\n pg1-path=\/var\/lib\/postgresql\/15\/main\n/);
    expect(JSON.stringify(conf)).not.toContain('pgedge-lab-3');
  });

  it('never overwrites: a stopped server whose pg_data holds a data directory is refused', async () => {
    expect(await refusalOf(plan(load(config()), zone3Facts(true, true)))).toMatch(
      /holds a data directory \(PG_VERSION\), but PostgreSQL does not answer on port 5432: zone 3's standby_of restores only into an empty folder \| bsync never overwrites data/,
    );
  });
});

describe('[[zone]] standby_of: the running standby', () => {
  it('replays zone 1’s stanza and archives nothing: archive_mode off, restore_command from zone 1, in postgresql.conf', async () => {
    const planned = await plan(load(config()), running(true));
    expect(planned.planAgain).toBeUndefined();
    const pg2 = pg2Actions(planned);
    const diff = pg2.find((action) => action.kind === 'postgresql_conf')!.diff!;
    expect(diff).toContain("+archive_mode = 'off'\t# bsync");
    expect(diff).toContain(`+restore_command = '${SOURCE_GET}'\t# bsync`);
    expect(JSON.stringify(pg2)).not.toMatch(/pgedge-lab-1 archive-push|--stanza=pgedge-lab-3/);
    expect(pg2.find((action) => action.kind === 'pg_restart')!.fields).toEqual([
      { name: 'archive_mode', before: 'on', after: 'off' },
    ]);
  });

  it('has no stanza, backup role, .pgpass line, backups or jobs of its own', async () => {
    const kinds = pg2Actions(await plan(load(config()), running(true))).map((action) => action.kind);
    for (const kind of ['stanza', 'first_backup', 'crontab', 'backup_job', 'pg_role', 'pg_hba', 'pgpass'])
      expect(kinds).not.toContain(kind);
  });

  it('has nothing to change once converged', async () => {
    expect(pg2Actions(await plan(load(config()), running(true, true)))).toEqual([]);
  });

  it('has nothing to change either with zone 1’s stanza in its repository facts, as its probes read it (hostStanza)', async () => {
    const facts = running(true, true);
    facts.get('ssh-pg2')!.repos = structuredClone(facts.get('ssh-pg1')!.repos!);
    expect(facts.get('ssh-pg2')!.repos![0]).toMatchObject({ stanza: 'pgedge-lab-1', backupInfoExists: true });
    expect(pg2Actions(await plan(load(config()), facts))).toEqual([]);
  });

  it('refuses a server promoted by hand as drift, naming both ways out', async () => {
    const refusal = await refusalOf(plan(load(config()), running(false, true)));
    expect(refusal).toMatch(
      /zone 3 is declared a standby of zone 1 \(standby_of\), but PostgreSQL on ssh-pg2 runs as a primary, not a standby: promoted outside bsync, or never restored as one/,
    );
    expect(refusal).toMatch(/remove standby_of from \[\[zone\]\] 3/);
    expect(refusal).toMatch(/empty \/var\/lib\/postgresql\/15\/main, and apply/);
  });

  it('once standby_of is removed, the promoted server is planned as any zone’s: its own stanza and archiving', async () => {
    const planned = await plan(load(config('')), running(false, true));
    const pg2 = pg2Actions(planned);
    expect(pg2.find((action) => action.kind === 'postgresql_conf')!.diff).toContain(
      "+archive_command = 'pgbackrest --stanza=pgedge-lab-3 archive-push %p'",
    );
    expect(pg2.find((action) => action.kind === 'stanza')!.title).toBe('stanza pgedge-lab-3');
  });
});

describe('bsync promote --zone N', () => {
  const promote = (text: string, byHost: Map<string, HostFacts>, zone = 3) =>
    promotePlanning({ zone }).plan(sessionOf(load(text)), byHost);

  it('refuses while the config still declares the zone standby_of, and what is no standby site', async () => {
    expect(await refusalOf(promote(config(), running(true, true)))).toMatch(
      /zone 3 is still declared standby_of = \{ zone = 1 \} \| Remove standby_of from \[\[zone\]\] 3/,
    );
    expect(await refusalOf(promote(config(''), running(true, true), 7))).toMatch(
      /--zone 7: the config has no such zone/,
    );
    const twoServers = config('[[host]]\nname = "ssh-pg3"\naddress = "127.0.1.13"\nrole = "postgres"\nzone = 3\n');
    expect(await refusalOf(promote(twoServers, running(true, true)))).toMatch(
      /zone 3 has 2 PostgreSQL hosts: bsync promote promotes a standby site, one server/,
    );
    const down = zone3Facts(true);
    expect(await refusalOf(promote(config(''), down))).toMatch(
      /PostgreSQL does not answer on port 5432: psql: error.* \| bsync promotes a running standby/,
    );
  });

  it('promotes the standby in one step that a rerun finds done, then plans again', async () => {
    const planned = await promote(config(''), running(true, true));
    expect(planned.plan.operation).toMatchObject({ kind: 'promote', request: { zone: 3 } });
    expect(planned.plan.actions.map((action) => action.address)).toEqual(['ssh-pg2.pg_promote']);
    expect(planned.planAgain).toBe(true);
    expect(planText(planned)).toContain('Promote: 1 step on ssh-pg2.');
    const step = commandsOf(planned, 'ssh-pg2', 'pg_promote');
    expect(step).toMatch(/^\[ "\$\(.*SELECT pg_is_in_recovery\(\).*\)" = f \] \|\| .*SELECT pg_promote\(true, 3600\)/);
    expect(step.split('\n')[1]).toContain('still in recovery after pg_promote');
  });

  it("saves none of the config's secrets, neither the promotion's plan nor the declared state's after it", async () => {
    const promotion = await promote(config(''), running(true, true));
    expect(promotion.plan.operation).toMatchObject({ kind: 'promote' });
    const after = await promote(config(''), running(false, true));
    // pgbackrest.conf's change, the passphrase among its lines: where a secret would show.
    expect(after.plan.actions.find((action) => action.address === 'ssh-pg2.pgbackrest_conf')!.diff).toContain(
      'repo1-cipher-pass=(sensitive)',
    );
    for (const planned of [promotion, after])
      expect(secretsShownIn(savedPlanText(planned.plan), Object.values(ENV))).toEqual([]);
  });

  it('once the server runs as a primary, is the declared state: its own stanza and archiving', async () => {
    const promoted = running(false, true);
    const planned = await promote(config(''), promoted);
    expect(planned.plan.operation).toBeUndefined();
    expect(planned.planAgain).toBeUndefined();
    expect(planText(planned)).toBe(planText(await plan(load(config('')), promoted)));
    expect(pg2Actions(planned).find((action) => action.kind === 'stanza')!.title).toBe('stanza pgedge-lab-3');
  });

  it('takes a zone, as the command line and a saved plan give it', () => {
    expect(decodePromoteRequest({ zone: '3' })).toEqual({ zone: 3 });
    expect(() => decodePromoteRequest({})).toThrow(/--zone is missing/);
    expect(() => decodePromoteRequest({ zone: 3, host: 'ssh-pg2' })).toThrow(/a promote request has no "host"/);
  });
});
