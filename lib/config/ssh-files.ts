// The files [ssh] names on the machine running bsync, checked before any host is asked:
// the identity exists, is readable, is a private key and not its public half, and is
// usable (an encrypted one opened by [ssh] passphrase, or else through the ssh-agent in
// SSH_AUTH_SOCK); known_hosts exists. `bsync validate` reports these with the config's other
// problems' form (file, line, key path); the commands that connect check them first, once,
// rather than failing once per host.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Inventory } from './inventory.js';
import { ConfigProblems } from './problems.js';
import { keyFileKind, passphraseOpens } from '../formats/ssh-key.js';
import type { Secret } from '../secret.js';

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

/** How an encrypted identity is opened: [ssh] passphrase first, else the agent; undefined after saying neither can. */
function openEncrypted(path: string, text: string, passphrase: Secret | undefined, env: NodeJS.ProcessEnv, add: Add) {
  if (passphrase) {
    if (passphraseOpens(text, passphrase.reveal()))
      return `${path} is encrypted; bsync opens it with ssh.passphrase (${passphrase.source})`;
    add(
      `the passphrase from ${passphrase.source} (ssh.passphrase) does not open ${path}`,
      `Put the key's passphrase there (ssh-keygen -y -f ${path} asks for it and shows whether it opens), or leave passphrase out and load the key into an ssh-agent.`,
    );
    return undefined;
  }
  if (env.SSH_AUTH_SOCK)
    return `${path} is encrypted; bsync uses it through the ssh-agent in SSH_AUTH_SOCK (ssh-add it there)`;
  add(
    `${path} is encrypted with a passphrase, and bsync has neither an ssh-agent (SSH_AUTH_SOCK is not set) nor ssh.passphrase to open it`,
    `Load the key into an agent (eval "$(ssh-agent)"; ssh-add ${path}) and run bsync in that shell, or set [ssh] passphrase = { file = "PATH" } to a file only root reads that holds it, or give bsync a key of its own without a passphrase.`,
  );
  return undefined;
}

/** How the identity will be used when it is encrypted (for validate to say), after its problems. */
function checkIdentity(path: string, passphrase: Secret | undefined, env: NodeJS.ProcessEnv, add: Add) {
  const text = readLocal(
    path,
    add,
    'Name the private key bsync logs in with, or leave identity out to use the ssh-agent.',
  );
  if (text === undefined) return undefined;
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
  else if (kind === 'encrypted') return openEncrypted(path, text, passphrase, env, add);
  return undefined;
}

/** The identity bsync logs in with when [ssh] names none: the ssh-agent's keys, else ~/.ssh/id_ed25519. */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SSH_AUTH_SOCK ? undefined : `${homedir()}/.ssh/id_ed25519`;
}

/**
 * Each problem of the identity and known_hosts files, by the [ssh] key that names the file;
 * returns how an encrypted identity is opened (passphrase or agent).
 */
export function sshFileProblems(
  ssh: { identity?: string; passphrase?: Secret; knownHosts: string },
  env: NodeJS.ProcessEnv,
  add: (key: 'ssh.identity' | 'ssh.known_hosts', message: string, hint?: string) => void,
): string | undefined {
  const opened = ssh.identity
    ? checkIdentity(ssh.identity, ssh.passphrase, env, (message, hint) => add('ssh.identity', message, hint))
    : undefined;
  readLocal(ssh.knownHosts, (message, hint) => add('ssh.known_hosts', message, hint), KNOWN_HOSTS_HINT);
  return opened;
}

/**
 * Raises the problems of [ssh]'s local files as a bad config's (ConfigError, or ConfigErrors
 * for several). Returns how an encrypted identity is opened (passphrase or agent), for validate.
 */
export function checkSshFiles(inventory: Inventory, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let text = '';
  try {
    text = readFileSync(inventory.configPath, 'utf8');
  } catch {
    // a config given as text (tests); problems are then named by key path alone
  }
  const problems = new ConfigProblems(inventory.configPath, text);
  const opened = sshFileProblems(inventory.ssh, env, (key, message, hint) => problems.add(key, message, hint));
  problems.raise();
  return opened;
}

const KNOWN_HOSTS_HINT =
  "Make it with the hosts' keys (ssh-keyscan HOST >> FILE), then check each fingerprint (ssh-keygen -lf FILE) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it).";
