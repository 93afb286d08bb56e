// A compromised host stays contained (issue 27, finding 3): a saved plan's request used to
// be read with casts, so a backup type of `full --log-level-console=off; touch x #` reached
// the step as it was, and the fingerprint check passed, since it proves only that the file
// is what bsync plans from that request. Now every request, the command line's and a saved
// plan's, goes through its kind's decoder (lib/recovery/requests.ts), and apply FILE reads
// only plans signed with this machine's plan key (lib/plan/plan-key.ts).
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import type { PlannedChanges } from '../../lib/plan/build.js';
import { planKeyPath, planSignature, signingKey } from '../../lib/plan/plan-key.js';
import { planDifferences, readPlanFile, writePlanFile } from '../../lib/plan/saved.js';
import { PLAN_VERSION, type Plan, type PlanOperation } from '../../lib/plan/types.js';
import { backupPlanning } from '../../lib/operations/backup.js';
import { OPERATIONS, savedOperationPlanning } from '../../lib/operations/registry.js';
import { planBackup } from '../../lib/recovery/backup.js';
import { planClone } from '../../lib/recovery/clone.js';
import {
  HOST_NAME,
  parseCloneTarget,
  restoreOperation,
  type BackupType,
  type RestoreRequest,
} from '../../lib/recovery/requests.js';
import { planRestore } from '../../lib/recovery/restore.js';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';
import { SAVED_RESTORE } from '../support/requests.js';
import { sessionOf } from '../support/sessions.js';

const CONFIG = `${FIXTURES}lab/ssh.toml`;
const inventory = parseConfig(SSH_CONFIG, CONFIG, ENV);
const dir = mkdtempSync(join(tmpdir(), 'bsync-requests-'));
const HOSTILE_TYPE = 'full --log-level-console=off; touch x #';
const NOW = Date.parse('2026-12-03T00:00:00Z');
const PLENTY = { availableBytes: 50 * 1024 ** 3, usedBytes: 30 * 1024 ** 2 };

function converged(): Map<string, HostFacts> {
  const recorded = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8'));
  return new Map(Object.entries(recorded as Record<string, HostFacts>));
}

/** A plan file carrying `operation`, signed with this machine's plan key as bsync signs the plans it saves. */
function savedFile(name: string, operation: PlanOperation | Record<string, unknown>): string {
  const plan = {
    format: 'bsync-plan',
    version: PLAN_VERSION,
    createdAt: '2026-12-03T00:00:00.000Z',
    configPath: inventory.configPath,
    hosts: ['ssh-backup1'],
    nonce: '0123456789abcdef0123456789abcdef',
    actions: [],
    summary: { add: 0, change: 0, remove: 0, conflict: 0 },
    problems: [],
    operation,
  } as Plan;
  const file = join(dir, name);
  writePlanFile(file, plan);
  return file;
}

/** `bsync apply FILE` up to its first host: the file read, its request decoded, the plan made again from recorded facts. */
async function applyUntilHosts(file: string): Promise<PlannedChanges> {
  const saved = readPlanFile(file);
  const planning = await savedOperationPlanning(saved.operation!, file);
  return planning.plan(sessionOf(inventory), converged(), saved.nonce);
}

/** What apply FILE says of the file, as a person reads it. */
async function refusalOf(file: string): Promise<string> {
  try {
    await applyUntilHosts(file);
  } catch (error) {
    if (error instanceof BsyncError) return error.describe();
    throw error;
  }
  throw new Error(`${file} was not refused`);
}

describe('the attack: a saved backup whose type is a command', () => {
  it('is what the planner runs when nothing decodes the request, and the fingerprints cannot tell', async () => {
    // What apply FILE did: the file's type, cast to a BackupType, planned as it is.
    const request = { zone: 1, type: HOSTILE_TYPE as BackupType, repo: 1 };
    const made = await backupPlanning(request).plan(sessionOf(inventory), converged());
    const [step] = [...made.changes.values()][0].steps;
    expect(step.command).toContain('--type=full --log-level-console=off; touch x # backup');
    // Planned again from the file's own request and nonce, the plan is the file's: accepted.
    const again = await backupPlanning(request).plan(sessionOf(inventory), converged(), made.plan.nonce);
    expect(planDifferences(made.plan, again.plan)).toEqual([]);
  });

  it('is refused by the backup decoder before anything is planned, even in a file signed with this machine key', async () => {
    const operation = { kind: 'backup', request: { zone: 1, type: HOSTILE_TYPE, repo: 1 }, notes: [] } as const;
    const file = savedFile('hostile-type.json', operation);
    expect(await refusalOf(file)).toContain(
      `${file} (operation.request.type): --type "full --log-level-console=off; touch x #": expected full, diff or incr`,
    );
  });

  it('is refused the same way through the command line, exit 1, before any host is reached', async () => {
    const file = savedFile('hostile-type-cli.json', {
      kind: 'backup',
      request: { zone: 1, type: HOSTILE_TYPE, repo: 1 },
      notes: [],
    });
    const run = await bsync(['apply', '-c', CONFIG, file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`(operation.request.type): --type "full --log-level-console=off; touch x #"`);
    expect(run.stderr).toContain("A saved plan's request holds only what the command line can say");
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.stderr).not.toMatch(/Gathering facts|connect/i);
  });
});

