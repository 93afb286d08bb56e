// What a saved plan proves, on facts recorded from the lab's ssh scenario (fixtures/facts/):
// whoever reads the file learns no secret and cannot test a guess of one (nothing in it is
// computed from a secret, under any key it holds); whoever edits it gets it refused, the
// first difference named; an unedited file is accepted. `bsync apply FILE` re-makes the
// plan with DECLARED_STATE, as here, and checks it with checkSavedPlan.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DECLARED_STATE } from '../../lib/operations/declared.js';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { redactConninfoPasswords, redactYamlSecrets } from '../../lib/formats/host-secrets.js';
import { buildPlan, type PlannedChanges } from '../../lib/plan/build.js';
import { planSignature, signingKey } from '../../lib/plan/plan-key.js';
import { checkSavedPlan, planDifferences, readPlanFile, writePlanFile } from '../../lib/plan/saved.js';
import type { Plan, PlanAction } from '../../lib/plan/types.js';
import { planReplicaMethods } from '../../lib/resources/patroni-local.js';
import { displayText, knownText, resourceAddress, type Change, type Resource } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, SSH_CONFIG, withSecondRepo } from '../support/configs.js';
import { keysIn, secretsShownIn } from '../support/saved-secrets.js';
import { sessionOf } from '../support/sessions.js';

const dir = mkdtempSync(join(tmpdir(), 'bsync-trust-'));
// ssh.toml with a second repository on S3: a cipher passphrase, S3 keys and the backup password.
const CONFIG = withSecondRepo(s3Repo());
const S1 = ENV;
const S2 = {
  CIPHER: 'another-cipher-passphrase-9876543210',
  PASSWORD: 'another-backup-password-9876543210',
  S3K: 'AKIAOTHERKEY99999999',
  S3S: 'other-secret-key-9876543210',
};
const NONCE = '0123456789abcdef0123456789abcdef';
const AGAIN = 'bsync plan --out FILE';

function inventory(env: Record<string, string>, config = CONFIG): Inventory {
  return parseConfig(config, `${FIXTURES}lab/ssh.toml`, env);
}

/** What a plan is made from besides the secrets: the recorded hosts, and the config around the secrets. */
interface Scene {
  facts?: Map<string, HostFacts>;
  config?: string;
}

function recordedFacts(state: 'fresh' | 'converged'): Map<string, HostFacts> {
  return new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
}

/** The plan as `bsync plan` and `bsync apply` make it; `nonce` is the saved plan's key at apply time. */
function planNow(env: Record<string, string>, scene: Scene, nonce?: string): Promise<PlannedChanges> {
  return DECLARED_STATE.plan(sessionOf(inventory(env, scene.config)), scene.facts ?? recordedFacts('fresh'), nonce);
}

/** `bsync plan --out`: the file's name and its text, its time fixed so two files compare. */
async function savePlan(name: string, env: Record<string, string>, scene: Scene = {}) {
  const { plan } = await planNow(env, scene, NONCE);
  const file = join(dir, name);
  writePlanFile(file, { ...plan, createdAt: '2026-12-01T00:00:00.000Z' });
  return { file, text: readFileSync(file, 'utf8') };
}

/** `bsync apply FILE`'s check, on the file as it now reads; the refusal as a person sees it, or null. */
async function applyCheck(file: string, env: Record<string, string> = S1, scene: Scene = {}) {
  const saved = readPlanFile(file);
  const fresh = await planNow(env, scene, saved.nonce);
  try {
    checkSavedPlan(saved, fresh.plan, { file, again: AGAIN });
    return { refusal: null, fresh };
  } catch (error) {
    if (!(error instanceof BsyncError)) throw error;
    return { refusal: error.describe(), fresh };
  }
}

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');

/** The fingerprint material of plan version 1 (the audit's finding): secrets revealed. */
function revealedMaterial(resource: Resource): string {
  const change = resource.change as Change;
  return JSON.stringify({
    address: resource.address,
    action: change.action,
    fields: change.fields?.map((field) => [
      field.name,
      field.before,
      typeof field.after === 'string' ? field.after : field.after && displayText(field.after),
    ]),
    before: change.diff?.before,
    after: change.diff ? (knownText(change.diff.after) ?? displayText(change.diff.after)) : undefined,
    commands: change.steps.map((step) => step.command),
    conflict: change.conflict,
  });
}

