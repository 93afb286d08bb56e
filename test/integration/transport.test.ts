// The SSH transport against a real sshd (a lab host): commands, stdin, users, the channel
// limit, the lock holder, and every way a host can fail to be trusted or reached.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostError } from '../../lib/errors.js';
import { connectHost, type ConnectTarget } from '../../lib/transport/ssh.js';
import type { HostConnection } from '../../lib/transport/types.js';
import { KNOWN_HOSTS, OPERATOR_KEY } from '../lab/lab.js';

const target: ConnectTarget = {
  name: 'ssh-backup2',
  address: '127.0.1.14',
  port: 22,
  user: 'root',
  identity: OPERATOR_KEY,
  knownHostsPath: KNOWN_HOSTS,
  connectTimeoutSec: 5,
};
const work = mkdtempSync(join(tmpdir(), 'bsync-transport-'));

async function connectError(overrides: Partial<ConnectTarget>): Promise<HostError> {
  const error = await connectHost({ ...target, ...overrides }).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HostError);
  return error as HostError;
}

describe('a connection to a real sshd', () => {
  let connection: HostConnection;
  beforeAll(async () => {
    connection = await connectHost(target);
  });
  afterAll(() => connection.close());

  it('runs commands and returns output and exit code', async () => {
    expect(await connection.exec('hostname; echo oops >&2; exit 3')).toEqual({
      code: 3,
      stdout: 'ssh-backup2\n',
      stderr: 'oops\n',
    });
  });

  it('delivers 1 MiB of binary stdin intact', async () => {
    const payload = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) % 256));
    const result = await connection.exec('sha256sum | cut -d" " -f1', { stdin: payload });
    const { createHash } = await import('node:crypto');
    expect(result.stdout.trim()).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it("runs as another user with that user's home", async () => {
    const result = await connection.exec('id -un; echo $HOME', { user: 'nobody' });
    expect(result.stdout).toBe('nobody\n/nonexistent\n');
  });

  it('queues past 8 channels: 30 concurrent commands all succeed', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => connection.exec(`sleep 0.2; echo ${i}`)));
    expect(results.map((result) => result.stdout.trim())).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    // Instant commands free sessions fastest and meet sshd's MaxSessions the hardest.
    const burst = await Promise.all(Array.from({ length: 100 }, () => connection.exec('true')));
    expect(burst.every((result) => result.code === 0)).toBe(true);
  });
});

describe('hosts that must not be trusted or cannot be reached', () => {
  it('a host missing from known_hosts is refused', async () => {
    const empty = join(work, 'empty_known_hosts');
    writeFileSync(empty, '');
    const error = await connectError({ knownHostsPath: empty });
    expect(error.describe()).toMatch(
      /ssh-backup2: the host key of ssh-backup2 \(127\.0\.1\.14:22\) is not in known_hosts/,
    );
  });

  it('a changed host key is refused and says CHANGED with the offered fingerprint', async () => {
    const forged = readFileSync(KNOWN_HOSTS, 'utf8')
      .split('\n')
      .filter(Boolean)
      .filter((line) => line.startsWith('ssh-backup1,') && line.includes('ssh-ed25519'))
      .map((line) => line.replace('ssh-backup1,127.0.1.13', 'ssh-backup2,127.0.1.14'));
    const file = join(work, 'forged_known_hosts');
    writeFileSync(file, `${forged.join('\n')}\n`);
    const error = await connectError({ knownHostsPath: file });
    expect(error.message).toMatch(/has CHANGED: it offered SHA256:[A-Za-z0-9+/]{43}/);
  });

  it('a hashed known_hosts works', async () => {
    const { execFileSync } = await import('node:child_process');
    const file = join(work, 'hashed_known_hosts');
    writeFileSync(file, readFileSync(KNOWN_HOSTS));
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const connection = await connectHost({ ...target, knownHostsPath: file });
    expect((await connection.exec('true')).code).toBe(0);
    connection.close();
  });

  it('a key the host does not accept is a clear authentication error', async () => {
    const { execFileSync } = await import('node:child_process');
    const key = join(work, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const error = await connectError({ identity: key });
    expect(error.message).toBe(`127.0.1.14:22 did not accept the key ${key} for user root`);
  });

  it('nothing listening is a clear refusal naming the host', async () => {
    const error = await connectError({ port: 2299 });
    expect(error.describe()).toBe(
      'ssh-backup2: nothing accepts SSH connections on 127.0.1.14:2299 (connection refused)',
    );
  });
});
