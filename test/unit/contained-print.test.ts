// Issue 27, findings 5 and 6: a compromised host stays contained in what bsync prints. Host
// text (paths, setting-override addresses, the Patroni scope, key comments) reaches no output
// with a control character a terminal acts on; a secret a host holds (a hand-written
// pgbackrest.conf's secure options, patroni.yml's passwords, primary_conninfo's password)
// reaches none at all: text, JSON, apply's progress and report, saved plans, `bsync facts`,
// errors. Plans are made from the recorded facts (fixtures/facts/) with the hostile value put
// in, through the real views and sinks. No network.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../lib/apply/redactor.js';
import { shownFacts } from '../../lib/operations/facts.js';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import { parseJsonOutput } from '../../lib/facts/framed.js';
import { PGBACKREST_CONF } from '../../lib/facts/paths.js';
import { fileKind, isSecureOption, redactFile } from '../../lib/facts/redact.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { RELEASES } from '../../lib/pgbackrest-options/index.js';
import { buildPlan } from '../../lib/plan/build.js';
import { writePlanFile } from '../../lib/plan/saved.js';
import type { Plan } from '../../lib/plan/types.js';
import { ApplyProgress } from '../../lib/views/apply-progress.js';
import { directSink } from '../../lib/views/sink.js';
import { APPLY_VIEWS } from '../../lib/views/apply.js';
import { ERROR_VIEWS } from '../../lib/views/error.js';
import { FACTS_VIEWS } from '../../lib/views/facts.js';
import { PLAN_VIEWS, textPlanView } from '../../lib/views/plan.js';
import { viewFor } from '../../lib/views/view-for.js';
import { FIXTURES } from '../support/bsync.js';
import { captureOutput } from '../support/output.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';