describe('a saved plan holds nothing computed from a secret', () => {
  it('is the same file, byte for byte, whatever the secrets (time and key fixed)', async () => {
    const one = await savePlan('s1.json', S1);
    const two = await savePlan('s2.json', S2);
    // The plan does carry what the secrets are in: otherwise the comparison proves nothing.
    const plan = JSON.parse(one.text) as Plan;
    const diffOf = (address: string) => plan.actions.find((action) => action.address === address)?.diff ?? '';
    expect(diffOf('ssh-pg1.pgpass[postgres]')).toContain('+localhost:5432:*:backrest:(sensitive)');
    expect(diffOf('ssh-pg1.pgbackrest_conf')).toContain('+repo1-cipher-pass=(sensitive)');
    expect(diffOf('ssh-pg1.pgbackrest_conf')).toContain('+repo2-s3-key-secret=(sensitive)');
    expect(one.text).toBe(two.text);
  });

  it('holds no secret, and no HMAC or SHA-256 of a text with one in it, under any key it holds', async () => {
    const { text } = await savePlan('s1.json', S1);
    const secrets = Object.values(S1);
    // Every 32+ hex digit string in the file may be a key: the nonce, and the fingerprints too.
    expect(keysIn(text)).toContain(NONCE);
    const inv = inventory(S1);
    const texts = desiredResources(inv, recordedFacts('fresh')).flatMap((resource) => {
      if (!resource.change) return [];
      const after = resource.change.diff && knownText(resource.change.diff.after);
      return [revealedMaterial(resource), ...(after ? [after] : []), ...secrets];
    });
    const withSecret = texts.filter((candidate) => secrets.some((secret) => candidate.includes(secret)));
    // The .pgpass and pgbackrest.conf of four hosts, and the secrets themselves.
    expect(withSecret.length).toBeGreaterThan(16);
    expect(secretsShownIn(text, secrets, withSecret)).toEqual([]);
  });

  it('a secret changed between plan and apply: the plan holds, and apply writes the secret the config has then', async () => {
    const { file } = await savePlan('before-rotation.json', S1);
    const { refusal, fresh } = await applyCheck(file, S2);
    expect(refusal).toBeNull();
    const written = (address: string) =>
      fresh.changes
        .get(address)!
        .steps.map((step) => (step.stdin ? (knownText(step.stdin) ?? '') : ''))
        .join('');
    expect(written('ssh-pg1.pgpass[postgres]')).toContain(S2.PASSWORD);
    expect(written('ssh-pg1.pgpass[postgres]')).not.toContain(S1.PASSWORD);
    expect(written('ssh-pg1.pgbackrest_conf')).toContain(`repo1-cipher-pass=${S2.CIPHER}`);
  });

  it('a secret changed where the hosts hold the old one: the new plan changes more, and the saved one is refused', async () => {
    // ssh.toml alone: what the recorded hosts hold, so there is nothing to change.
    const scene = { facts: recordedFacts('converged'), config: SSH_CONFIG };
    const { file, text } = await savePlan('converged.json', S1, scene);
    expect((JSON.parse(text) as Plan).actions).toEqual([]);
    const { refusal } = await applyCheck(file, { ...S1, PASSWORD: S2.PASSWORD }, scene);
    expect(refusal).toContain(
      `${file}: the saved plan is stale or was edited: on ssh-pg1, ssh-pg1.pg_role[backrest] needs a change the saved plan does not have`,
    );
    expect(refusal).toContain('ssh-pg1.pgpass[postgres]: needs a change the saved plan does not have');
    expect(refusal).not.toContain(S2.PASSWORD);
  });

  it('a version 1 file, whose fingerprints covered secrets, is refused in a sentence', () => {
    const file = join(dir, 'v1.json');
    writeFileSync(
      file,
      JSON.stringify({ format: 'bsync-plan', version: 1, nonce: NONCE, actions: [], hosts: [], summary: {} }),
    );
    expect(() => readPlanFile(file)).toThrow(
      'this plan file has version 1, whose fingerprints were computed over secrets; this bsync reads version 3',
    );
  });
});

