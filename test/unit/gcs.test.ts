// The gcs repository type on the facts recorded from the lab's ssh scenario, as repo2: its
// table's checks and defaults, its options in pgbackrest.conf, the service account key as a
// file of its own on every host (the pgBackRest user's, 0600) that the plan, saved plans and
// `bsync facts` never show, its drift, its removal with another key type, and the check of
// its options against each host's pgBackRest version. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { redactFacts } from '../../lib/facts/redact.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { serviceKeyProblem } from '../../lib/repositories/gcs.js';
import { isRepoKeyFile } from '../../lib/repositories/index.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, problemsOf, refusalOf, withSecondRepo } from '../support/configs.js';

const PRIVATE_KEY =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
const SERVICE_KEY = JSON.stringify(
  {
    type: 'service_account',
    project_id: 'bsync-test',
    private_key: PRIVATE_KEY,
    client_email: 'backup@bsync-test.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
  },
  null,
  2,
);
const KEY_PATH = '/etc/pgbackrest/repo2-gcs-key.json';
const env = { ...ENV, GCS_KEY: SERVICE_KEY, GCS_TOKEN: 'Bearer emulator-token-0123456789' };

const gcsRepo = (table = 'key = { env = "GCS_KEY" }') => `
[[repo]]
type = "gcs"
path = "/gcs"
cipher_pass = { env = "CIPHER" }

[repo.gcs]
bucket = "pg-backups"
${table}
`;
const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, env);
const problems = (table: string) => problemsOf(() => load(withSecondRepo(gcsRepo(table))));

function converged(): Map<string, HostFacts> {
  const recorded = readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8');
  return new Map(Object.entries(JSON.parse(recorded) as Record<string, HostFacts>));
}

function plan(inv: Inventory, facts = converged()) {
  return buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, facts),
  ).plan;
}

/** The recorded facts with the key file on every host: `content`, `owner`, `mode`. */
function withKeyFile(content: string, mode = '0600'): Map<string, HostFacts> {
  const facts = converged();
  for (const [name, host] of facts) {
    const owner = name.includes('backup') ? 'backrest' : 'postgres';
    host.files[KEY_PATH] = { exists: true, kind: 'file', type: 'regular file', owner, group: owner, mode, content };
  }
  return facts;
}

describe('[repo.gcs] in the config', () => {
  it("defaults to a service account key, pgBackRest's endpoint, TLS verified", () => {
    const table = load(withSecondRepo(gcsRepo())).repos[1].table as Record<string, unknown>;
    expect(table).toMatchObject({
      bucket: 'pg-backups',
      endpoint: 'storage.googleapis.com',
      keyType: 'service',
      verifyTls: true,
    });
    expect((table.key as { reveal(): string }).reveal()).toBe(SERVICE_KEY);
  });

  it('takes a multi-line JSON key of more than 1024 characters: it goes into a file, not pgbackrest.conf', () => {
    const long = JSON.stringify({ ...JSON.parse(SERVICE_KEY), padding: 'x'.repeat(2000) }, null, 2);
    expect(() =>
      parseConfig(withSecondRepo(gcsRepo()), `${FIXTURES}lab/ssh.toml`, { ...env, GCS_KEY: long }),
    ).not.toThrow();
  });

  it('refuses a key that is no service account key, naming the key path and never its value', () => {
    expect(serviceKeyProblem('not json')?.message).toBe('the service account key is not JSON');
    expect(serviceKeyProblem('{"client_email": "a@b"}')?.message).toBe(
      'the service account key has no private_key, token_uri',
    );
    expect(
      serviceKeyProblem(JSON.stringify({ ...JSON.parse(SERVICE_KEY), private_key: 'secret-not-pem' }))?.message,
    ).toBe("the service account key's private_key is not a PEM private key");
    expect(
      serviceKeyProblem(JSON.stringify({ ...JSON.parse(SERVICE_KEY), token_uri: 'http://oauth2/token' }))?.message,
    ).toMatch(/token_uri is not an https:\/\/ URL/);
    const refused = problemsOf(() =>
      parseConfig(withSecondRepo(gcsRepo()), `${FIXTURES}lab/ssh.toml`, {
        ...env,
        GCS_KEY: '{"private_key": "hunter2"}',
      }),
    );
    expect(refused).toEqual([
      'repo[2].gcs.key: the service account key has no client_email, token_uri | Give the JSON key file of a service account, as `gcloud iam service-accounts keys create` writes it. (env GCS_KEY)',
    ]);
    expect(refused.join('')).not.toContain('hunter2');
  });

  it('wants a key with "service" and "token", none with "auto"', () => {
    expect(problems('key_type = "auto"\nkey = { env = "GCS_KEY" }')).toEqual([
      'repo[2].gcs.key: key_type "auto" takes no key: pgBackRest asks the instance\'s metadata server for a token | Remove key, or set key_type = "service" for a service account key.',
    ]);
    expect(problems('key_type = "token"')).toEqual([
      'repo[2].gcs.key: key_type "token" needs a key | Add key = { env = "..." } with the token.',
    ]);
    expect(problems('')[0]).toMatch(/^repo\[2\]\.gcs\.key: key_type "service" needs a key/);
    expect(problems('key_type = "hmac"')[0]).toMatch(
      /^repo\[2\]\.gcs\.key_type: must be one of "service", "auto", "token"/,
    );
  });

  it("holds a token to pgbackrest.conf's rules, since it goes there", () => {
    const text = withSecondRepo(gcsRepo('key_type = "token"\nkey = { env = "GCS_TOKEN" }'));
    expect(
      problemsOf(() => parseConfig(text, `${FIXTURES}lab/ssh.toml`, { ...env, GCS_TOKEN: ' padded ' }))[0],
    ).toMatch(/^repo\[2\]\.gcs\.key: pgbackrest\.conf cannot hold this secret exactly/);
  });
});

