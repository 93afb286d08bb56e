// A repository type is its module plus its registration (docs/architecture.md, "Adding
// things"): a made-up type, registered here the way lib/repositories/index.ts registers the
// real ones, is accepted by the schema, the config's checks, its secrets, the
// [pgbackrest.*] refusals, the plan and redaction, with no other file touched. No network.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Secret } from '../../lib/secret.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { PGBACKREST_CONF } from '../../lib/facts/paths.js';
import { isSecureOption, redactFile } from '../../lib/facts/redact.js';
import { RELEASES } from '../../lib/pgbackrest-options/index.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { registerRepoType, repoTypes } from '../../lib/repositories/index.js';
import { withRepoTypes } from '../../lib/repositories/schema.js';
import { repoPrefix, tableOf, type RepoType } from '../../lib/repositories/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, problemsOf, SSH_CONFIG, withSecondRepo } from '../support/configs.js';

/** The toy's table as the Inventory holds it. */
interface MemoryRepo {
  sizeMb: number;
  passphrase: Secret;
}

/** A made-up store: pgBackRest has no such type, the planner does not care. */
const memoryRepoType: RepoType = {
  name: 'memory',
  describe: 'a toy store in memory (a unit test registers it)',
  defaultPath: '/memory',
  table: {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['size_mb', 'passphrase'],
      properties: {
        size_mb: { type: 'integer', minimum: 1 },
        passphrase: { $ref: '#/definitions/secret' },
      },
    },
    check(table, path, add) {
      if ((table.size_mb as number) % 64 !== 0)
        add(`${path}.size_mb`, `must be a multiple of 64, got ${table.size_mb}`, 'Memory comes in 64 MB pages.');
    },
    convert: (table, values): MemoryRepo => ({
      sizeMb: table.size_mb as number,
      passphrase: values.secret('passphrase'),
    }),
  },
  managedOptions: 'memory-.*',
  // Not named as pgBackRest names a store's credentials (-key, -key-secret, -token).
  // The passphrase reads like a secret to any rule; the seed is secret only because the type says so.
  secretOptions: ['memory-passphrase', 'memory-seed'],
  locationOptions: (repo) => [
    [`${repoPrefix(repo)}type`, 'memory'],
    [`${repoPrefix(repo)}memory-size`, tableOf<MemoryRepo>(repo).sizeMb],
    [`${repoPrefix(repo)}memory-passphrase`, { secret: tableOf<MemoryRepo>(repo).passphrase }],
  ],
  secrets: (repo) => [tableOf<MemoryRepo>(repo).passphrase],
};

const PASSPHRASE = 'memory-passphrase-0123456789';
const env = { ...ENV, MEM: PASSPHRASE };
const memoryRepo = (table = 'size_mb = 128\npassphrase = { env = "MEM" }') => `
[[repo]]
type = "memory"
cipher_pass = { env = "CIPHER" }

[repo.memory]
${table}
`;
const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, env);

const problems = (text: string) => problemsOf(() => load(text));

