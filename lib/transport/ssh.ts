// One ssh2 connection per host: strict host key verification against known_hosts, key or
// agent authentication, at most 8 channels at once (sshd's MaxSessions is 10), keep-alives
// for long backups, and errors that name the host.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { HostError } from '../errors.js';
import type { Secret } from '../secret.js';
import { Semaphore } from '../semaphore.js';
import { remoteCommand } from './commands.js';
import { keysForHost, knownHostsLine, parseKnownHosts, type HostKeys } from '../formats/known-hosts.js';
import { keyFileKind } from '../formats/ssh-key.js';
import type { ExecOptions, ExecResult, HostConnection } from './types.js';

const { Client } = ssh2;
const MAX_CHANNELS = 8;
const KEEPALIVE_MS = 5_000;
const KEEPALIVE_MISSES = 4;

export interface ConnectTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; the ssh-agent in SSH_AUTH_SOCK when absent. */
  identity?: string;
  /** Opens an encrypted identity ([ssh] passphrase); revealed only to ssh2. */
  passphrase?: Secret;
  knownHostsPath: string;
  connectTimeoutSec: number;
}

/** Host key algorithms ssh2 may negotiate for the key types known_hosts holds. */
function hostKeyAlgorithms(keys: HostKeys): string[] {
  const algorithms = new Set<string>();
  for (const { type } of keys.trusted) {
    if (type === 'ssh-rsa') for (const name of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) algorithms.add(name);
    else algorithms.add(type);
  }
  return [...algorithms];
}

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function loadKnownHosts(target: ConnectTarget): HostKeys {
  try {
    return keysForHost(
      parseKnownHosts(readFileSync(target.knownHostsPath, 'utf8')),
      [target.name, target.address],
      target.port,
    );
  } catch (error) {
    throw new HostError(target.name, `cannot read known_hosts ${target.knownHostsPath}: ${(error as Error).message}`);
  }
}

/**
 * The key file (an encrypted one with [ssh] passphrase), or the ssh-agent when there is no
 * key file, or it is encrypted and no passphrase is configured (bsync never prompts for one).
 */
function authOptions(target: ConnectTarget): { privateKey?: Buffer; passphrase?: string; agent?: string } {
  if (target.identity) {
    let key: Buffer;
    try {
      key = readFileSync(target.identity);
    } catch (error) {
      throw new HostError(
        target.name,
        `cannot read the SSH private key ${target.identity}: ${(error as Error).message}`,
      );
    }
    if (keyFileKind(key.toString('latin1')) !== 'encrypted') return { privateKey: key };
    if (target.passphrase) return { privateKey: key, passphrase: target.passphrase.reveal() };
    if (!process.env.SSH_AUTH_SOCK)
      throw new HostError(target.name, `the SSH private key ${target.identity} is encrypted and no ssh-agent runs`, {
        hint: `Load it into an agent (eval "$(ssh-agent)"; ssh-add ${target.identity}) and run bsync in that shell, or set [ssh] passphrase.`,
      });
  }
  if (process.env.SSH_AUTH_SOCK) return { agent: process.env.SSH_AUTH_SOCK };
  throw new HostError(target.name, 'no SSH key to log in with', {
    hint: 'Set [ssh].identity, or run bsync with an ssh-agent (SSH_AUTH_SOCK).',
  });
}

export function connectHost(target: ConnectTarget): Promise<HostConnection> {
  const known = loadKnownHosts(target);
  const where = `${target.address}:${target.port}`;
  const auth = authOptions(target);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyProblem: HostError | undefined;
    let settled = false;
    const fail = (error: HostError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(error);
    };
    client.on('ready', () => {
      settled = true;
      resolve(new SshConnection(target, client));
    });
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem);
      fail(describeConnectError(target, where, error, auth.agent !== undefined));
    });
    client.on('close', () => fail(new HostError(target.name, `the connection to ${where} closed before it was ready`)));
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      ...auth,
      readyTimeout: target.connectTimeoutSec * 1000,
      // A host that stops answering (a cut network) is declared lost within ~25 s; sshd
      // answers keepalives itself, so a long backup keeps its connection.
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_MISSES,
      ...(known.trusted.length > 0 ? { algorithms: { serverHostKey: hostKeyAlgorithms(known) as never } } : {}),
      hostVerifier: (key: Buffer) => {
        const offered = key.toString('base64');
        if (known.trusted.length === 0) {
          hostKeyProblem = new HostError(
            target.name,
            `the host key of ${target.name} (${where}) is not in known_hosts ${target.knownHostsPath}`,
            {
              hint: `It offered ${fingerprint(key)}. Verify that out of band (on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); once it matches, add this line to ${target.knownHostsPath}:\n    ${knownHostsLine([target.name, target.address], target.port, key)}`,
            },
          );
          return false;
        }
        if (known.revoked.some((entry) => entry.key === offered)) {
          hostKeyProblem = new HostError(
            target.name,
            `the host key of ${target.name} (${where}) is marked @revoked in ${target.knownHostsPath}`,
          );
          return false;
        }
        if (known.trusted.some((entry) => entry.key === offered)) return true;
        hostKeyProblem = new HostError(
          target.name,
          `the host key of ${target.name} (${where}) has CHANGED: it offered ${fingerprint(key)}, which ${target.knownHostsPath} does not hold for it`,
          {
            hint: 'Someone may be intercepting the connection, or the host was reinstalled. Verify the new key out of band before replacing the old one.',
          },
        );
        return false;
      },
    });
  });
}

