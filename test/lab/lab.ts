// The lab as tests use it: the scenarios' hosts, up/reset through lab.sh, and commands
// on a host through the system's ssh client with strict host key checking.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const STATE_DIR = process.env.BSYNC_LAB_DIR ?? '/var/tmp/bsync-lab';
export const OPERATOR_KEY = `${STATE_DIR}/ssh/id_ed25519`;
export const KNOWN_HOSTS = `${STATE_DIR}/ssh/known_hosts`;
const LAB_SH = fileURLToPath(new URL('./lab.sh', import.meta.url));

export type Scenario = 'ssh' | 's3' | 'ha' | 'adopt' | 'rocky' | 'multi' | 'posix' | 'azure' | 'trixie' | 'forky';

export const SCENARIO_HOSTS: Record<Scenario, { postgres: string[]; backup: string[] }> = {
  ssh: { postgres: ['ssh-pg1', 'ssh-pg2'], backup: ['ssh-backup1', 'ssh-backup2'] },
  s3: { postgres: ['s3-pg1', 's3-pg2'], backup: [] },
  ha: { postgres: ['ha-pg1', 'ha-pg2', 'ha-pg3'], backup: ['ha-backup1'] },
  adopt: { postgres: ['adopt-pg1'], backup: ['adopt-backup1'] },
  rocky: { postgres: ['rocky-pg1'], backup: ['rocky-backup1'] },
  multi: { postgres: ['multi-pg1'], backup: ['multi-backup1'] },
  posix: { postgres: ['posix-pg1', 'posix-pg2'], backup: [] },
  azure: { postgres: ['azure-pg1', 'azure-pg2'], backup: [] },
  // Debian 13: PostgreSQL 17 and pgBackRest 2.55, from a root filesystem of their own.
  trixie: { postgres: ['trixie-pg1', 'trixie-pg2'], backup: ['trixie-backup1'] },
  // Debian testing (forky): PostgreSQL 18, pgBackRest 2.60 and Patroni 4.
  forky: { postgres: ['forky-pg1', 'forky-pg2', 'forky-ha1', 'forky-ha2'], backup: ['forky-backup1'] },
};

/** sshd's port on a lab host: the rocky scenario's listen on 2222 (lab.sh host_ssh_port). */
export function sshPortOf(host: string): number {
  return host.startsWith('rocky-') ? 2222 : 22;
}

/** The hosts `up` starts (the trixie and forky scenarios' only with `up trixie`, `up forky`). */
export const ALL_HOSTS = Object.entries(SCENARIO_HOSTS)
  .filter(([scenario]) => scenario !== 'trixie' && scenario !== 'forky')
  .flatMap(([, { postgres, backup }]) => [...postgres, ...backup]);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export async function lab(...args: string[]): Promise<RunResult> {
  return run('bash', [LAB_SH, ...args]);
}

async function labOrThrow(...args: string[]): Promise<void> {
  const result = await lab(...args);
  if (result.code !== 0) throw new Error(`lab ${args.join(' ')} failed:\n${result.stderr}`);
}

export const up = () => labOrThrow('up');
export const down = () => labOrThrow('down');
/** The scale scenario (32 hosts) comes up only when asked, and goes again by itself. */
export const upScale = () => labOrThrow('up', 'scale');
export const upTrixie = () => labOrThrow('up', 'trixie');
export const upForky = () => labOrThrow('up', 'forky');
const ROOTFS_SH = fileURLToPath(new URL('./debian-rootfs.sh', import.meta.url));
/** A Debian generation's root filesystem, built (or found current) ahead of its scenario's `up`. */
export async function buildRootfs(suite: 'trixie' | 'forky'): Promise<RunResult> {
  return run('bash', [ROOTFS_SH, suite]);
}
export const downScale = () => labOrThrow('down', 'scale');
export const reset = (scenario: Scenario) => labOrThrow('reset', scenario);

export function sshArgs(host: string, user = 'root'): string[] {
  return [
    '-i',
    OPERATOR_KEY,
    '-o',
    `UserKnownHostsFile=${KNOWN_HOSTS}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-p',
    String(sshPortOf(host)),
    `${user}@${host}`,
  ];
}

/** Runs a /bin/sh command on a lab host as root, over real SSH. */
export function sshRun(host: string, command: string, input?: string): Promise<RunResult> {
  return run('ssh', [...sshArgs(host), command], input);
}

export function execOnMachine(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
