// bsync as users get it: `npm pack` (which builds on prepack), the tarball installed with
// `npm install -g` into a temporary prefix, and the installed `bsync` run from there, away
// from this checkout. Its runtime dependencies come from the npm registry (or npm's cache).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, STACK_TRACE, type BsyncRun } from '../support/bsync.js';
import { exampleConfigs, layOutExamples } from '../support/examples.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** docs/ that ship: what users read. docs/lab.md and docs/architecture.md are for contributors. */
const USER_DOCS = [
  'config.md',
  'drift.md',
  'first-cluster.md',
  'fleet.md',
  'ha.md',
  'init.md',
  'migrating.md',
  'monitoring.md',
  'performance.md',
  'platforms.md',
  'recovery.md',
  'reliability.md',
  'resources.md',
  'runbook.md',
];
const SECRETS = { BSYNC_CIPHER: 'cipher-value-1234567890', BSYNC_BACKUP_PASSWORD: 'password-value-123456' };

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<BsyncRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function mustRun(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<BsyncRun> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result;
}

/** The bytes of every file below `path` (their lengths, not the blocks they take). */
function bytesUnder(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

describe('the npm package', () => {
  let dir: string;
  let files: string[];
  let packed: { scripts?: Record<string, string>; dependencies?: Record<string, string> };
  let installedBytes: number;
  let bundleText: string;
  let examples: string;
  let bsync: (args: string[], env?: NodeJS.ProcessEnv) => Promise<BsyncRun>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bsync-package-'));
    await mustRun('npm', ['pack', '--pack-destination', dir], { cwd: ROOT });
    const tarballs = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).toEqual([`${PACKAGE.name}-${PACKAGE.version}.tgz`]);
    const tarball = join(dir, tarballs[0]);
    files = (await mustRun('tar', ['tzf', tarball], { cwd: dir })).stdout
      .split('\n')
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, ''));
    packed = JSON.parse((await mustRun('tar', ['xzOf', tarball, 'package/package.json'], { cwd: dir })).stdout);
    // --prefix on the command line outranks the npm_config_prefix that `npm run` exports.
    const prefix = join(dir, 'prefix');
    await mustRun(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball],
      { cwd: dir },
    );
    const installed = join(prefix, 'bin', 'bsync');
    expect(existsSync(installed), `${installed} after npm install -g`).toBe(true);
    bsync = (args, env) => run(installed, args, { cwd: dir, env });
    const home = join(prefix, 'lib', 'node_modules', PACKAGE.name);
    installedBytes = bytesUnder(home);
    const bundle = join(home, 'dist', 'bundle');
    bundleText = readdirSync(bundle)
      .map((name) => readFileSync(join(bundle, name), 'utf8'))
      .join('\n');
    examples = join(dir, 'examples');
    layOutExamples(examples, join(home, 'examples'));
    // minimal.toml's [ssh] files, which validate reads (./keys/ beside the config).
    cpSync(`${FIXTURES}good/keys`, join(dir, 'keys'), { recursive: true });
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds what runs and what users read: the bundle, bin/bsync, schemas, user docs, examples, monitoring, README and LICENSE', () => {
    const kept =
      /^(package\.json|README\.md|LICENSE|bin\/bsync|dist\/bundle\/[^/]+\.(js|cjs)|schemas\/[^/]+\.json|examples\/[^/]+\.toml|monitoring\/[^/]+\.(yml|json)|docs\/[^/]+\.md)$/;
    expect(files.filter((path) => !kept.test(path))).toEqual([]);
    for (const path of [
      'bin/bsync',
      'dist/bundle/bsync.js',
      'dist/bundle/bsync-schema.validate.cjs',
      'schemas/bsync.schema.json',
      'schemas/plan.schema.json',
      'monitoring/bsync.rules.yml',
      'monitoring/bsync.rules.test.yml',
      'monitoring/grafana-dashboard.json',
      ...exampleConfigs().map((name) => `examples/${name}`),
    ]) {
      expect(files, path).toContain(path);
    }
    // dist/lib is tsc's output, which the bundle already holds; the validator ships once.
    expect(files.filter((path) => path.endsWith('.validate.cjs'))).toEqual(['dist/bundle/bsync-schema.validate.cjs']);
  });

  it("ships the user docs, and not the contributors' (the lab, the architecture)", () => {
    const docs = files.filter((path) => path.startsWith('docs/')).sort();
    expect(docs).toEqual(USER_DOCS.map((name) => `docs/${name}`));
    const all = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    expect(all.filter((name) => !USER_DOCS.includes(name)).sort()).toEqual(['architecture.md', 'lab.md']);
  });

  it('declares as dependencies only what the bundle loads at run time', () => {
    // ssh2 is --external (native parts); ajv (its compiler and the validator's runtime) and
    // cron-parser are loaded with createRequire, which esbuild leaves to Node.
    expect(Object.keys(packed.dependencies ?? {}).sort()).toEqual(['ajv', 'cron-parser', 'ssh2']);
    for (const name of Object.keys(packed.dependencies ?? {}))
      expect(bundleText, `the bundle loads ${name}`).toMatch(new RegExp(`(require\\d*\\(|from )"${name}[/"]`));
  });

  it("installs in about the size README.md gives, and README's install commands are the ones run here", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const stated = /installed it takes about (\d+(?:\.\d+)?) MB/.exec(readme);
    expect(stated, 'README.md: "installed it takes about N MB"').not.toBeNull();
    const megabytes = installedBytes / 1e6;
    expect(Math.abs(megabytes - Number(stated![1])), `measured ${megabytes.toFixed(1)} MB`).toBeLessThan(
      Number(stated![1]) * 0.15,
    );
    expect(readme).toContain('npm pack');
    expect(readme).toContain('npm install -g ./pgbsync-0.1.0.tgz');
    // Until the package is published, no page may install it from the registry.
    for (const page of ['README.md', ...USER_DOCS.map((name) => `docs/${name}`)])
      expect(readFileSync(join(ROOT, page), 'utf8'), page).not.toMatch(
        /npm i(nstall)? -g pgbsync\b|npx (--yes )?pgbsync/,
      );
  });

  it('runs nothing on install: dev dependencies (patch-package) are not there to run', () => {
    // npm may skip a dependency's install scripts (allow-scripts), so check the manifest itself.
    expect(Object.keys(packed.scripts ?? {}).filter((name) => /^(pre|post)?install$|^prepare$/.test(name))).toEqual([]);
  });

  it('bsync --version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await bsync([flag]);
      expect(result, flag).toMatchObject({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
    }
  });

  it('bsync --help lists the commands', async () => {
    const result = await bsync(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['validate', 'plan', 'apply [planfile]', 'facts', 'unlock <lease>'])
      expect(result.stdout).toContain(`bsync ${command}`);
  });

  it('bsync validate -c reads a config with the installed schema', async () => {
    copyFileSync(`${FIXTURES}good/minimal.toml`, join(dir, 'bsync.toml'));
    const good = await bsync(['validate', '-c', 'bsync.toml'], SECRETS);
    expect(good).toMatchObject({ code: 0, stdout: 'bsync.toml: valid, 2 hosts.\n', stderr: '' });
    const unset = await bsync(['validate', '-c', 'bsync.toml'], {
      BSYNC_CIPHER: undefined,
      BSYNC_BACKUP_PASSWORD: undefined,
    });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('the environment variable BSYNC_CIPHER is not set');
    expect(unset.stderr).not.toMatch(STACK_TRACE);
  });

  it("bsync validate loads the build's precompiled schema validator, and neither ajv's compiler nor cron-parser", async () => {
    const schedules = '\n[schedule]\nfull = "10 0 * * 0"\ndiff = "10 0 * * 1-6"\n';
    writeFileSync(join(dir, 'bsync.toml'), readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8') + schedules);
    // Prints the CommonJS modules loaded by the time the process exits (ESM ones are not in require.cache).
    const listLoaded = `import { createRequire } from 'node:module';
      process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(createRequire('/').cache))));`;
    const result = await bsync(['validate', '-c', 'bsync.toml'], {
      ...SECRETS,
      NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(listLoaded)}`,
    });
    expect(result).toMatchObject({ code: 0, stdout: 'bsync.toml: valid, 2 hosts.\n' });
    const loaded = JSON.parse(result.stderr) as string[];
    expect(loaded.filter((path) => path.endsWith('/dist/bundle/bsync-schema.validate.cjs'))).toHaveLength(1);
    expect(loaded.filter((path) => /\/node_modules\/(ajv\/dist\/ajv\.js|cron-parser\/)/.test(path))).toEqual([]);
  });

  it.each(exampleConfigs())(
    'bsync validate -c accepts the installed examples/%s, laid out as docs/first-cluster.md says',
    async (name) => {
      const result = await bsync(['validate', '-c', join(examples, name)]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/: valid, \d+ hosts\.\n$/);
    },
  );

  it("docs/first-cluster.md's steps 2 to 4 run as written against the installed package (/etc/bsync a temporary folder; no host reached)", async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'first-cluster.md'), 'utf8');
    // Its shell lines that need no host: the folder, the example, the key, the secrets, validate.
    const lines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((block) => block[1].split('\n'))
      .map((line) => line.replace(/\s+# .*$/, ''))
      .filter((line) => /^(install -d|cp |ssh-keygen -t|umask|openssl|cd |bsync validate$)/.test(line));
    expect(lines.map((line) => line.split(' ')[0])).toEqual([
      'install',
      'cp',
      'ssh-keygen',
      'umask',
      'openssl',
      'openssl',
      'cd',
      'bsync',
    ]);
    const etc = join(dir, 'etc-bsync');
    // ssh-keyscan's lines, which need the hosts, come from the fixtures' known_hosts.
    const script = lines
      .map((line) => line.replaceAll('/etc/bsync', etc))
      .map((line) =>
        line.startsWith('cd ') ? `cp ${FIXTURES}good/keys/known_hosts ${etc}/ssh/known_hosts\n${line}` : line,
      );
    const prefix = join(dir, 'prefix');
    // --norc: bash reads /etc/bash.bashrc when it takes its stdin for a remote shell's socket (a pipe of Node's), which -u then trips on.
    const result = await run('bash', ['--norc', '-euc', script.join('\n')], {
      cwd: dir,
      env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, npm_config_prefix: prefix },
    });
    const printed = /^prints `(.+)`/m.exec(doc)?.[1];
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // ssh-keygen prints its fingerprint first; validate's line is the last.
    expect(result.stdout.split('\n').slice(-2)).toEqual([printed, '']);
  });
});
