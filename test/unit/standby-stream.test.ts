// A standby site that also streams (standby_of.stream; docs/recovery.md, "Streaming from the
// source zone") on the recorded facts: ssh-pg2 as zone 3, a standby of zone 1 (ssh-pg1). bsync
// declares [replication_user]'s role on zone 1's primary and a pg_hba.conf replication rule for
// ssh-pg2's address, and on ssh-pg2 primary_conninfo (a passfile, no password) with the role's
// .pgpass line. The password is in no plan, saved plan or command line; a converged pair plans
// nothing; an unknown source primary leaves primary_conninfo as it is, said as a warning; once
// standby_of is removed (promotion), bsync's primary_conninfo is emptied and the rule removed.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { postgresProbe } from '../../lib/facts/postgres.js';
import { probeContext } from '../../lib/facts/probe.js';
import { conninfo, conninfoValue } from '../../lib/formats/conninfo.js';
import type { Planned } from '../../lib/operations/planning.js';
import { scramVerifier } from '../../lib/resources/scram.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, problemsOf } from '../support/configs.js';
import { planDeclared as plan, planText, standbyFacts, zone3Config } from '../support/first-data.js';

const SECRET = 'replication-SECRET-pass:word\\0123';
const ROLE_TABLE = '[replication_user]\npassword = { env = "REPL" }\n';
const STREAM = `[[zone]]\nid = 3\nstandby_of = { zone = 1, stream = true }\n\n${ROLE_TABLE}`;
const load = (zone: string) => parseConfig(zone3Config(zone), `${FIXTURES}lab/ssh.toml`, { ...ENV, REPL: SECRET });
const PASSFILE = '/var/lib/postgresql/.pgpass';
const CONNINFO = `host=ssh-pg1 port=5432 user=bsync_replication passfile=${PASSFILE} application_name=ssh-pg2`;
const RULE = 'host    replication    bsync_replication    127.0.1.12/32    scram-sha-256    # bsync';
const PGPASS_LINE = 'ssh-pg1:5432:*:bsync_replication:';

const actionsOf = (planned: Planned, host: string) => planned.plan.actions.filter((action) => action.host === host);
const actionOf = (planned: Planned, host: string, kind: string) =>
  actionsOf(planned, host).find((action) => action.kind === kind);
const shown = (planned: Planned, host: string) =>
  actionsOf(planned, host).map(({ fingerprint: _, ...action }) => action);

/** ssh-pg2 a standby, converged as a replaying standby site; `streaming`: both sides as the stream leaves them. */
function facts(streaming: boolean, edit?: (all: Map<string, HostFacts>) => void) {
  return standbyFacts(true, true, (all) => {
    if (streaming) streamed(all);
    edit?.(all);
  });
}