/** What lib/printable.ts escapes: C0 controls but \t and \n, DEL, C1, and the bidi and line-separator characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const TITLE = '\u001b]0;pwn\u0007';
const CLEAR = '\u001b[2J';
const PG1_CONF = '/etc/postgresql/15/main/postgresql.conf';
const PATRONI_YML = '/etc/patroni/patroni.yml';
const AUTO_CONF = '/var/lib/postgresql/15/main/postgresql.auto.conf';

const SSE_KEY = 'sse-customer-key-SECRET-0123456789';
const SFTP_PASSPHRASE = 'sftp-passphrase-SECRET-0123456789';
const CONNINFO_PASSWORD = 'conninfo-password-SECRET-0123';
const PATRONI_PASSWORDS = ['rest-api-SECRET-0123', 'superuser-SECRET-0123', 'replication-SECRET-0123'];
const DCS_PASSWORD = 'dcs-standby-SECRET-0123';

function recorded(state: 'fresh' | 'converged'): Map<string, HostFacts> {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

const inventory = (config = SSH_CONFIG): Inventory => parseConfig(config, `${FIXTURES}lab/ssh.toml`, ENV);

function planOf(inv: Inventory, facts: Map<string, HostFacts>): Plan {
  return buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, facts),
  ).plan;
}

/** ssh.toml as one HA zone: ssh-pg1 and ssh-pg2 under Patroni, one backup host (planner.test.ts's). */
function haInventory(): Inventory {
  return inventory(
    SSH_CONFIG.replace('[schedule]', `[patroni]\nconfig = "${PATRONI_YML}"\n\n[schedule]`)
      .replace(/\[\[host\]\]\nname = "ssh-backup1"[^[]*/, '')
      .replace('name = "ssh-backup2"', 'name = "ssh-backup1"')
      .replace('zone = 2', 'zone = 1')
      .replace('zone = 2', 'zone = 1'),
  );
}

const out = captureOutput();

const dir = mkdtempSync(join(tmpdir(), 'bsync-contained-'));

/** Apply's live progress on a terminal, drawn to a stream of its own; bsync's own cursor moves taken out. */
function liveProgress(plan: Plan, message: string): string {
  let drawn = '';
  const stream = { columns: 400, write: (chunk: string) => (drawn += chunk) } as unknown as NodeJS.WriteStream;
  const before = process.env.TERM;
  process.env.TERM = 'xterm';
  const progress = new ApplyProgress(
    new Map([[plan.actions[0].host, plan.actions.length]]),
    { live: true, plain: () => {} },
    stream,
  );
  process.env.TERM = before;
  for (const action of plan.actions.slice(0, 3)) {
    progress.onEvent({ address: action.address, host: action.host, status: 'started' });
    progress.onEvent({ address: action.address, host: action.host, status: 'failed', message });
  }
  progress.finish();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: bsync's own cursor moves, the only escapes it may write
  return drawn.replace(/\u001b\[\d+A|\r\u001b\[2K/g, '');
}

/**
 * Everything bsync prints or saves of a plan, by where it goes: the text plan (plain and in
 * colour, bsync's own colours taken out), the JSON plan, the saved plan, apply's progress
 * (plain lines and live) and report in both views, and an error naming an action.
 */
function everyOutput(plan: Plan, hostile: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const take = (name: string, show: () => void) => {
    out.stdout = '';
    out.stderr = '';
    show();
    outputs[name] = out.stdout + out.stderr;
  };
  // A failed step's message as the executor makes it (lib/apply/execute.ts).
  const message = new Redactor().redact(`exit 1: ${hostile}`);
  const results = plan.actions.map((action) => ({
    address: action.address,
    host: action.host,
    status: 'failed' as const,
    message,
    seconds: 1,
  }));
  take('text', () => viewFor(PLAN_VIEWS, { json: false, color: false }).plan(plan));
  take('colour', () => textPlanView(directSink, { color: true }).plan(plan));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: bsync's own colours, the only escapes it may write
  outputs.colour = outputs.colour.replace(/\u001b\[\d+m/g, '');
  take('json', () => viewFor(PLAN_VIEWS, { json: true, color: false }).plan(plan));
  // Text shows the plan before the report, as apply does.
  take('apply report', () => viewFor(APPLY_VIEWS, { json: false, color: false }).planned(plan).report({ results }));
  take('apply report, JSON', () =>
    viewFor(APPLY_VIEWS, { json: true, color: false }).planned(plan).report({ results }),
  );
  take('progress', () => {
    // JSON shows nothing of the plan before its report: only the progress lines are taken.
    const progress = viewFor(APPLY_VIEWS, { json: true, color: false }).planned(plan).running();
    for (const result of results) {
      progress.onEvent({ ...result, status: 'started' });
      progress.onEvent(result);
    }
  });
  outputs['live progress'] = liveProgress(plan, message);
  take('error', () =>
    viewFor(ERROR_VIEWS, { json: false, color: false }).error(new BsyncError(`${plan.actions[0].address} failed`)),
  );
  take('error, JSON', () =>
    viewFor(ERROR_VIEWS, { json: true, color: false }).error(new BsyncError(`${plan.actions[0].address} failed`)),
  );
  const file = join(dir, `plan-${Object.keys(outputs).length}-${Math.random()}.json`);
  writePlanFile(file, plan);
  outputs.saved = readFileSync(file, 'utf8');
  return outputs;
}

function expectNoRawControls(outputs: Record<string, string>): void {
  for (const [where, output] of Object.entries(outputs)) {
    expect(output.length, where).toBeGreaterThan(0);
    expect(RAW.exec(output), `${where}: ${JSON.stringify(output.slice(0, 300))}`).toBeNull();
  }
}

function expectNoSecrets(outputs: Record<string, string>, secrets: string[]): void {
  for (const [where, output] of Object.entries(outputs))
    for (const secret of secrets) expect(output, `${where} holds ${secret}`).not.toContain(secret);
}

describe('host text, escaped in every output', () => {
  it("a setting override's source file names its address, title and reason", () => {
    const facts = recorded('converged');
    const sourcefile = `/etc/postgresql/15/main/conf.d/${TITLE}x${CLEAR}.conf`;
    facts.get('ssh-pg1')!.postgres!.fileSettings.push({
      name: 'archive_command',
      setting: `cp %p /elsewhere${CLEAR}`,
      sourcefile,
      sourceline: 3,
      applied: true,
      error: null,
    });
    const plan = planOf(inventory(), facts);
    const override = plan.actions.find((action) => action.kind === 'setting_override')!;
    // The plan value keeps the host's text as it is; only what prints it escapes it.
    expect(override.address).toBe(`ssh-pg1.setting_override[archive_command@${sourcefile}:3]`);
    const outputs = everyOutput(plan, TITLE);
    expectNoRawControls(outputs);
    expect(outputs.text).toContain(
      'setting_override[archive_command@/etc/postgresql/15/main/conf.d/\\x1b]0;pwn\\x07x\\x1b[2J.conf:3]',
    );
    expect(JSON.parse(outputs.json).actions).toEqual(JSON.parse(JSON.stringify(plan.actions)));
    // The saved plan is the plan value, signed.
    const { signature, ...saved } = JSON.parse(outputs.saved);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(saved).toEqual(JSON.parse(JSON.stringify(plan)));
  });

  it('the Patroni scope names the dynamic configuration and its address', () => {
    const facts = recorded('converged');
    const scope = `bsync${CLEAR}${TITLE}ha`;
    const members = [
      { name: 'ssh-pg1', host: '127.0.1.11', role: 'Leader', state: 'running', pendingRestart: false },
      { name: 'ssh-pg2', host: '127.0.1.12', role: 'Replica', state: 'streaming', pendingRestart: false },
    ];
    for (const host of ['ssh-pg1', 'ssh-pg2'])
      facts.get(host)!.patroni = { scope, dynamic: { postgresql: { parameters: {} } }, members, errors: [] };
    const plan = planOf(haInventory(), facts);
    expect(plan.actions.map((action) => action.address)).toContain(`ssh-pg1.patroni_config[${scope}]`);
    const outputs = everyOutput(plan, CLEAR);
    expectNoRawControls(outputs);
    expect(outputs.text).toContain(
      'patroni_config[bsync\\x1b[2J\\x1b]0;pwn\\x07ha]  dynamic configuration of bsync\\x1b[2J',
    );
  });

  it("a key comment in authorized_keys and a host's home folder, shown in a diff and a title", () => {
    const facts = recorded('converged');
    const backup = facts.get('ssh-backup1')!;
    backup.users.backrest!.home = `/home/backrest${TITLE}`;
    const keys = backup.files['~backrest/.ssh/authorized_keys']!;
    keys.content = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandMadeKeyOfSomeoneElse0000000000000000 ops${TITLE}${CLEAR}\n${keys.content}`;
    facts.get('ssh-pg1')!.files['~postgres/.ssh/id_ed25519.pub']!.content =
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherKeyOfPg1000000000000000000000000000 postgres@ssh-pg1\n';
    const plan = planOf(inventory(), facts);
    const keysAction = plan.actions.find((action) => action.address === 'ssh-backup1.authorized_keys[backrest]')!;
    expect(keysAction.diff).toContain(`ops${TITLE}`);
    expect(keysAction.title).toContain(TITLE);
    const outputs = everyOutput(plan, TITLE);
    expectNoRawControls(outputs);
    expect(outputs.text).toContain(' ops\\x1b]0;pwn\\x07\\x1b[2J');
  });

  it('in `bsync facts`, and in an error quoting what a host answered', () => {
    const facts = recorded('converged');
    facts.get('ssh-pg1')!.patroni = { scope: TITLE, dynamic: null, members: [], errors: [`no DCS${CLEAR}`] };
    viewFor(FACTS_VIEWS, { json: true, color: false }).facts(shownFacts(inventory(), ['ssh-pg1'], facts));
    expect(RAW.exec(out.stdout)).toBeNull();
    expect(JSON.parse(out.stdout)['ssh-pg1'].patroni.scope).toBe(TITLE);
    out.stdout = '';
    const ctx = { host: { name: 'ssh-pg1' } } as Parameters<typeof parseJsonOutput>[1];
    let error: unknown;
    try {
      parseJsonOutput(`not json ${TITLE}`, ctx, 'postgres', 'psql');
    } catch (thrown) {
      error = thrown;
    }
    viewFor(ERROR_VIEWS, { json: true, color: false }).error(error);
    expect(out.stdout + out.stderr).toContain('received: not json \\u001b]0;pwn\\u0007');
    expect(RAW.exec(out.stdout + out.stderr)).toBeNull();
  });
});

/** ssh-pg1's pgbackrest.conf with a hand-written repository section's secrets in [global]. */
function handWrittenConf(facts: Map<string, HostFacts>): void {
  const conf = facts.get('ssh-pg1')!.files[PGBACKREST_CONF]!;
  conf.content = conf.content!.replace(
    'repo1-cipher-type=aes-256-cbc\n',
    `repo1-cipher-type=aes-256-cbc\nrepo1-s3-sse-customer-key=${SSE_KEY}\nrepo1-sftp-private-key-passphrase = ${SFTP_PASSPHRASE}\n`,
  );
}

const PATRONI_TEXT = `scope: bsync-ha
name: ssh-pg1
restapi:
  authentication:
    username: patroni
    password: ${PATRONI_PASSWORDS[0]}
postgresql:
  authentication:
    superuser:
      password: "${PATRONI_PASSWORDS[1]}"
    replication:
      password: ${PATRONI_PASSWORDS[2]}
  parameters:
    primary_conninfo: host=pg0 password=${CONNINFO_PASSWORD}
`;

describe('secrets a host holds, shown nowhere', () => {
  it("a hand-written pgbackrest.conf's sse-customer-key and sftp passphrase: plan, JSON, saved plan, apply output", () => {
    const facts = recorded('converged');
    handWrittenConf(facts);
    const plan = planOf(inventory(), facts);
    const conf = plan.actions.find((action) => action.address === 'ssh-pg1.pgbackrest_conf')!;
    expect(conf.diff).toContain(
      '-repo1-s3-sse-customer-key=(sensitive)\n-repo1-sftp-private-key-passphrase = (sensitive)\n',
    );
    const outputs = everyOutput(plan, `ERROR: repo1-s3-sse-customer-key=${SSE_KEY}`);
    expectNoSecrets(outputs, [SSE_KEY, SFTP_PASSPHRASE]);
  });

  it("postgresql.conf's primary_conninfo password, in the diff of the settings bsync edits", () => {
    const facts = recorded('converged');
    const pg = facts.get('ssh-pg1')!.postgres!;
    pg.configContent = pg.configContent.replace(
      "archive_mode = 'on'",
      `primary_conninfo = 'host=pg0 user=rep password=${CONNINFO_PASSWORD}'\narchive_mode = 'off'`,
    );
    const plan = planOf(inventory(), facts);
    const diff = plan.actions.find((action) => action.address === 'ssh-pg1.postgresql_conf')!.diff!;
    expect(diff).toContain(" primary_conninfo = 'host=pg0 user=rep password=(sensitive)'");
    expectNoSecrets(everyOutput(plan, 'x'), [CONNINFO_PASSWORD]);
  });

  it('a secret that changed is a changed line, both sides (sensitive); one that did not is no change', () => {
    const facts = recorded('converged');
    const conf = facts.get('ssh-pg1')!.files[PGBACKREST_CONF]!;
    // The line before the passphrase differs, so the passphrase's line is in the diff either way.
    conf.content = conf.content!.replace('repo1-cipher-type=aes-256-cbc', 'repo1-cipher-type=none');
    const same = planOf(inventory(), facts).actions.find((action) => action.address === 'ssh-pg1.pgbackrest_conf')!;
    expect(same.diff).toContain(
      '-repo1-cipher-type=none\n+repo1-cipher-type=aes-256-cbc\n repo1-cipher-pass=(sensitive)\n',
    );
    conf.content = conf.content.replace(ENV.CIPHER, 'an-older-cipher-passphrase-000');
    const changed = planOf(inventory(), facts).actions.find((action) => action.address === 'ssh-pg1.pgbackrest_conf')!;
    expect(changed.diff).toContain(
      '-repo1-cipher-type=none\n-repo1-cipher-pass=(sensitive)\n+repo1-cipher-type=aes-256-cbc\n+repo1-cipher-pass=(sensitive)\n',
    );
    expect(JSON.stringify(changed)).not.toMatch(/an-older|recorded-cipher/);
  });

  it('`bsync facts`: pgbackrest.conf, patroni.yml, postgresql.auto.conf, primary_conninfo, Patroni dynamic configuration', () => {
    const facts = recorded('converged');
    handWrittenConf(facts);
    const host = facts.get('ssh-pg1')!;
    host.files[PATRONI_YML] = { exists: true, kind: 'file', content: PATRONI_TEXT };
    host.files[AUTO_CONF] = {
      exists: true,
      kind: 'file',
      content: `primary_conninfo = 'user=rep password=''${CONNINFO_PASSWORD}'' host=pg0'\n`,
    };
    const pg = host.postgres!;
    pg.configContent += `primary_conninfo = 'host=pg0 password=${CONNINFO_PASSWORD}'\n`;
    pg.settings.primary_conninfo = { ...pg.settings.archive_mode, setting: `host=pg0 password=${CONNINFO_PASSWORD}` };
    host.patroni = {
      scope: 'bsync-ha',
      dynamic: {
        standby_cluster: { host: 'pg0', password: DCS_PASSWORD },
        postgresql: { parameters: { primary_conninfo: `password=${DCS_PASSWORD}` } },
      },
      members: [],
      errors: [],
    };
    const secrets = [
      SSE_KEY,
      SFTP_PASSPHRASE,
      CONNINFO_PASSWORD,
      DCS_PASSWORD,
      ENV.CIPHER,
      ENV.PASSWORD,
      ...PATRONI_PASSWORDS,
    ];
    // What the host holds, before `bsync facts` shows it.
    for (const secret of secrets) expect(JSON.stringify(Object.fromEntries(facts))).toContain(secret);
    for (const json of [true, false]) {
      out.stdout = '';
      viewFor(FACTS_VIEWS, { json, color: false }).facts(shownFacts(haInventory(), ['ssh-pg1', 'ssh-backup1'], facts));
      expectNoSecrets({ facts: out.stdout }, secrets);
    }
    const shown = JSON.parse(out.stdout)['ssh-pg1'] as HostFacts;
    expect(shown.files[PATRONI_YML].content).toContain('    username: patroni\n    password: (sensitive)\n');
    expect(shown.postgres!.settings.primary_conninfo.setting).toBe('host=pg0 password=(sensitive)');
    expect(shown.patroni!.dynamic).toEqual({
      standby_cluster: { host: 'pg0', password: '(sensitive)' },
      postgresql: { parameters: { primary_conninfo: 'password=(sensitive)' } },
    });
  });

  it('a patroni.yml at a path that does not say YAML, told by the config', () => {
    const facts = recorded('converged');
    facts.get('ssh-pg1')!.files['/etc/patroni/member.conf'] = { exists: true, kind: 'file', content: PATRONI_TEXT };
    const inv = haInventory();
    inv.patroni!.config = '/etc/patroni/member.conf';
    expectNoSecrets({ facts: JSON.stringify(shownFacts(inv, ['ssh-pg1'], facts)) }, PATRONI_PASSWORDS);
  });

  it('errors: a probe answer quoted, a failed step echoing an option or its environment', () => {
    const ctx = { host: { name: 'ssh-pg1' } } as Parameters<typeof parseJsonOutput>[1];
    expect(() =>
      parseJsonOutput(
        `{"settings": {"primary_conninfo": "host=a password=${CONNINFO_PASSWORD}"`,
        ctx,
        'postgres',
        'psql',
      ),
    ).toThrow(/received: .*password=\(sensitive\)/);
    const echoed = new Redactor().redact(
      `ERROR: pgbackrest --repo1-s3-sse-customer-key=${SSE_KEY} PGBACKREST_REPO1_SFTP_PRIVATE_KEY_PASSPHRASE='${SFTP_PASSPHRASE}' --stanza=s`,
    );
    expect(echoed).toBe(
      'ERROR: pgbackrest --repo1-s3-sse-customer-key=(sensitive) PGBACKREST_REPO1_SFTP_PRIVATE_KEY_PASSPHRASE=(sensitive) --stanza=s',
    );
  });
});

describe("pgBackRest's secure options, from its own tables", () => {
  /** Every option any table marks secure, with the names pgbackrest.conf writes it by. */
  const secure = [
    ...new Set(
      RELEASES.flatMap((release) =>
        [...Object.entries(release.options), ...Object.entries(release.later)].flatMap(([name, info]) => {
          if (!info.secure) return [];
          if (!info.index) return [name];
          const rest = name.slice(info.index.prefix.length + 1);
          return [`${info.index.prefix}1-${rest}`, `${info.index.prefix}${info.index.max}-${rest}`];
        }),
      ),
    ),
  ];

  it('are those the tables list (the two of issue 27 among them)', () => {
    expect(secure).toContain('repo1-s3-sse-customer-key');
    expect(secure).toContain('repo256-sftp-private-key-passphrase');
    expect(secure.length).toBeGreaterThanOrEqual(20);
  });

  it.each(secure)('%s: a conf line holding it is hidden, commented out too, in facts and in a plan', (key) => {
    const value = `value-of-${key}-0123456789`;
    const conf = `[global]\n${key}=${value}\n# ${key} = old-${value}\nrepo1-path=/r\n`;
    expect(isSecureOption(key)).toBe(true);
    expect(redactFile(PGBACKREST_CONF, conf)).toBe(
      `[global]\n${key}=(sensitive)\n# ${key} = (sensitive)\nrepo1-path=/r\n`,
    );
    expect(redactFile('/etc/pgbackrest/conf.d/hand.conf', conf)).not.toContain(value);
    const facts = recorded('converged');
    facts.get('ssh-pg1')!.files[PGBACKREST_CONF]!.content += `${key}=${value}\n`;
    expect(JSON.stringify(shownFacts(inventory(), ['ssh-pg1'], facts))).not.toContain(value);
    const plan = planOf(inventory(), facts);
    expect(plan.actions.map((action) => action.address)).toContain('ssh-pg1.pgbackrest_conf');
    expect(JSON.stringify(plan)).not.toContain(value);
  });

  it('no other option of any table is hidden', () => {
    const plain = RELEASES.flatMap((release) =>
      [...Object.entries(release.options), ...Object.entries(release.later)].map(([name, info]) =>
        info.index ? `${info.index.prefix}1-${name.slice(info.index.prefix.length + 1)}` : name,
      ),
    ).filter((key) => !secure.includes(key));
    expect(plain.length).toBeGreaterThan(200);
    expect(plain.filter((key) => isSecureOption(key))).toEqual([]);
  });

  it('file kinds by path', () => {
    expect(
      [
        PGBACKREST_CONF,
        '/etc/pgbackrest.conf',
        '/etc/pgbackrest/conf.d/s3.conf',
        '~postgres/.pgpass',
        '/etc/pgbackrest/gcs-key.json',
        PATRONI_YML,
        PG1_CONF,
        AUTO_CONF,
        '/var/lib/pgsql/15/data/recovery.conf',
        '~postgres/.ssh/authorized_keys',
      ].map(fileKind),
    ).toEqual([
      'pgbackrest-conf',
      'pgbackrest-conf',
      'pgbackrest-conf',
      'pgpass',
      'repo-key',
      'patroni-yaml',
      'postgresql-conf',
      'postgresql-conf',
      'postgresql-conf',
      'text',
    ]);
  });
});