const BACKUP = { zone: 1, type: 'incr', repo: 1 };
const RESTORE = SAVED_RESTORE;
const CLONE = {
  zone: 1,
  to: 'ssh-backup1:/var/lib/bsync-clones/pgedge-lab-1',
  port: 5433,
  target: 'latest',
  set: '20261202-003350F',
  repo: 1,
  allowOverwrite: false,
};
const RESTORE_FIELDS = 'zone, host, target, set, repo, delta, targetAction, allowOverwrite';

/** A saved request of each kind with one thing changed, the field named, and what apply FILE says. */
const HOSTILE: Array<[string, PlanOperation['kind'], Record<string, unknown>, string, string]> = [
  [
    'a backup type that is a command',
    'backup',
    { ...BACKUP, type: HOSTILE_TYPE },
    'type',
    '--type "full --log-level-console=off; touch x #": expected full, diff or incr',
  ],
  [
    'a repository that is not a number',
    'backup',
    { ...BACKUP, repo: '1; touch x' },
    'repo',
    '--repo "1; touch x": expected a repository number (1 to 256)',
  ],
  ['zone 0', 'backup', { ...BACKUP, zone: 0 }, 'zone', '--zone 0: expected a zone number (1 to 999)'],
  [
    'a target with a command after it',
    'restore',
    { ...RESTORE, target: 'time=2026-12-04T03:00:00Z; touch x' },
    'target',
    '--target "time=2026-12-04T03:00:00Z; touch x": the time needs a date, a time and a zone',
  ],
  [
    'an LSN target with an option after it',
    'restore',
    { ...RESTORE, target: 'lsn=0/3000060 --type=immediate' },
    'target',
    '--target "lsn=0/3000060 --type=immediate": an LSN is two hex numbers',
  ],
  [
    'a target action with an option after it',
    'restore',
    { ...RESTORE, targetAction: 'promote --archive-mode=off' },
    'targetAction',
    '--target-action "promote --archive-mode=off": expected promote or pause',
  ],
  [
    'a backup set with a quote in it',
    'restore',
    { ...RESTORE, set: "20261202-003350F'; touch x" },
    'set',
    `--set "20261202-003350F'; touch x": expected a backup label`,
  ],
  [
    'a host that is an option',
    'restore',
    { ...RESTORE, host: 'ssh-pg1 --pg1-path=/' },
    'host',
    '--host "ssh-pg1 --pg1-path=/": expected a host name of the config',
  ],
  ['delta as a word', 'restore', { ...RESTORE, delta: 'yes' }, 'delta', '--delta "yes": expected true or false'],
  [
    'a standby host with a line break',
    'standby',
    { ...RESTORE, host: 'ssh-pg2\nrm -rf /' },
    'host',
    '--host "ssh-pg2\\nrm -rf /": expected a host name of the config',
  ],
  [
    'a clone folder with a command in it',
    'clone',
    { ...CLONE, to: 'ssh-backup1:/tmp/x;touch y' },
    'to',
    '--to "ssh-backup1:/tmp/x;touch y": the folder must be an absolute path of plain characters, without ..',
  ],
  [
    'a clone folder that climbs out',
    'clone',
    { ...CLONE, to: 'ssh-backup1:/srv/../etc' },
    'to',
    '--to "ssh-backup1:/srv/../etc": the folder must be an absolute path',
  ],
  [
    'a clone host with a control character',
    'clone',
    { ...CLONE, to: 'ssh-backup1\u001b[2J:/srv/x' },
    'to',
    '--to "ssh-backup1\\u001b[2J:/srv/x": expected HOST or HOST:/absolute/path',
  ],
  [
    'a clone port with a command after it',
    'clone',
    { ...CLONE, port: '5433; touch x' },
    'port',
    '--port "5433; touch x": expected a TCP port number (1 to 65535)',
  ],
  [
    'a clone port out of range',
    'clone',
    { ...CLONE, port: 70000 },
    'port',
    '--port 70000: expected a TCP port number (1 to 65535)',
  ],
  [
    'an extra field',
    'restore',
    { ...RESTORE, command: 'touch x' },
    'command',
    `a restore request has no "command": it holds ${RESTORE_FIELDS}`,
  ],
  [
    'a backup request under the kind restore',
    'restore',
    BACKUP,
    'type',
    `a restore request has no "type": it holds ${RESTORE_FIELDS}`,
  ],
  [
    'a restore request under the kind clone',
    'clone',
    RESTORE,
    'host',
    'a clone request has no "host": it holds zone, to, port, target, set, repo, allowOverwrite',
  ],
  [
    'a restore without its target',
    'restore',
    { ...RESTORE, target: undefined },
    'target',
    '--target is missing: expected one of latest, immediate',
  ],
];