describe('a gcs repository in the plan', () => {
  it("writes its options on every host, the key's path (hidden, as pgBackRest's naming says) and no port option", () => {
    const text = renderPlanText(
      plan(load(withSecondRepo(gcsRepo('key = { env = "GCS_KEY" }\nendpoint = "gcs.lab"\nport = 8443')))),
      {
        color: false,
      },
    );
    expect(text).toContain('+repo2-type=gcs');
    expect(text).toContain('+repo2-gcs-bucket=pg-backups');
    expect(text).toContain('+repo2-gcs-key=(sensitive)');
    expect(text).toContain('+repo2-gcs-endpoint=gcs.lab:8443');
    expect(text).not.toMatch(/repo2-storage-port|repo2-gcs-key-type/);
  });

  it("installs the key on every host as the pgBackRest user's, 0600, before pgbackrest.conf, shown as (sensitive)", () => {
    const made = plan(load(withSecondRepo(gcsRepo())));
    const keys = made.actions.filter((action) => action.address.endsWith('.repo_key[repo2]'));
    expect(keys.map((action) => action.host).sort()).toEqual(['ssh-backup1', 'ssh-backup2', 'ssh-pg1', 'ssh-pg2']);
    const pg1 = keys.find((action) => action.host === 'ssh-pg1')!;
    expect(pg1.action).toBe('create');
    expect(pg1.fields).toEqual([
      { name: 'owner', after: 'postgres' },
      { name: 'group', after: 'postgres' },
      { name: 'mode', after: '0600' },
    ]);
    expect(keys.find((action) => action.host === 'ssh-backup1')!.fields![0]).toEqual({
      name: 'owner',
      after: 'backrest',
    });
    expect(pg1.diff).toContain('+(sensitive)');
    const order = made.actions.map((action) => action.address);
    expect(order.indexOf('ssh-pg1.repo_key[repo2]')).toBeLessThan(order.indexOf('ssh-pg1.pgbackrest_conf'));
    const shown = `${renderPlanText(made, { color: false })}${JSON.stringify(made)}`;
    expect(shown).not.toContain('BEGIN PRIVATE KEY');
    expect(shown).not.toContain('client_email');
  });

  it('sends the key on stdin only: no command line holds it', () => {
    const inv = load(withSecondRepo(gcsRepo()));
    const key = desiredResources(inv, converged()).find((resource) => resource.address === 'ssh-pg1.repo_key[repo2]')!;
    const [write] = key.change!.steps;
    expect(write.command).toContain(KEY_PATH);
    expect(write.command).not.toContain('PRIVATE KEY');
    expect(write.stdin).toHaveLength(2);
  });

  it('leaves a key that matches alone, and plans a key that differs, or its mode, as drift', () => {
    const inv = load(withSecondRepo(gcsRepo()));
    const keyActions = (facts: Map<string, HostFacts>) =>
      plan(inv, facts).actions.filter((action) => action.address.endsWith('.repo_key[repo2]'));
    expect(keyActions(withKeyFile(`${SERVICE_KEY}\n`))).toEqual([]);
    const changed = keyActions(withKeyFile(`${SERVICE_KEY.replace('bsync-test', 'other')}\n`));
    expect(changed.map((action) => action.action)).toEqual(['update', 'update', 'update', 'update']);
    // The whole file is the secret: one line, changed, shown (sensitive) on both sides.
    expect(changed[0].diff).toMatch(/\n@@ -1,1 \+1,1 @@\n-\(sensitive\)\n\+\(sensitive\)\n?$/);
    expect(JSON.stringify(changed)).not.toContain('PRIVATE KEY');
    const loose = keyActions(withKeyFile(`${SERVICE_KEY}\n`, '0644'));
    expect(loose[0].fields).toEqual([{ name: 'mode', before: '0644', after: '0600' }]);
    expect(loose[0].diff).toBeUndefined();
  });

  it('with key_type "auto": no key option, and a key file left from "service" is removed', () => {
    const inv = load(withSecondRepo(gcsRepo('key_type = "auto"')));
    const text = renderPlanText(plan(inv), { color: false });
    expect(text).toContain('+repo2-gcs-key-type=auto');
    expect(text).not.toMatch(/repo2-gcs-key=/);
    expect(plan(inv).actions.some((action) => action.address.endsWith('repo_key[repo2]'))).toBe(false);
    const removed = plan(inv, withKeyFile(`${SERVICE_KEY}\n`)).actions.filter((action) =>
      action.address.endsWith('repo_key[repo2]'),
    );
    expect(removed.map((action) => action.action)).toEqual(['delete', 'delete', 'delete', 'delete']);
  });

  it('with key_type "token": the token in pgbackrest.conf as (sensitive), no key file', () => {
    const made = plan(load(withSecondRepo(gcsRepo('key_type = "token"\nkey = { env = "GCS_TOKEN" }'))));
    const text = renderPlanText(made, { color: false });
    expect(text).toContain('+repo2-gcs-key-type=token');
    expect(text).toContain('+repo2-gcs-key=(sensitive)');
    expect(text).not.toContain('emulator-token');
    expect(made.actions.some((action) => action.address.endsWith('repo_key[repo2]'))).toBe(false);
  });

  it('refuses user_project on a host whose pgBackRest is 2.45, naming the host and the key; 2.55 takes it', () => {
    const inv = load(withSecondRepo(gcsRepo('key = { env = "GCS_KEY" }\nuser_project = "billing-project"')));
    expect(refusalOf(() => plan(inv))).toBe(
      'repo[2].gcs.user_project: host ssh-pg1 runs pgBackRest 2.45: 2.45 does not have repo-gcs-user-project (pgBackRest 2.55 has it) | Upgrade pgBackRest on ssh-pg1, or remove user_project from [repo[2].gcs].',
    );
    const newer = converged();
    for (const host of newer.values()) host.pgbackrestVersion = '2.55.1';
    expect(renderPlanText(plan(inv, newer), { color: false })).toContain('+repo2-gcs-user-project=billing-project');
  });
});

describe('the key file in `bsync facts`', () => {
  it('is shown without its content, whatever repository it belongs to', () => {
    expect(isRepoKeyFile('/etc/pgbackrest/gcs-key.json')).toBe(true);
    expect(isRepoKeyFile(KEY_PATH)).toBe(true);
    expect(isRepoKeyFile('/etc/pgbackrest/gcs-ca.crt')).toBe(false);
    expect(isRepoKeyFile('/etc/pgbackrest/s3-key.json')).toBe(false);
    const facts = withKeyFile(`${SERVICE_KEY}\n`).get('ssh-pg1')!;
    const shown = redactFacts(facts);
    expect(shown.files[KEY_PATH].content).toBe('(sensitive)');
    expect(JSON.stringify(shown)).not.toContain('PRIVATE KEY');
  });
});
