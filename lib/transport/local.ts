// The machine bsync runs on, as a connection like a host's: steps that must happen here
// (a generated passphrase is kept off the hosts, in the controller's store) run through it.
import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult, HostConnection } from './types.js';

const CONTROLLER = 'controller';

export function localConnection(): HostConnection {
  return {
    host: CONTROLLER,
    exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      // Steps here run as whoever runs bsync; another user would need a sudo bsync never asks for.
      if (options.user !== undefined) {
        return Promise.resolve({
          code: 1,
          stdout: '',
          stderr: `a step on the ${CONTROLLER} cannot run as ${options.user}`,
        });
      }
      return new Promise((resolve) => {
        const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          options.onStdout?.(chunk.toString('utf8'));
        });
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        child.on('error', (error) => resolve({ code: 127, stdout: '', stderr: error.message }));
        child.on('close', (code, signal) =>
          resolve({
            code: code ?? 128,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8') + (signal ? `killed by ${signal}` : ''),
          }),
        );
        child.stdin.on('error', () => {});
        child.stdin.end(options.stdin ?? '');
      });
    },
    close() {},
  };
}