function streamed(all: Map<string, HostFacts>): void {
  const pg1 = all.get('ssh-pg1')!.postgres!;
  // The recorded rule for ssh-backup1, a backup host this config does not have, is gone with the edit.
  pg1.hbaContent = pg1.hbaContent.replace(/^host .*backrest.*# bsync$/m, RULE);
  pg1.roles.bsync_replication = { login: true, replication: true, password: scramVerifier(SECRET), memberOf: [] };
  const pg2 = all.get('ssh-pg2')!;
  pg2.postgres!.configContent += `primary_conninfo = '${CONNINFO}'\t# bsync\n`;
  pg2.postgres!.settings.primary_conninfo = {
    ...pg2.postgres!.settings.restore_command,
    setting: CONNINFO,
    context: 'sighup',
  };
  pg2.files['~postgres/.pgpass'] = {
    ...pg2.files['~postgres/.pgpass'],
    content: `${PGPASS_LINE}${SECRET.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`,
  };
}

describe('standby_of.stream: the config', () => {
  it('reads stream and the streaming role, bsync_replication by default', () => {
    const inventory = load(STREAM);
    expect(inventory.standbyOf?.get(3)).toEqual({ zone: 1, repo: 1, stream: true });
    expect(inventory.replicationUser?.name).toBe('bsync_replication');
    expect(inventory.replicationUser?.password.reveal()).toBe(SECRET);
    expect(
      load(STREAM.replace('[replication_user]\n', '[replication_user]\nname = "site_b"\n')).replicationUser?.name,
    ).toBe('site_b');
  });

  it.each([
    [
      'no password for the role',
      STREAM.replace(ROLE_TABLE, ''),
      /replication_user\.password: is required while a \[\[zone\]\] declares standby_of\.stream = true/,
    ],
    [
      'the backup role’s name',
      STREAM.replace('[replication_user]\n', '[replication_user]\nname = "backrest"\n'),
      /replication_user\.name: "backrest" is the backup role's name too/,
    ],
    [
      'a reserved name',
      STREAM.replace('[replication_user]\n', '[replication_user]\nname = "postgres"\n'),
      /replication_user\.name: "postgres" is the superuser/,
    ],
    ['a stream that is not a boolean', STREAM.replace('stream = true', 'stream = "yes"'), /standby_of\.stream/],
  ])('refuses %s', (_name, text, message) => {
    expect(problemsOf(() => load(text)).join('\n')).toMatch(message);
  });

  it('refuses a password .pgpass and SCRAM cannot carry, naming the key, never the value', () => {
    const broken = () => parseConfig(zone3Config(STREAM), `${FIXTURES}lab/ssh.toml`, { ...ENV, REPL: 'two\nlines' });
    const problems = problemsOf(broken).join('\n');
    expect(problems).toMatch(/replication_user\.password: it holds a line break/);
    expect(problems).not.toContain('two');
  });

  it('asks each server for the streaming role beside the backup role, and for primary_conninfo', () => {
    const inventory = load(STREAM);
    const pg1 = inventory.hosts.find((host) => host.name === 'ssh-pg1')!;
    const command = postgresProbe.command(probeContext(inventory, pg1, hostNeeds(inventory, pg1)));
    expect(command).toContain('-v backup_role=backrest -v replication_role=bsync_replication');
    // The SQL sits in a quoted heredoc inside a single-quoted script: its quotes are '\''.
    const sql = command.replace(/'\\''/g, "'");
    expect(sql).toContain("WHERE a.rolname IN (:'backup_role', :'replication_role')");
    expect(sql).toContain("'restore_command', 'primary_conninfo')");
  });

  it('refuses a Patroni source zone, as every standby site under [patroni]', () => {
    const patroni = zone3Config(STREAM).replace('[backup_user]', '[patroni]\n\n[backup_user]');
    const problems = problemsOf(() => parseConfig(patroni, `${FIXTURES}lab/ssh.toml`, { ...ENV, REPL: SECRET }));
    expect(problems.join('\n')).toMatch(/a Patroni standby cluster is not supported yet/);
  });
});

describe('standby_of.stream: the plan', () => {
  it('declares the streaming role on zone 1’s primary and its replication rule for ssh-pg2’s address', async () => {
    const planned = await plan(load(STREAM), facts(false));
    const role = actionOf(planned, 'ssh-pg1', 'pg_role')!;
    expect(role.address).toBe('ssh-pg1.pg_role[bsync_replication]');
    expect(role.fields).toContainEqual({ name: 'replication', after: 'true' });
    expect(role.fields).toContainEqual(expect.objectContaining({ name: 'password', after: '(sensitive)' }));
    const hba = actionOf(planned, 'ssh-pg1', 'pg_hba')!;
    expect(hba.diff).toContain(`+${RULE}`);
    expect(planned.warnings).toBeUndefined();
  });

  it('writes primary_conninfo to zone 1’s primary with a passfile, and the role’s .pgpass line, on ssh-pg2', async () => {
    const planned = await plan(load(STREAM), facts(false));
    expect(actionOf(planned, 'ssh-pg2', 'postgresql_conf')!.diff).toContain(
      `+primary_conninfo = '${CONNINFO}'\t# bsync`,
    );
    expect(actionOf(planned, 'ssh-pg2', 'pg_reload')!.fields).toEqual([
      { name: 'primary_conninfo', before: '', after: CONNINFO },
    ]);
    const pgpass = actionOf(planned, 'ssh-pg2', 'pgpass')!;
    expect(pgpass.title).toBe(PASSFILE);
    // The reload that starts the WAL receiver comes after the line it reads.
    expect(actionOf(planned, 'ssh-pg2', 'postgresql_conf')!.dependsOn).toContain(pgpass.address);
    expect(pgpass.diff).toContain(`+${PGPASS_LINE}(sensitive)`);
  });

  it('keeps the password out of the plan, the saved plan and every command line', async () => {
    const planned = await plan(load(STREAM), facts(false));
    const escaped = SECRET.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    for (const text of [planText(planned), JSON.stringify(planned.plan)]) {
      expect(text).not.toContain('SECRET');
      expect(text).toContain('(sensitive)');
    }
    const steps = [...planned.changes.values()].flatMap((change) => change.steps);
    expect(steps.map((step) => step.command).join('\n')).not.toContain('SECRET');
    // The secret reaches the hosts on stdin only: the .pgpass line and a SCRAM verifier, never clear text in SQL.
    const stdin = steps.flatMap((step) => step.stdin ?? []);
    expect(
      stdin.some((part) => typeof part !== 'string' && 'secret' in part && part.secret.reveal().includes(escaped)),
    ).toBe(true);
    expect(stdin.filter((part) => typeof part === 'string').join('')).not.toContain('SECRET');
  });

  it('has nothing to change once both sides are as the stream leaves them', async () => {
    const planned = await plan(load(STREAM), facts(true));
    expect(actionsOf(planned, 'ssh-pg2')).toEqual([]);
    // Zone 1 plans what it plans without a standby site at all.
    expect(shown(planned, 'ssh-pg1')).toEqual(shown(await plan(load(''), facts(false)), 'ssh-pg1'));
  });

  it('without stream, plans no role, rule, primary_conninfo or .pgpass line', async () => {
    const planned = await plan(load('[[zone]]\nid = 3\nstandby_of = { zone = 1 }\n'), facts(false));
    const text = planText(planned);
    for (const word of ['bsync_replication', 'primary_conninfo', 'pgpass']) expect(text).not.toContain(word);
  });
});

describe('standby_of.stream: a source primary that is not known', () => {
  it('with no server of zone 1 as a primary, leaves primary_conninfo as it is and says so; the rest is planned', async () => {
    const planned = await plan(
      load(STREAM),
      facts(false, (all) => {
        all.get('ssh-pg1')!.postgres!.inRecovery = true;
      }),
    );
    expect(JSON.stringify(actionsOf(planned, 'ssh-pg2'))).not.toContain('primary_conninfo');
    expect(actionOf(planned, 'ssh-pg2', 'pgpass')!.diff).toContain(`+${PGPASS_LINE}(sensitive)`);
    expect(planned.warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        host: 'ssh-pg2',
        message: expect.stringMatching(
          /ssh-pg2 streams from zone 1's primary \(standby_of\.stream\), but no PostgreSQL server of zone 1 answers as a primary: primary_conninfo is left as it is/,
        ),
      }),
    ]);
    // No role is created on a server in recovery; its rule is declared all the same.
    expect(actionOf(planned, 'ssh-pg1', 'pg_role')).toBeUndefined();
    expect(actionOf(planned, 'ssh-pg1', 'pg_hba')!.diff).toContain(`+${RULE}`);
  });

  it('with zone 1 not asked (--zone 3), names its hosts', async () => {
    const byHost = facts(false);
    byHost.delete('ssh-pg1');
    const planned = await plan(load(STREAM), byHost);
    expect(planned.warnings?.[0].message).toContain('but ssh-pg1 was not asked');
    expect(actionsOf(planned, 'ssh-pg1')).toEqual([]);
  });
});

