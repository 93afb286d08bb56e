// The files and folders bsync manages, named as facts name them: absolute, or `~user/rel`
// (the user's home is only known on the host). Probes read them; resources write them.
import type { Inventory } from '../config/inventory.js';
import { optionValue } from '../config/pgbackrest-options.js';
import type { HostFacts } from './types.js';

export const PGBACKREST_CONF = '/etc/pgbackrest/pgbackrest.conf';
export const PGBACKREST_CONF_DIR = '/etc/pgbackrest';
/** Debian's package ships this one; pgBackRest reads it when the new one is absent. */
export const LEGACY_PGBACKREST_CONF = '/etc/pgbackrest.conf';
export const PGBACKREST_LOG_DIR = '/var/log/pgbackrest';

/** pgBackRest's default spool-path. */
const PGBACKREST_SPOOL_DIR = '/var/spool/pgbackrest';

/**
 * The spool folder asynchronous archiving needs on PostgreSQL hosts, or null without
 * archive-async: as archive-push reads the options (a [global:archive-push] section too),
 * else archive-get.
 */
export function asyncSpoolPath(inventory: Inventory): string | null {
  for (const command of ['archive-push', 'archive-get'])
    if (optionValue(inventory.pgbackrest, 'archive-async', command) === 'y')
      return optionValue(inventory.pgbackrest, 'spool-path', command) ?? PGBACKREST_SPOOL_DIR;
  return null;
}

export const sshDir = (user: string) => `~${user}/.ssh`;
/**
 * Key pair types OpenSSH's client uses by default (`id_<type>` in ~/.ssh), in the order
 * bsync prefers an existing one: ed25519 first because that is the pair bsync creates, so
 * a pair it made stays the chosen one when someone adds an RSA pair later (peers'
 * authorized_keys never churn); then ecdsa, then rsa (the Ansible role's init_server
 * makes RSA pairs), the oldest and largest.
 */
export const KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const privateKeyPath = (user: string, type: KeyType = 'ed25519') => `~${user}/.ssh/id_${type}`;
export const publicKeyPath = (user: string, type: KeyType = 'ed25519') => `~${user}/.ssh/id_${type}.pub`;
export const authorizedKeysPath = (user: string) => `~${user}/.ssh/authorized_keys`;
export const knownHostsPath = (user: string) => `~${user}/.ssh/known_hosts`;
export const pgpassPath = (user: string) => `~${user}/.pgpass`;

/** Splits `~user/rel` into its user and relative part; null for an absolute path. */
export function splitHomePath(path: string): { user: string; rel: string } | null {
  const match = /^~([^/]+)\/(.*)$/.exec(path);
  return match ? { user: match[1], rel: match[2] } : null;
}

/** The absolute path on the host, once the user's home is known from facts. */
export function resolvePath(path: string, facts: HostFacts): string | null {
  const home = splitHomePath(path);
  if (!home) return path;
  const user = facts.users[home.user];
  return user ? `${user.home.replace(/\/$/, '')}/${home.rel}` : null;
}
