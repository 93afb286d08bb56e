// The checkout's npm package as a user installs it: the tarball `npm pack` makes, installed
// with `npm install -g` into a prefix of the test's (init.test, cron-recipes.test).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { BsyncRun } from './bsync.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function run(command: string, args: string[], cwd: string): Promise<BsyncRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Packs the checkout into `dir` and installs the tarball into `prefix` (`prefix/bin/bsync`).
 * --ignore-scripts: the lanes share this checkout's dist, which `npm test` built; prepack
 * would build it again under the other lane's feet.
 */
export async function installPackage(dir: string, prefix: string): Promise<void> {
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, ROOT], dir);
  expect(packed.code, packed.stderr).toBe(0);
  const tarball = join(dir, readdirSync(dir).find((name) => name.endsWith('.tgz'))!);
  const installed = await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball],
    dir,
  );
  expect(installed.code, installed.stderr).toBe(0);
}
