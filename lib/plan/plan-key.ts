// The key bsync signs the plans it saves with, so that `apply FILE` refuses a plan bsync did
// not write (docs/reliability.md, Saved plans). It is 32 random bytes, kept on the machine
// running bsync and never in a plan: `$BSYNC_PLAN_KEY_FILE`, else
// `$XDG_STATE_HOME/bsync/plan.key` (~/.local/state/bsync/plan.key), written 0600 in a 0700
// folder the first time a plan is saved. It is derived from nothing: the signature it makes
// tells nobody anything about the config's secrets, which no plan holds anyway.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BsyncError } from '../errors.js';
import { bsyncDir } from '../user-dirs.js';

export const PLAN_KEY_VARIABLE = 'BSYNC_PLAN_KEY_FILE';

/** Where this machine's plan key is. */
export function planKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env[PLAN_KEY_VARIABLE] || join(bsyncDir('state', env), 'plan.key');
}

const KEY_TEXT = /^[0-9a-f]{64}\n?$/;

function refuse(path: string, what: string, hint: string): never {
  throw new BsyncError(`the plan key ${what}`, { where: path, hint });
}

/** The key in `path`, or undefined when there is no such file; refused when others may read or replace it. */
function readKey(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return refuse(path, `cannot be read: ${(error as Error).message}`, `Give it to the user running bsync.`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) refuse(path, 'is not a file', `Remove what is there, or point ${PLAN_KEY_VARIABLE} elsewhere.`);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid)
      refuse(path, `belongs to uid ${stat.uid}, not to the user running bsync (uid ${uid})`, `chown ${uid} ${path}`);
    if ((stat.mode & 0o077) !== 0)
      refuse(
        path,
        `may be read or written by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): whoever reads it can sign plans`,
        `chmod 600 ${path}`,
      );
    const text = readFileSync(fd, 'utf8');
    if (!KEY_TEXT.test(text))
      refuse(
        path,
        'is damaged: it is not 64 hex digits',
        'Delete it: the next saved plan makes a new one (plans signed with the old key are then refused).',
      );
    return Buffer.from(text.trim(), 'hex');
  } finally {
    closeSync(fd);
  }
}

/** A new key at `path`, whole or not at all: another bsync making one at the same moment wins or loses as a whole. */
function createKey(path: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      refuse(
        path,
        `cannot be made: ${(error as Error).message}`,
        `Saved plans are signed with it. Set ${PLAN_KEY_VARIABLE} to a file the user running bsync may create.`,
      );
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** The key to sign a plan with, made on first use. */
export function signingKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const path = planKeyPath(env);
  const key = readKey(path);
  if (key) return key;
  createKey(path);
  return readKey(path)!;
}

/** The key to check a plan with; undefined when this machine has none (it never saved a plan). */
export function checkingKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  return readKey(planKeyPath(env));
}

/** The value's JSON with every object's keys sorted: the same text for the same value, however it was written. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry !== null && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(
          Object.keys(entry)
            .sort()
            .map((name) => [name, (entry as Record<string, unknown>)[name]]),
        )
      : entry,
  );
}

/** HMAC-SHA256 under the key of the value's canonical JSON (the plan without its signature). */
export function planSignature(key: Buffer, value: unknown): string {
  return createHmac('sha256', key)
    .update(`bsync-plan\n${canonicalJson(value)}`)
    .digest('hex');
}

/** Whether `signature` is the value's under the key (compared in constant time). */
export function signatureHolds(key: Buffer, value: unknown, signature: string): boolean {
  const expected = Buffer.from(planSignature(key, value), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