describe("a saved plan's request is decoded by its kind's decoder, and refused naming the field", () => {
  it.each(HOSTILE)('%s', async (_name, kind, request, field, message) => {
    const file = savedFile(`${kind}-${field}.json`, { kind, request: JSON.parse(JSON.stringify(request)), notes: [] });
    const refusal = await refusalOf(file);
    expect(refusal).toContain(`${file} (operation.request.${field}): ${message}`);
    expect(refusal).toContain('Make the plan again with bsync');
  });

  it('a field named with control characters is named escaped', async () => {
    const file = savedFile('escaped-field.json', {
      kind: 'backup',
      request: { ...BACKUP, '\u001b[2Jx': 1 },
      notes: [],
    });
    const refusal = await refusalOf(file);
    expect(refusal).toContain(`${file} (operation.request.\\x1b[2Jx): a backup request has no "\\u001b[2Jx"`);
    expect(refusal).not.toContain('\u001b');
  });

  it('a kind no decoder has is refused by the schema', () => {
    const file = savedFile('shell.json', { kind: 'shell', request: { command: 'touch x' }, notes: [] });
    expect(() => readPlanFile(file)).toThrow(/the saved plan is damaged: \/operation\/kind must be equal to one of/);
  });

  it("the command line's host names are the config's", () => {
    const schema = JSON.parse(readFileSync('schemas/bsync.schema.json', 'utf8'));
    const pattern = new RegExp(schema.definitions.hostName.pattern);
    for (const name of [
      'ssh-pg1',
      'a.b-c.d',
      'x',
      'a_b',
      '-a',
      'a-',
      'a..b',
      'a b',
      `${'a'.repeat(63)}.b`,
      'a'.repeat(64),
    ])
      expect(HOST_NAME.test(name), name).toBe(pattern.test(name));
  });
});

/** A command line, and the field of a saved request of its kind that holds the same value; the message both get. */
const BOTH: Array<[string[], PlanOperation['kind'], string, unknown, string]> = [
  [['backup', '--zone', '1', '--type', HOSTILE_TYPE], 'backup', 'type', HOSTILE_TYPE, HOSTILE[0][4]],
  [['backup', '--zone', '1', '--repo', '1; touch x'], 'backup', 'repo', '1; touch x', HOSTILE[1][4]],
  [['backup', '--zone', '1000'], 'backup', 'zone', 1000, '--zone 1000: expected a zone number (1 to 999)'],
  [
    ['restore', '--zone', '1', '--target', 'time=2026-12-04T03:00:00Z; touch x'],
    'restore',
    'target',
    'time=2026-12-04T03:00:00Z; touch x',
    HOSTILE[3][4],
  ],
  [
    ['restore', '--zone', '1', '--target-action', 'promote --archive-mode=off'],
    'restore',
    'targetAction',
    'promote --archive-mode=off',
    HOSTILE[5][4],
  ],
  [
    ['restore', '--zone', '1', '--set', "20261202-003350F'; touch x"],
    'restore',
    'set',
    "20261202-003350F'; touch x",
    HOSTILE[6][4],
  ],
  [
    ['restore', '--zone', '1', '--replicas', 'both'],
    'restore',
    'replicas',
    'both',
    '--replicas "both": expected follow or leave',
  ],
  [
    ['restore', '--host', 'ssh-pg2', '--standby', '--replicas', 'leave'],
    'standby',
    'replicas',
    'leave',
    '--replicas goes with a restore in place of a primary: --standby rebuilds one replica',
  ],
  [
    ['restore', '--host', 'ssh-pg1;touch x'],
    'restore',
    'host',
    'ssh-pg1;touch x',
    '--host "ssh-pg1;touch x": expected a host name of the config',
  ],
  [
    ['restore', '--zone', '1', '--to', 'ssh-backup1:/tmp/x;touch y'],
    'clone',
    'to',
    'ssh-backup1:/tmp/x;touch y',
    HOSTILE[10][4],
  ],
  [
    ['restore', '--zone', '1', '--to', 'ssh-backup1', '--port', '5433; touch x'],
    'clone',
    'port',
    '5433; touch x',
    HOSTILE[13][4],
  ],
  [
    ['restore', '--zone', '1', '--to', 'ssh-backup1', '--port', '70000'],
    'clone',
    'port',
    '70000',
    '--port "70000": expected a TCP port number (1 to 65535)',
  ],
];
const VALID = { backup: BACKUP, restore: RESTORE, standby: RESTORE, clone: CLONE };

