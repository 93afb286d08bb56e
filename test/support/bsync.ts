// Runs bsync as a user would: the built CLI in a child process, capturing what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BSYNC = fileURLToPath(new URL('../../bin/bsync', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface BsyncRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function startBsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<BsyncRun> } {
  const child = spawn(process.execPath, [BSYNC, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<BsyncRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
  return { child, done };
}

export function bsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BsyncRun> {
  return startBsync(args, env).done;
}

/** Stack-trace lines look like `    at fn (file:line:col)`. */
export const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