// Behind the signature: a plan edited and signed again by whoever holds the plan key is
// still checked against the plan bsync makes now.
describe('an edited saved plan, even signed again, is refused, naming the first difference', () => {
  /** A saved plan, edited as `edit` says and signed again with the plan key; apply's refusal. */
  async function refusalOf(name: string, edit: (plan: Plan) => void): Promise<string | null> {
    const { file, text } = await savePlan(name, S1);
    const { signature: _old, ...plan } = JSON.parse(text) as Plan & { signature: string };
    edit(plan);
    writeFileSync(file, JSON.stringify({ ...plan, signature: planSignature(signingKey(), plan) }, null, 2));
    return (await applyCheck(file)).refusal;
  }

  it('an edit without the plan key is refused by the signature, before anything is planned', async () => {
    const { file, text } = await savePlan('unsigned-edit.json', S1);
    writeFileSync(file, text.replace('+repo1-retention-full=1', '+repo1-retention-full=9'));
    expect(() => readPlanFile(file)).toThrow(
      /the saved plan's signature does not hold under this machine's plan key .*: the file was changed after bsync saved it/,
    );
  });
  const action = (plan: Plan, address: string) => plan.actions.find((entry) => entry.address === address)!;
  const lead = (name: string, why: string) => `${join(dir, name)}: ${why}`;

  it('an unedited file is accepted, and is the plan bsync makes now', async () => {
    const { file } = await savePlan('unedited.json', S1);
    const saved = readPlanFile(file);
    const fresh = await planNow(S1, {}, saved.nonce);
    expect(planDifferences(saved, fresh.plan)).toEqual([]);
    expect({ ...saved, createdAt: '' }).toEqual({ ...fresh.plan, createdAt: '' });
    expect((await applyCheck(file)).refusal).toBeNull();
  });

  it('a changed diff line', async () => {
    const refusal = await refusalOf('diff.json', (plan) => {
      const conf = action(plan, 'ssh-pg1.pgbackrest_conf');
      conf.diff = conf.diff!.replace('+repo1-retention-full=1', '+repo1-retention-full=9');
    });
    expect(refusal).toMatch(
      `${lead('diff.json', 'the saved plan was edited')}: on ssh-pg1, ssh-pg1.pgbackrest_conf has diff line`,
    );
    expect(refusal).toMatch(
      /reading "\+repo1-retention-full=9" in the saved plan, where bsync plans "\+repo1-retention-full=1"/,
    );
    expect(refusal).toContain('Make a new plan with: bsync plan --out');
  });

  it('a changed field value', async () => {
    const refusal = await refusalOf('field.json', (plan) => {
      action(plan, 'ssh-pg1.pgpass[postgres]').fields.find((field) => field.name === 'mode')!.after = '0644';
    });
    expect(refusal).toContain(
      `${lead('field.json', 'the saved plan was edited')}: on ssh-pg1, ssh-pg1.pgpass[postgres] has "mode" none -> "0644" in the saved plan, where bsync plans none -> "0600"`,
    );
  });

  it('a removed action', async () => {
    const refusal = await refusalOf('removed.json', (plan) => {
      plan.actions = plan.actions.filter((entry) => entry.address !== 'ssh-backup1.crontab[backrest]');
    });
    expect(refusal).toContain(
      `${lead('removed.json', 'the saved plan is stale or was edited')}: on ssh-backup1, ssh-backup1.crontab[backrest] needs a change the saved plan does not have`,
    );
  });

  it('an added action', async () => {
    const refusal = await refusalOf('added.json', (plan) => {
      const copy: PlanAction = {
        ...action(plan, 'ssh-backup1.crontab[backrest]'),
        address: 'ssh-backup1.crontab[root]',
        name: 'root',
        title: 'crontab of root',
      };
      plan.actions.push(copy);
    });
    expect(refusal).toContain(
      `${lead('added.json', 'the saved plan is stale or was edited')}: on ssh-backup1, ssh-backup1.crontab[root] no longer needs a change`,
    );
  });

  it('a changed reason, title, order, summary, fingerprint or key', async () => {
    expect(
      await refusalOf('title.json', (plan) => {
        action(plan, 'ssh-pg1.pg_restart').title = 'nothing to worry about';
      }),
    ).toMatch(
      /the saved plan was edited: on ssh-pg1, ssh-pg1.pg_restart has title "nothing to worry about" in the saved plan/,
    );
    expect(
      await refusalOf('restart.json', (plan) => {
        delete action(plan, 'ssh-pg1.pg_restart').requiresRestart;
      }),
    ).toMatch(/on ssh-pg1, ssh-pg1.pg_restart has requiresRestart none in the saved plan, where bsync plans true/);
    expect(
      await refusalOf('order.json', (plan) => {
        plan.actions.reverse();
      }),
    ).toMatch(/the saved plan was edited: on ssh-backup2, ssh-backup2.crontab\[backrest\] is action 1 in the file/);
    expect(
      await refusalOf('summary.json', (plan) => {
        plan.summary.remove = 0;
      }),
    ).toMatch(/the saved plan was edited: its summary .* does not count its actions/);
    expect(
      await refusalOf('fingerprint.json', (plan) => {
        action(plan, 'ssh-pg1.postgresql_conf').fingerprint = hmac(NONCE, 'forged');
      }),
    ).toContain('the saved plan is stale: on ssh-pg1, ssh-pg1.postgresql_conf would change something else now');
    expect(
      await refusalOf('nonce.json', (plan) => {
        plan.nonce = 'f'.repeat(32);
      }),
    ).toContain('the saved plan is stale: on ssh-pg1, ssh-pg1.ssh_dir[postgres] would change something else now');
  });

  it('a plan made for other hosts or another config', async () => {
    expect(
      await refusalOf('hosts.json', (plan) => {
        plan.hosts = ['ssh-pg1'];
      }),
    ).toContain(
      'the saved plan was made for another apply: it covers "ssh-pg1"; this apply covers "ssh-pg1, ssh-pg2, ssh-backup1, ssh-backup2"',
    );
    expect(
      await refusalOf('config.json', (plan) => {
        plan.configPath = '/elsewhere/bsync.toml';
      }),
    ).toContain('the saved plan was made for another apply: it was made from "/elsewhere/bsync.toml"');
  });
});