describe('the command line and apply FILE decode with the same decoders', () => {
  it.each(BOTH)('bsync %j and its saved plan are refused alike', async (args, kind, field, value, message) => {
    const file = savedFile(`both-${kind}-${field}-${args.length}.json`, {
      kind,
      request: { ...VALID[kind], [field]: value },
      notes: [],
    });
    const [typed, saved] = await Promise.all([bsync([...args, '-c', CONFIG]), bsync(['apply', '-c', CONFIG, file])]);
    const said = (stderr: string) => stderr.split('\n')[0].replace(/^bsync: error: /, '');
    expect(said(typed.stderr).startsWith(message), typed.stderr).toBe(true);
    expect(said(saved.stderr)).toBe(`${file} (operation.request.${field}): ${said(typed.stderr)}`);
    expect([typed.code, saved.code]).toEqual([1, 1]);
  });
});

/** What `bsync restore --allow-overwrite` asks by default. */
const IN_PLACE: RestoreRequest = {
  target: { type: 'latest' },
  delta: true,
  targetAction: 'promote',
  allowOverwrite: true,
};

describe('each kind reads back the request its plan records', () => {
  it('a backup', () => {
    const planned = planBackup(inventory, converged(), { zone: 1, type: 'diff' });
    expect(planned.operation).toEqual({ kind: 'backup', request: { zone: 1, type: 'diff', repo: 1 }, notes: [] });
    const again = planBackup(inventory, converged(), OPERATIONS.backup.decode(planned.operation.request));
    expect(again).toEqual(planned);
  });

  it('a restore', () => {
    const facts = converged();
    const restore = (request: RestoreRequest) =>
      planRestore({ inventory, facts, request, setup: desiredResources(inventory, facts), space: PLENTY, now: NOW });
    const request: RestoreRequest = {
      ...IN_PLACE,
      zone: 1,
      target: { type: 'immediate' },
      delta: false,
      standby: false,
      replicas: 'follow',
    };
    const planned = restore(request);
    expect(planned.operation.kind).toBe('restore');
    expect(planned.operation.request).toMatchObject({ zone: 1, host: 'ssh-pg1', target: 'immediate', delta: false });
    const decoded = OPERATIONS.restore.decode(planned.operation.request);
    expect(decoded).toEqual({ ...request, host: 'ssh-pg1', set: planned.operation.request.set, repo: 1 });
    expect(restore(decoded)).toEqual(planned);
  });

  it('a standby rebuild', () => {
    const request: RestoreRequest = { ...IN_PLACE, host: 'ssh-pg2', standby: true };
    const operation = restoreOperation(request, { zone: 2, host: 'ssh-pg2', set: '20261202-003350F', repo: 1 }, []);
    expect(operation.kind).toBe('standby');
    expect(OPERATIONS.standby.decode(operation.request)).toEqual({
      ...request,
      zone: 2,
      set: '20261202-003350F',
      repo: 1,
    });
  });

  it('a clone', () => {
    const clone = (request: Parameters<typeof planClone>[0]['request']) =>
      planClone({ inventory, facts: converged(), request, space: PLENTY, now: NOW });
    const planned = clone({
      zone: 1,
      to: parseCloneTarget('ssh-backup1:/srv/drill'),
      port: 5440,
      target: { type: 'latest' },
      delta: false,
      targetAction: 'promote',
      allowOverwrite: false,
    });
    expect(planned.operation.kind).toBe('clone');
    expect(planned.operation.request).toMatchObject({ to: 'ssh-backup1:/srv/drill', port: 5440 });
    expect(clone(OPERATIONS.clone.decode(planned.operation.request))).toEqual(planned);
  });
});

