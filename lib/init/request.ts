// What `bsync init` is asked: the hosts (from --host or an Ansible inventory), how to reach
// them, where to write the config and its secrets. Every value is checked here, before any
// host is asked, with the form that would be right.
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { addressProblem } from '../config/addresses.js';
import { BsyncError } from '../errors.js';

export type InitRole = 'postgres' | 'backup';

export interface InitHost {
  name: string;
  address: string;
  role: InitRole;
  /** Given on the command line or in the inventory; absent: an existing stanza's, else 1. */
  zone?: number;
  /** The host's sshd port, where it is not [ssh]'s. */
  sshPort?: number;
  /** The PostgreSQL port bsync asks the server on (postgres hosts): 5432 unless given. */
  pgPort: number;
}

/** The setup_backrest role's variables an inventory gave, by name (values as written). */
export type RoleVars = Record<string, string>;

export interface InitRequest {
  hosts: InitHost[];
  ssh: {
    user: string;
    /** Every host's sshd port unless a host has its own; absent: 22. */
    port?: number;
    /** As the config will write it (absolute, or `~/…`); absent: the ssh-agent, else ~/.ssh/id_ed25519. */
    identity?: string;
    knownHosts: string;
  };
  /** The file to write; never overwritten. */
  out: string;
  /** The cluster's name when no existing stanza tells it: --cluster, else the inventory's cluster_name. */
  cluster?: string;
  /** The local folder the config's secret files and kept passphrases live in. */
  secrets: string;
  /** The role's variables, from an inventory. */
  vars: RoleVars;
  /** Where the hosts came from, for the config's comments: `the command line` or the inventory's path. */
  source: string;
}

export const DEFAULT_PG_PORT = 5432;
/** The source of hosts given with --host. */
export const COMMAND_LINE = 'the command line';
const HOST_FORM = 'NAME, NAME=ADDRESS, NAME=ADDRESS:ROLE or NAME=ADDRESS:ROLE:ZONE (ROLE postgres or backup)';
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `primary`, `replica`: bsync tells them apart itself. */
const ROLE_WORDS: Record<string, string> = {
  primary: 'bsync finds the primary itself (pg_is_in_recovery); a PostgreSQL host is role postgres',
  replica: 'bsync finds the replicas itself (pg_is_in_recovery); a PostgreSQL host is role postgres',
  standby: 'bsync finds the standbys itself (pg_is_in_recovery); a PostgreSQL host is role postgres',
  repo: 'the repository host is role backup',
};

const usage = (given: string, message: string, hint?: string) =>
  new BsyncError(`--host ${JSON.stringify(given)}: ${message}`, { hint: hint ?? `Write --host ${HOST_FORM}.` });

/** ADDRESS and the words after it: `[v6]:…`, a bare IPv6 address, or `a:role:zone`. */
function splitAddress(value: string): { address: string; rest: string[] } {
  if (isIPv6(value)) return { address: value, rest: [] };
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/s.exec(value);
  if (bracketed) return { address: bracketed[1], rest: bracketed[2] === undefined ? [] : bracketed[2].split(':') };
  const [address, ...rest] = value.split(':');
  return { address, rest };
}

function roleOf(given: string, word: string | undefined): InitRole {
  if (word === undefined || word === 'postgres' || word === 'backup') return word ?? 'postgres';
  if (/^[0-9]+$/.test(word))
    throw usage(
      given,
      `${word} after the address reads as a port`,
      `Give the SSH port as --ssh-port ${word}; ${HOST_FORM}.`,
    );
  throw usage(
    given,
    `role ${JSON.stringify(word)} is not postgres or backup${ROLE_WORDS[word] ? ` (${ROLE_WORDS[word]})` : ''}`,
  );
}

/** One --host value. */
export function parseHostSpec(given: string): Omit<InitHost, 'pgPort'> {
  const equals = given.indexOf('=');
  const name = equals < 0 ? given : given.slice(0, equals);
  if (!HOST_NAME.test(name) || name.length > 253)
    throw usage(given, `${JSON.stringify(name)} is not a host name (letters, digits, hyphens, dot-separated)`);
  const { address, rest } = equals < 0 ? { address: name, rest: [] } : splitAddress(given.slice(equals + 1));
  if (rest.length > 2) throw usage(given, 'too many `:` parts');
  const found = addressProblem(address);
  if (found) throw usage(given, `address ${JSON.stringify(address)} ${found.problem}`);
  const role = roleOf(given, rest[0]);
  const zone = rest[1] === undefined ? undefined : Number(rest[1]);
  if (zone !== undefined && !(/^[1-9][0-9]{0,2}$/.test(rest[1]) && zone <= 999))
    throw usage(given, `zone ${JSON.stringify(rest[1])} is not a zone number (1 to 999)`);
  return { name, address, role, ...(zone === undefined ? {} : { zone }) };
}

/** A path from the command line as the config writes it: `~/…` kept, else absolute (the config's own folder is not the shell's). */
export function configPath(given: string): string {
  return given === '~' || given.startsWith('~/') ? given : resolve(given);
}

/** The same path on this machine (for reading it now). */
export function localPath(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? resolve(homedir(), path.slice(2)) : path;
}

/** Every host once by name and by address. */
export function checkHosts(hosts: InitHost[], source: string): void {
  if (hosts.length === 0)
    throw new BsyncError(`no hosts: ${source} names none`, {
      hint: 'Name them: bsync init --host pg1=10.0.0.11 --host backup1=10.0.0.20:backup, or --inventory FILE.',
    });
  for (const key of ['name', 'address'] as const) {
    const seen = new Set<string>();
    for (const host of hosts) {
      if (seen.has(host[key])) throw new BsyncError(`${source}: the ${key} ${host[key]} is given twice`);
      seen.add(host[key]);
    }
  }
  if (!hosts.some((host) => host.role === 'postgres'))
    throw new BsyncError(`${source}: no PostgreSQL host (role postgres) among the hosts`);
}

const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The cluster's name as given (it becomes part of the stanza names), checked. */
export function checkClusterName(name: string | undefined, source: string): string | undefined {
  if (name !== undefined && !CLUSTER_NAME.test(name))
    throw new BsyncError(
      `${source}: the cluster name ${JSON.stringify(name)} is not lower-case letters, digits, _ and - (at most 63)`,
      { hint: 'It becomes part of the stanza names, pgedge-<name>-<zone>.' },
    );
  return name;
}
