// [repo.s3] key_type "auto" / "web-id" and kms_key_id: what the config takes and refuses,
// the options and commands the plan writes (recorded ssh-converged facts, s3 as repo2), each
// host's release checked, and nothing secret in the plan. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import type { S3Repo } from '../../lib/repositories/s3.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, s3Repo, withSecondRepo, problemsOf, refusalOf } from '../support/configs.js';
import { scheduledBackup } from '../../lib/desired/backups.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/pgbackrest';
const TOKEN = '/run/secrets/eks.amazonaws.com/serviceaccount/token';
const KMS = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ENV_WORD = `env AWS_ROLE_ARN=${ROLE_ARN} AWS_WEB_IDENTITY_TOKEN_FILE=${TOKEN} pgbackrest`;

/** An s3 repo2 with its key lines replaced by `keys`. */
const keyless = (keys: string, extra = '') =>
  withSecondRepo(s3Repo(extra).replace('key = { env = "S3K" }\nkey_secret = { env = "S3S" }', keys));
const AUTO = keyless('key_type = "auto"');
const WEB_ID = keyless(`key_type = "web-id"\nrole_arn = "${ROLE_ARN}"\ntoken_file = "${TOKEN}"\nkms_key_id = "${KMS}"`);

const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);
const problems = (text: string) => problemsOf(() => load(text));

function facts(version?: string): Map<string, HostFacts> {
  const all = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
  if (version) for (const one of Object.values(all)) one.pgbackrestVersion = version;
  return new Map(Object.entries(all));
}

function planText(text: string, version?: string): string {
  const inv = load(text);
  const plan = buildPlan(
    inv,
    inv.hosts.map((host) => host.name),
    desiredResources(inv, facts(version)),
  ).plan;
  return `${renderPlanText(plan, { color: false })}\n${JSON.stringify(plan)}`;
}

describe('[repo.s3] key_type in the config', () => {
  it('reads auto and web-id without keys, and shared (the default) as before', () => {
    const auto = load(AUTO).repos[1].table as S3Repo;
    expect([auto.keyType, auto.key, auto.keySecret]).toEqual(['auto', undefined, undefined]);
    const webId = load(WEB_ID).repos[1].table as S3Repo;
    expect(webId).toMatchObject({ keyType: 'web-id', roleArn: ROLE_ARN, tokenFile: TOKEN, kmsKeyId: KMS });
    const shared = load(withSecondRepo(s3Repo())).repos[1].table as S3Repo;
    expect(shared.keyType).toBe('shared');
    expect(shared.key?.reveal()).toBe(ENV.S3K);
  });

  it('refuses a key beside auto or web-id, naming the key path, and what each type needs', () => {
    expect(problems(keyless('key_type = "auto"\nkey = { env = "S3K" }'))).toEqual([
      'repo[2].s3.key: does not go with key_type = "auto": pgBackRest gets temporary credentials itself (from the instance metadata service) and reads no access key | Remove repo[2].s3.key.',
    ]);
    expect(problems(keyless(`key_type = "web-id"\nkey_secret = { env = "S3S" }\nrole_arn = "${ROLE_ARN}"`))).toEqual([
      'repo[2].s3.token_file: is required | With key_type = "web-id", the web identity token is repo[2].s3.token_file.',
      'repo[2].s3.key_secret: does not go with key_type = "web-id": pgBackRest gets temporary credentials itself (from STS) and reads no secret access key | Remove repo[2].s3.key_secret.',
    ]);
    expect(problems(keyless('key = { env = "S3K" }'))).toEqual([
      'repo[2].s3.key_secret: is required | With key_type = "shared" (the default), the secret access key is repo[2].s3.key_secret.',
    ]);
    expect(problems(keyless(`key = { env = "S3K" }\nkey_secret = { env = "S3S" }\nrole_arn = "${ROLE_ARN}"`))).toEqual([
      'repo[2].s3.role_arn: does not go with key_type = "shared" (the default): the role a web identity token is traded for is for key_type = "web-id" | Remove repo[2].s3.role_arn, or set key_type = "web-id".',
    ]);
    expect(problems(keyless('key_type = "pod-id"'))[0]).toMatch(
      /^repo\[2\]\.s3\.key_type: must be one of "shared", "auto", "web-id"/,
    );
    expect(problems(keyless('key_type = "web-id"\nrole_arn = "pgbackrest"\ntoken_file = "token"'))).toEqual([
      'repo[2].s3.role_arn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/pgbackrest, got "pgbackrest"',
      'repo[2].s3.token_file: must be an absolute path of letters, digits and _.@%+=:,/- (no spaces or quotes, no . or .. parts), got "token"',
    ]);
  });

  it('refuses two web-id repositories that need different roles: pgBackRest reads one AWS_ROLE_ARN', () => {
    const second = WEB_ID.replace('[[repo]]\ntype = "s3"', `[[repo]]\ntype = "s3"`);
    const third = s3Repo()
      .replace('path = "/off-site"', 'path = "/third"')
      .replace(
        'key = { env = "S3K" }\nkey_secret = { env = "S3S" }',
        `key_type = "web-id"\nrole_arn = "arn:aws:iam::123456789012:role/other"\ntoken_file = "${TOKEN}"`,
      );
    expect(problems(second.replace('[backup_user]', `${third}\n[backup_user]`))).toEqual([
      `repo[3].s3: needs AWS_ROLE_ARN=arn:aws:iam::123456789012:role/other, and repo[2] needs AWS_ROLE_ARN=${ROLE_ARN}: pgBackRest reads one AWS_ROLE_ARN for every repository | Give both repositories the same value, or use another key_type for one of them.`,
    ]);
  });
});

