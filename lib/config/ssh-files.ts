// The files [ssh] names on the machine running bsync, checked before any host is asked:
// the identity exists, is readable, is a private key and not its public half, and is
// usable (an encrypted one only through the ssh-agent in SSH_AUTH_SOCK); known_hosts
// exists. `bsync validate` reports these with the config's other problems' form (file,
// line, key path); the commands that connect check them first, once, rather than failing
// once per host.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Inventory } from './inventory.js';
import { ConfigProblems } from './problems.js';
import { keyFileKind } from '../formats/ssh-key.js';

type Add = (message: string, hint?: string) => void;

function fileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? `permission denied (bsync runs as uid ${process.getuid?.() ?? '?'})`
      : (error as Error).message;
}

/** The file's text, or undefined after saying why it cannot be read. */
function readLocal(path: string, add: Add, hint: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) {
      add(`${path} is a folder, not a file`, hint);
      return undefined;
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    add(`cannot read ${path}: ${fileError(error)}`, hint);
    return undefined;
  }
}

function checkIdentity(path: string, env: NodeJS.ProcessEnv, add: Add): void {
  const text = readLocal(
    path,
    add,
    'Name the private key bsync logs in with, or leave identity out to use the ssh-agent.',
  );
  if (text === undefined) return;
  const kind = keyFileKind(text);
  if (kind === 'public')
    add(
      `${path} is the public half of a key pair; identity names the private key`,
      `Use ${path.replace(/\.pub$/, '')}${path.endsWith('.pub') ? '' : ' (the file without .pub)'}; its public half goes into the hosts' authorized_keys.`,
    );
  else if (kind === 'other')
    add(
      `${path} holds no SSH private key`,
      'Give a private key file, as ssh-keygen writes it (-----BEGIN OPENSSH PRIVATE KEY-----).',
    );
  else if (kind === 'encrypted' && !env.SSH_AUTH_SOCK)
    add(
      `${path} is encrypted with a passphrase, and no ssh-agent is running (SSH_AUTH_SOCK is not set) to use it`,
      `bsync asks for no passphrase: load the key into an agent (eval "$(ssh-agent)"; ssh-add ${path}) and run bsync in that shell, or give bsync a key of its own without a passphrase.`,
    );
}

/** The identity bsync logs in with when [ssh] names none: the ssh-agent's keys, else ~/.ssh/id_ed25519. */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SSH_AUTH_SOCK ? undefined : `${homedir()}/.ssh/id_ed25519`;
}

/** Each problem of the identity and known_hosts files, by the [ssh] key that names the file. */
export function sshFileProblems(
  ssh: { identity?: string; knownHosts: string },
  env: NodeJS.ProcessEnv,
  add: (key: 'ssh.identity' | 'ssh.known_hosts', message: string, hint?: string) => void,
): void {
  if (ssh.identity) checkIdentity(ssh.identity, env, (message, hint) => add('ssh.identity', message, hint));
  readLocal(ssh.knownHosts, (message, hint) => add('ssh.known_hosts', message, hint), KNOWN_HOSTS_HINT);
}

/** Raises the problems of [ssh]'s local files as a bad config's (ConfigError, or ConfigErrors for several). */
export function checkSshFiles(inventory: Inventory, env: NodeJS.ProcessEnv = process.env): void {
  let text = '';
  try {
    text = readFileSync(inventory.configPath, 'utf8');
  } catch {
    // a config given as text (tests); problems are then named by key path alone
  }
  const problems = new ConfigProblems(inventory.configPath, text);
  sshFileProblems(inventory.ssh, env, (key, message, hint) => problems.add(key, message, hint));
  problems.raise();
}

const KNOWN_HOSTS_HINT =
  "Make it with the hosts' keys (ssh-keyscan HOST >> FILE), then check each fingerprint (ssh-keygen -lf FILE) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it).";