describe('standby_of.stream: after promotion (standby_of removed)', () => {
  it('empties bsync’s primary_conninfo on the promoted server and removes the rule on zone 1; the role stays', async () => {
    const planned = await plan(
      load(ROLE_TABLE),
      facts(true, (all) => {
        all.get('ssh-pg2')!.postgres!.inRecovery = false;
      }),
    );
    const diff = actionOf(planned, 'ssh-pg2', 'postgresql_conf')!.diff!;
    expect(diff).toContain(`-primary_conninfo = '${CONNINFO}'\t# bsync`);
    expect(diff).toContain("+primary_conninfo = ''\t# bsync");
    expect(actionOf(planned, 'ssh-pg2', 'pg_reload')!.fields).toContainEqual({
      name: 'primary_conninfo',
      before: CONNINFO,
      after: '',
    });
    expect(actionOf(planned, 'ssh-pg1', 'pg_hba')!.diff).toContain(`-${RULE}`);
    expect(actionOf(planned, 'ssh-pg1', 'pg_role')).toBeUndefined();
  });

  it('then plans no change to primary_conninfo or pg_hba.conf, and leaves anyone else’s primary_conninfo alone', async () => {
    const emptied = (own: boolean) =>
      facts(false, (all) => {
        const pg = all.get('ssh-pg2')!.postgres!;
        pg.inRecovery = false;
        pg.configContent += own ? "primary_conninfo = ''\t# bsync\n" : "primary_conninfo = 'host=elsewhere'\n";
        pg.settings.primary_conninfo = {
          ...pg.settings.restore_command,
          setting: own ? '' : 'host=elsewhere',
          context: 'sighup',
        };
      });
    for (const own of [true, false]) {
      const planned = await plan(load(ROLE_TABLE), emptied(own));
      expect(actionOf(planned, 'ssh-pg2', 'postgresql_conf')!.diff).not.toMatch(/^[-+]primary_conninfo/m);
      expect(actionOf(planned, 'ssh-pg2', 'pg_reload')!.fields.map((field) => field.name)).not.toContain(
        'primary_conninfo',
      );
      expect(actionOf(planned, 'ssh-pg1', 'pg_hba')).toBeUndefined();
    }
  });
});

describe('a libpq connection string', () => {
  it('writes plain values bare and quotes the rest as libpq reads them back', () => {
    expect(conninfoValue('ssh-pg1')).toBe('ssh-pg1');
    expect(conninfoValue('/var/lib/postgresql/.pgpass')).toBe('/var/lib/postgresql/.pgpass');
    expect(conninfoValue("a b'c\\d")).toBe("'a b\\'c\\\\d'");
    expect(conninfoValue('')).toBe("''");
    expect(
      conninfo([
        ['host', 'h'],
        ['application_name', 'x y'],
      ]),
    ).toBe("host=h application_name='x y'");
  });

  it('refuses a password keyword: bsync’s strings name a passfile', () => {
    expect(() => conninfo([['password', 'p']])).toThrow(/use passfile/);
  });
});
