// bsync as users get it: `npm pack` (which builds on prepack), the tarball installed with
// `npm install -g` into a temporary prefix, and the installed `bsync` run from there, away
// from this checkout. Its runtime dependencies come from the npm registry (or npm's cache).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
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

describe('the npm package', () => {
  let dir: string;
  let files: string[];
  let packed: { scripts?: Record<string, string> };
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
    // minimal.toml's [ssh] files, which validate reads (./keys/ beside the config).
    cpSync(`${FIXTURES}good/keys`, join(dir, 'keys'), { recursive: true });
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built code, schemas, docs, alert rules and dashboard, and licence, and no tests, fixtures, patches or sources', () => {
    for (const path of [
      'package.json',
      'bin/bsync',
      'dist/bin/bsync.js',
      'dist/lib/cli/validate.js',
      'dist/bundle/bsync.js',
      'dist/bundle/bsync-schema.validate.cjs',
      'schemas/bsync.schema.json',
      'schemas/plan.schema.json',
      'LICENSE',
      'README.md',
      'docs/config.md',
      'monitoring/bsync.rules.yml',
      'monitoring/bsync.rules.test.yml',
      'monitoring/grafana-dashboard.json',
    ]) {
      expect(files, path).toContain(path);
    }
    expect(files.filter((path) => /^(test|fixtures|patches|lib|\.ci)\//.test(path) || path.endsWith('.ts'))).toEqual(
      [],
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
});
