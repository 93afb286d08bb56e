// One apply at a time per host: a flock held by a channel that stays open for the whole
// apply. If bsync dies the connection drops, the holder exits and the lock is free again.
import { hostname, userInfo } from 'node:os';
import { HostError } from '../errors.js';
import { shq } from '../transport/shell.js';
import type { HostConnection } from '../transport/types.js';

const LOCK = '/run/lock/bsync.lock';
const HOLDER = '/run/lock/bsync.holder';

export async function lockHost(connection: HostConnection): Promise<() => void> {
  const holder = `${userInfo().username}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
  const command = [
    'mkdir -p /run/lock',
    `exec 9>${LOCK}`,
    `if flock -n 9; then printf '%s\\n' ${shq(holder)} > ${HOLDER}; echo locked; exec cat >/dev/null; fi`,
    `echo "busy $(cat ${HOLDER} 2>/dev/null || echo unknown holder)"`,
  ].join('\n');
  const { firstLine, release } = await connection.hold(command);
  if (firstLine.trim() !== 'locked') {
    release();
    throw new HostError(connection.host, `another bsync apply is changing this host (${firstLine.replace(/^busy /, '').trim()})`, {
      hint: 'Wait for it to finish; the lock is released when that bsync ends or loses its connection.',
    });
  }
  return release;
}
