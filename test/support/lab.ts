// What the engine's tests need from the lab: reset a scenario, run a command on a host
// through real SSH, read a secret the lab generated.
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import * as lab from '../lab/lab.js';

export interface HostRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function resetScenario(name: lab.Scenario): Promise<void> {
  await lab.reset(name);
}

/** Runs a command on a lab host and expects it to succeed (the message names host, command and stderr); its stdout. */
export async function sh(host: string, command: string): Promise<string> {
  const run = await lab.sshRun(host, command);
  expect(run.code, `${host}: ${command}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

export async function onHost(host: string, command: string): Promise<HostRun> {
  return lab.sshRun(host, command);
}

export async function labSecret(name: string): Promise<string> {
  return (await readFile(`${lab.STATE_DIR}/secrets/${name}`, 'utf8')).trim();
}