describe('a repository type registered by a test alone', () => {
  let unregister: () => void;
  beforeAll(() => {
    unregister = registerRepoType(memoryRepoType);
  });
  afterAll(() => unregister());

  it('is in the schema: repo.type names it, its table sits last, marked as the types', () => {
    const schema = withRepoTypes(JSON.parse(readFileSync('schemas/bsync.schema.json', 'utf8'))) as {
      definitions: { repo: { properties: Record<string, { enum?: string[]; description?: string }> } };
    };
    const properties = schema.definitions.repo.properties;
    expect(properties.type.enum).toEqual(['ssh', 's3', 'azure', 'posix', 'gcs', 'memory']);
    expect(properties.type.description).toMatch(/; memory: a toy store in memory \(a unit test registers it\)\.$/);
    expect(Object.keys(properties).at(-1)).toBe('memory');
    expect(properties.memory).toMatchObject({ $comment: expect.stringContaining('lib/repositories/') });
  });

  it('is loaded: its table converted, its secret read, its default path', () => {
    const repo = load(withSecondRepo(memoryRepo())).repos[1];
    expect([repo.key, repo.type, repo.path]).toEqual([2, 'memory', '/memory']);
    const table = repo.table as MemoryRepo;
    expect(table.sizeMb).toBe(128);
    expect(table.passphrase.reveal()).toBe(PASSPHRASE);
    expect(table.passphrase.source).toBe('env MEM');
  });

  it('is validated: the schema, its table beside its type, its own check, its secret', () => {
    expect(problems(withSecondRepo(memoryRepo('size_mb = "big"\npassphrase = { env = "MEM" }')))).toEqual([
      'repo[2].memory.size_mb: must be a whole number, got "big"',
    ]);
    expect(problems(withSecondRepo(memoryRepo('size_mb = 100\npassphrase = { env = "MEM" }')))).toEqual([
      'repo[2].memory.size_mb: must be a multiple of 64, got 100 | Memory comes in 64 MB pages.',
    ]);
    expect(problems(withSecondRepo(memoryRepo('size_mb = 128\npassphrase = { env = "NOPE" }')))).toEqual([
      'repo[2].memory.passphrase: the environment variable NOPE is not set | Export NOPE before running bsync, or use { file = "path" }.',
    ]);
    expect(
      problems(withSecondRepo(memoryRepo().replace('[repo.memory]\nsize_mb = 128\npassphrase = { env = "MEM" }', ''))),
    ).toEqual([
      'repo[2].memory: is required with repo[2].type = "memory" | Add a [repo[2].memory] table with size_mb and passphrase.',
    ]);
    expect(
      problems(
        `${SSH_CONFIG.replace('[backup_user]', '[repo.memory]\nsize_mb = 64\npassphrase = "x"\n\n[backup_user]')}`,
      ),
    ).toEqual([
      'repo.memory: only goes with repo.type = "memory" | Remove [repo.memory], or set repo.type = "memory".',
    ]);
  });

  it('is named where [pgbackrest.*] options are refused', () => {
    const options = (lines: string) => problems(`${withSecondRepo(memoryRepo())}\n[pgbackrest.global]\n${lines}\n`);
    expect(options('repo1-s3-bucket = "b"')).toEqual([
      "pgbackrest.global.repo1-s3-bucket: is set by bsync from the repository's [repo.s3], [repo.azure], [repo.gcs] or [repo.memory] table",
    ]);
    expect(options('repo1-sftp-host = "b"')).toEqual([
      'pgbackrest.global.repo1-sftp-host: belongs to a repository type bsync does not manage: type is "ssh", "s3", "azure", "posix", "gcs" or "memory"',
    ]);
    expect(options('repo1-s3-key = "k"')[0]).toContain(
      "bsync's secret keys (repo.cipher_pass, repo.s3.key, repo.s3.key_secret, repo.azure.key, repo.gcs.key, repo.memory.passphrase)",
    );
  });

  it('is planned: its options in every host pgbackrest.conf, its secret hidden, its first backup', () => {
    const inv = load(withSecondRepo(memoryRepo()));
    const facts = new Map(
      Object.entries(
        JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
      ),
    );
    const plan = buildPlan(
      inv,
      inv.hosts.map((host) => host.name),
      desiredResources(inv, facts),
    ).plan;
    const text = renderPlanText(plan, { color: false });
    expect(text).toContain('+repo2-type=memory');
    expect(text).toContain('+repo2-memory-size=128');
    expect(text).toContain('+repo2-memory-passphrase=(sensitive)');
    expect(text).toContain('+repo2-path=/memory');
    expect(text).not.toContain(PASSPHRASE);
    expect(plan.actions.map((action) => action.address)).toContain('ssh-backup1.first_backup[pgedge-lab-1:repo2]');
  });

  it("hides its declared secrets in a host's pgbackrest.conf, which pgBackRest's tables do not name", () => {
    const conf = '[global]\nrepo2-memory-passphrase=hunter2\nrepo2-memory-seed=42\nrepo2-memory-size=128\n';
    expect(redactFile(PGBACKREST_CONF, conf)).toBe(
      '[global]\nrepo2-memory-passphrase=(sensitive)\nrepo2-memory-seed=(sensitive)\nrepo2-memory-size=128\n',
    );
  });

  it('cannot be registered twice', () => {
    expect(() => registerRepoType(memoryRepoType)).toThrow('repository type "memory" is registered twice');
  });
});

describe('the registry without the test type', () => {
  it('holds the five types bsync ships, in their order', () => {
    expect(repoTypes().map((type) => type.name)).toEqual(['ssh', 's3', 'azure', 'posix', 'gcs']);
  });

  // The tables replaced a rule by name (cipher-pass, every <store>-key, -key-secret, -token;
  // tls-server-auth), which missed the sse customer key and the sftp passphrase.
  it("hides exactly the options pgBackRest's tables mark secure, of every option in them", () => {
    const names = [...new Set(RELEASES.flatMap((release) => Object.keys(release.options)))];
    const hidden = names.filter((name) => {
      const key = name.replace(/^(repo|pg)-/, (_, prefix) => `${prefix}1-`);
      return redactFile(PGBACKREST_CONF, `${key}=x`) !== `${key}=x`;
    });
    expect(hidden.sort()).toEqual([
      'repo-azure-account',
      'repo-azure-endpoint',
      'repo-azure-key',
      'repo-cipher-pass',
      'repo-gcs-key',
      'repo-s3-key',
      'repo-s3-key-secret',
      'repo-s3-sse-customer-key',
      'repo-s3-token',
      'repo-sftp-private-key-passphrase',
    ]);
    // A type's own secret is secret only while the type is registered.
    expect(isSecureOption('repo2-memory-seed')).toBe(false);
  });
});