describe("secrets of others in the files bsync edits are masked, and a change outside the diff's lines still counts", () => {
  const PATRONI_YML = `scope: bsync-ha
name: ha-pg2
restapi:
  listen: 127.0.1.32:8008
  authentication:
    username: patroni
    password: rest-api-password-abc
postgresql:
  listen: 127.0.1.32:5432
  data_dir: /var/lib/postgresql/15/patroni
  authentication:
    superuser:
      username: postgres
      password: "superuser-password-abc"
    replication:
      username: replicator
      password: replication-password-abc
`;
  const SECRETS = ['rest-api-password-abc', 'superuser-password-abc', 'replication-password-abc'];

  /** The plan of patroni.yml as it is on the host, its time fixed. */
  function patroniPlan(content: string): Plan {
    const change = planReplicaMethods(
      '/etc/patroni/patroni.yml',
      { exists: true, kind: 'file', content },
      ['pgbackrest', 'basebackup'],
      { stanza: 'pgedge-lab-1', pgbackrest: 'pgbackrest' },
      'bsync-ha',
    );
    const resource: Resource = {
      address: resourceAddress('ha-pg2', 'patroni_yml'),
      host: 'ha-pg2',
      kind: 'patroni_yml',
      title: '/etc/patroni/patroni.yml',
      dependsOn: [],
      change,
    };
    return { ...buildPlan(inventory(S1), ['ha-pg2'], [resource], NONCE).plan, createdAt: '' };
  }

  it("patroni.yml's passwords are neither shown nor in the fingerprint", () => {
    const plan = patroniPlan(PATRONI_YML);
    const text = JSON.stringify(plan);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(plan.actions[0].diff).toContain('password: (sensitive)');
    expect(text).not.toContain(hmac(NONCE, PATRONI_YML));
    // Another password on the host: the same plan, byte for byte.
    expect(patroniPlan(PATRONI_YML.replace('replication-password-abc', 'other-password'))).toEqual(plan);
  });

  it('a line changed on the host far from the diff makes another fingerprint: the saved plan turns stale', () => {
    const plan = patroniPlan(PATRONI_YML);
    const moved = patroniPlan(PATRONI_YML.replace('listen: 127.0.1.32:8008', 'listen: 127.0.1.32:8009'));
    expect(moved.actions[0].diff).toBe(plan.actions[0].diff);
    expect(moved.actions[0].fingerprint).not.toBe(plan.actions[0].fingerprint);
    expect(planDifferences(plan, moved)).toEqual([
      {
        cause: 'stale',
        host: 'ha-pg2',
        address: 'ha-pg2.patroni_yml',
        what: 'would change something else now than the saved plan shows',
      },
    ]);
  });

  it('the masks', () => {
    expect(redactYamlSecrets('  password: x y\n  - db_password: "z"\nusername: u\n  token: t\n# password: c\n')).toBe(
      '  password: (sensitive)\n  - db_password: (sensitive)\nusername: u\n  token: (sensitive)\n# password: (sensitive)\n',
    );
    expect(
      redactConninfoPasswords(
        "primary_conninfo = 'host=a password=s3cr3t user=r'\nx = 'password=''a b'' port=1'\npassword_encryption = scram-sha-256\n",
      ),
    ).toBe(
      "primary_conninfo = 'host=a password=(sensitive) user=r'\nx = 'password=(sensitive) port=1'\npassword_encryption = scram-sha-256\n",
    );
  });
});