describe('keyless s3 in the plan', () => {
  it('auto: writes repo2-s3-key-type, no key lines, and leaves every command as it was', () => {
    const text = planText(AUTO);
    expect(text).toContain('+repo2-s3-key-type=auto');
    expect(text).not.toMatch(/repo2-s3-key(-secret)?=/);
    expect(text).not.toContain('AWS_ROLE_ARN');
    expect(text).not.toContain('(sensitive)\n+repo2');
  });

  it('web-id and kms: the options, and the environment before every pgbackrest it writes or runs', () => {
    const text = planText(WEB_ID);
    expect(text).toContain('+repo2-s3-key-type=web-id');
    expect(text).toContain(`+repo2-s3-kms-key-id=${KMS}`);
    expect(text).not.toMatch(/repo2-s3-key(-secret)?=/);
    // archive_command and restore_command on the PostgreSQL hosts, cron and the first backup on the backup host.
    expect(text).toContain(`${ENV_WORD} --stanza=pgedge-lab-1 archive-push %p`);
    expect(text).toContain(`${ENV_WORD} --stanza=pgedge-lab-1 archive-get %f`);
    expect(text).toContain(
      `${scheduledBackup('pgedge-lab-1', 'full', `${ENV_WORD} --stanza=pgedge-lab-1 --repo=2 --type=full backup`, 2)} # bsync:full-repo2:pgedge-lab-1`,
    );
    expect(text).not.toMatch(/(^|[^ ])pgbackrest --stanza=pgedge-lab-1 (--repo=\d )?--type=\w+ backup/m);
    // No secret of either repository, and the shared key's secrets are not asked for.
    expect(text).not.toContain(ENV.S3K);
    expect(text).not.toContain(ENV.S3S);
    expect(text).not.toContain(ENV.CIPHER);
  });

  it('a config without the new keys plans exactly as before: no key-type line, no environment', () => {
    const text = planText(withSecondRepo(s3Repo()));
    expect(text).toContain('+repo2-s3-key=(sensitive)');
    expect(text).not.toMatch(/s3-key-type|s3-kms-key-id|AWS_/);
  });

  it("checks each host's release: one older than bsync's lists is refused key_type and kms_key_id, naming the key path", () => {
    expect(() => planText(WEB_ID, '2.40')).toThrow(
      /^repo\[2\]\.s3\.key_type: host ssh-\w+ runs pgBackRest 2\.40: that is older than 2\.45/,
    );
    expect(() =>
      planText(
        keyless('key = { env = "S3K" }\nkey_secret = { env = "S3S" }', '').replace(
          'region = "eu-west-1"',
          `region = "eu-west-1"\nkms_key_id = "${KMS}"`,
        ),
        '2.40',
      ),
    ).toThrow(/^repo\[2\]\.s3\.kms_key_id: host ssh-\w+ runs pgBackRest 2\.40/);
    expect(() => planText(WEB_ID, '2.55.1')).not.toThrow();
    expect(() => planText(AUTO, '2.45')).not.toThrow();
  });

  it('names the key of [repo.s3] each refused option comes from, and the way out', () => {
    expect(refusalOf(() => planText(WEB_ID, '2.40'))).toMatch(
      / \| Upgrade pgBackRest on ssh-\w+, or remove key_type from \[repo\[2\]\.s3\]\.$/,
    );
    // Nothing chosen beyond the keys every s3 repository has: the first option bsync writes, at its own key.
    expect(refusalOf(() => planText(withSecondRepo(s3Repo()), '2.40'))).toMatch(
      /^repo\[2\]\.s3\.bucket: host ssh-\w+ runs pgBackRest 2\.40: that is older than 2\.45, .* cannot tell whether 2\.40 has repo-s3-bucket \| Upgrade pgBackRest on ssh-\w+, or give repo\[2\] another type \(bsync writes repo2-s3-bucket for every s3 repository\)\.$/,
    );
  });
});