function describeConnectError(
  target: ConnectTarget,
  where: string,
  error: Error & { level?: string; code?: string },
  viaAgent: boolean,
): HostError {
  if (error.level === 'client-authentication') {
    const credential = !viaAgent
      ? `the key ${target.identity}`
      : target.identity
        ? `the ssh-agent's keys (${target.identity} is encrypted, so bsync asks the agent in SSH_AUTH_SOCK; ssh-add it there)`
        : "the ssh-agent's keys (SSH_AUTH_SOCK)";
    return new HostError(target.name, `${where} did not accept ${credential} for user ${target.user}`);
  }
  if (error.code === 'ECONNREFUSED')
    return new HostError(target.name, `nothing accepts SSH connections on ${where} (connection refused)`);
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return new HostError(target.name, `the address ${target.address} does not resolve`);
  if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH')
    return new HostError(target.name, `${where} is unreachable`);
  if (/timed out/i.test(error.message) || error.code === 'ETIMEDOUT') {
    return new HostError(target.name, `${where} did not answer within ${target.connectTimeoutSec} s`);
  }
  return new HostError(target.name, `SSH to ${where} failed: ${error.message}`);
}

class SshConnection implements HostConnection {
  readonly host: string;
  readonly #client: InstanceType<typeof Client>;
  readonly #loginUser: string;
  readonly #channels = new Semaphore(MAX_CHANNELS);
  #closed = false;
  #lostBecause?: string;

  constructor(target: ConnectTarget, client: InstanceType<typeof Client>) {
    this.host = target.name;
    this.#client = client;
    this.#loginUser = target.user;
    client.on('close', () => (this.#closed = true));
    client.on('error', (error: Error) => {
      this.#lostBecause = /keepalive/i.test(error.message)
        ? `${target.name} stopped answering (no reply to ${KEEPALIVE_MISSES} keepalives, ${(KEEPALIVE_MS * KEEPALIVE_MISSES) / 1000} s)`
        : error.message;
    });
  }

  /**
   * Opens an exec channel. sshd frees a session slot a little after the client sees the
   * channel close, so a burst can meet MaxSessions: such a refusal is retried briefly.
   */
  async #openExec(line: string): Promise<ssh2.ClientChannel> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.#closed) throw new HostError(this.host, 'the SSH connection is closed');
      try {
        return await new Promise<ssh2.ClientChannel>((resolve, reject) => {
          this.#client.exec(line, (error, stream) => (error ? reject(error) : resolve(stream)));
        });
      } catch (error) {
        const refused = /open failure|open failed/i.test((error as Error).message);
        if (!refused || attempt >= 40)
          throw new HostError(this.host, `cannot run a command: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 25 * Math.min(attempt + 1, 8)));
      }
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    const line = remoteCommand(this.#loginUser, command, options.user, stdin?.length);
    const release = await this.#channels.acquire(1);
    try {
      const stream = await this.#openExec(line);
      return await new Promise<ExecResult>((resolve) => {
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          options.onStdout?.(chunk.toString('utf8'));
        });
        stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        stream.on('close', (code: number | null, signal?: string) => {
          const err = Buffer.concat(stderr).toString('utf8');
          const ended =
            this.#closed || this.#lostBecause
              ? `the SSH connection was lost: ${this.#lostBecause ?? 'closed'}; whether the command finished on the host is unknown`
              : `killed by signal ${signal ?? 'unknown'}`;
          resolve({
            code: code ?? 255,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: code === null || code === undefined ? `${err}${ended}` : err,
          });
        });
        stream.end(stdin);
      });
    } finally {
      release();
    }
  }

  close(): void {
    this.#client.end();
  }
}