describe('apply FILE reads only plans signed with the plan key of the machine running it', () => {
  const keyIn = (name: string) => ({
    ...process.env,
    BSYNC_PLAN_KEY_FILE: join(mkdtempSync(join(dir, name)), 'plan.key'),
  });
  const backup: PlanOperation = { kind: 'backup', request: BACKUP, notes: [] };

  it('an unedited signed plan is accepted, and planned again from its request', async () => {
    const file = savedFile('unedited.json', backup);
    const fresh = await applyUntilHosts(file);
    expect(fresh.plan.operation).toEqual(backup);
    expect([...fresh.changes.values()][0].steps[0].command).toContain('--type=incr backup');
  });

  it('an edited, an unsigned and an elsewhere-signed plan are refused, each in its sentence', () => {
    const file = savedFile('edited.json', backup);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"type": "incr"', '"type": "full"'));
    expect(() => readPlanFile(file)).toThrow(
      `the saved plan's signature does not hold under this machine's plan key (${planKeyPath()}): the file was changed after bsync saved it, or it was saved under another key`,
    );
    const { signature: _signature, ...unsigned } = JSON.parse(text);
    writeFileSync(file, JSON.stringify(unsigned));
    expect(() => readPlanFile(file)).toThrow('the saved plan is not signed: bsync applies only plans it saved itself');
    writeFileSync(file, text);
    expect(() => readPlanFile(file, keyIn('other-'))).toThrow(/this machine has no plan key/);
    const other = keyIn('other-');
    signingKey(other);
    expect(() => readPlanFile(file, other)).toThrow(/signature does not hold under this machine's plan key/);
    expect(readPlanFile(file).operation).toEqual(backup);
  });

  it('the refusal says what to do', () => {
    const file = savedFile('elsewhere.json', backup);
    const other = keyIn('elsewhere-');
    signingKey(other);
    try {
      readPlanFile(file, other);
      throw new Error('not refused');
    } catch (error) {
      expect((error as BsyncError).describe()).toContain(
        "Make the plan again on this machine (bsync plan, restore or backup with --out FILE), or apply it where it was made. Machines that apply each other's plans share one plan key (docs/reliability.md, Saved plans).",
      );
    }
  });

  it('the key is made on first save, 0600 in a 0700 folder, under $XDG_STATE_HOME/bsync, and is in no plan', () => {
    const state = mkdtempSync(join(dir, 'state-'));
    const env = { ...process.env, BSYNC_PLAN_KEY_FILE: '', XDG_STATE_HOME: state };
    const file = join(dir, 'xdg.json');
    const plan = readPlanFile(savedFile('xdg-source.json', backup));
    writePlanFile(file, plan, env);
    const key = join(state, 'bsync', 'plan.key');
    expect(planKeyPath(env)).toBe(key);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'bsync')).mode & 0o777).toBe(0o700);
    const hex = readFileSync(key, 'utf8').trim();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(hex);
    expect(JSON.parse(text).signature).toBe(planSignature(Buffer.from(hex, 'hex'), plan));
    // Saved again: the same key, not a new one.
    writePlanFile(file, plan, env);
    expect(readFileSync(key, 'utf8').trim()).toBe(hex);
    expect(readPlanFile(file, env)).toEqual(plan);
  });

  it('a key file others may read, or that is damaged, is refused by name', () => {
    const env = keyIn('loose-');
    signingKey(env);
    chmodSync(env.BSYNC_PLAN_KEY_FILE, 0o644);
    expect(() => signingKey(env)).toThrow(/the plan key may be read or written by others \(mode 0644\)/);
    chmodSync(env.BSYNC_PLAN_KEY_FILE, 0o600);
    writeFileSync(env.BSYNC_PLAN_KEY_FILE, 'not a key\n');
    expect(() => signingKey(env)).toThrow(/the plan key is damaged: it is not 64 hex digits/);
  });
});
