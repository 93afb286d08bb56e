// The SSH side of a host: .ssh folder, keypair, authorized_keys and known_hosts for the
// OS user pgBackRest runs as. Shared by postgres and backup hosts.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { pgbackrestUser } from '../facts/probe.js';
import type { HostFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import {
  authorizedKeysPath,
  KEY_TYPES,
  knownHostsPath,
  privateKeyPath,
  publicKeyPath,
  resolvePath,
  sshDir,
} from '../facts/paths.js';
import { planDirectory } from '../resources/directory.js';
import { planFile } from '../resources/file.js';
import { homeFor } from '../resources/os-user.js';
import { planKeypair, publicKeyOf, publicKeyPart, userKeypair } from '../resources/ssh-keypair.js';
import { desiredAuthorizedKeys, desiredKnownHosts, type KnownHost } from '../resources/ssh-trust.js';
import { resourceAddress, type Part, type ResourceRef } from '../resources/types.js';
import { hostToken } from '../formats/known-hosts.js';
import type { HostResources } from './builder.js';
import { declarePart } from './part.js';
import type { FactsByHost } from './zone.js';

/** An absolute path for a `~user/...` path: from the user's home in facts, else the home bsync gives a new user. */
export function absolutePath(path: string, facts: HostFacts, user: string): string {
  return resolvePath(path, facts) ?? path.replace(`~${user}`, homeFor(user));
}

export function userGroup(facts: HostFacts, user: string): string {
  return facts.users[user]?.group ?? user;
}

interface Peer {
  host: string;
  address: string;
  /** Its sshd's port: known_hosts names it `[name]:port` unless 22, as `ssh -p` looks it up. */
  port: number;
  user: string;
  facts: HostFacts | undefined;
}

/** A host of the config as a peer: the user pgBackRest runs as there, and its facts (its public key, its host keys). */
function sshPeer(inventory: Inventory, facts: FactsByHost, host: HostSpec): Peer {
  return {
    host: host.name,
    address: host.address,
    port: host.sshPort,
    user: pgbackrestUser(inventory, host),
    facts: facts.get(host.name),
  };
}

/** The peer's public key, or a reference to its keypair action when it does not exist yet. */
function peerPublicKey(peer: Peer): Part {
  const existing = peer.facts
    ? publicKeyOf(peer.facts.files[userKeypair(peer.facts.files, peer.user).publicKey])
    : null;
  return publicKeyPart(
    existing,
    resourceAddress(peer.host, 'ssh_keypair', peer.user),
    `public key of ${peer.user}@${peer.host}`,
  );
}

/** authorized_keys and known_hosts of `user`: read whole (bsync keeps its own lines in them). */
export const trustFiles = (user: string) => [read.file(authorizedKeysPath(user)), read.file(knownHostsPath(user))];

/**
 * Hosts trusted one way only, beside those trusted both ways: another zone's server that reads
 * this backup host's repository is `authorized` here, and that backup host is `known` there
 * (lib/desired/source-repo.ts); neither logs in the other way.
 */
export interface OneWayTrust {
  authorized?: HostSpec[];
  known?: HostSpec[];
}

/**
 * The SSH side of `user`, trusting the hosts `trusted` both ways (and, when added, `oneWay`'s
 * one way): it reads the host's .ssh folder, keypair and trust files (the peers' facts are theirs to declare).
 */
export const sshPart = (inventory: Inventory, user: string, trusted: HostSpec[]) =>
  declarePart(
    'SSH trust',
    [
      read.stat(sshDir(user)),
      read.user(user),
      // Every key pair OpenSSH would use, to find the one in use (userKeypair): private keys by existence only.
      ...KEY_TYPES.flatMap((type) => [read.stat(privateKeyPath(user, type)), read.file(publicKeyPath(user, type))]),
      ...trustFiles(user),
    ],
    {
      add: (
        out: HostResources,
        facts: HostFacts,
        zoneFacts: FactsByHost,
        after?: ResourceRef,
        oneWay?: OneWayTrust,
      ) => {
        const peers = (hosts: HostSpec[] | undefined) =>
          (hosts ?? []).map((host) => sshPeer(inventory, zoneFacts, host));
        const both = peers(trusted);
        return addSshResources(
          out,
          facts,
          user,
          { authorized: [...both, ...peers(oneWay?.authorized)], known: [...both, ...peers(oneWay?.known)] },
          after,
        );
      },
    },
  );

function addSshResources(
  out: HostResources,
  facts: HostFacts,
  user: string,
  peers: { authorized: Peer[]; known: Peer[] },
  after: ResourceRef | undefined,
): { keypair: ResourceRef; authorizedKeys: ResourceRef; knownHosts: ResourceRef } {
  const group = userGroup(facts, user);
  const path = (p: string) => absolutePath(p, facts, user);
  const dir = out.add(
    'ssh_dir',
    user,
    path(sshDir(user)),
    planDirectory({ path: path(sshDir(user)), owner: user, group, mode: '0700' }, facts.files[sshDir(user)]),
    [after],
  );
  const pair = userKeypair(facts.files, user);
  const keypair = out.add(
    'ssh_keypair',
    user,
    path(pair.privateKey),
    planKeypair(
      { user, host: out.host, privateKey: path(pair.privateKey), publicKey: path(pair.publicKey) },
      facts.files[pair.privateKey],
      facts.files[pair.publicKey],
    ),
    [dir],
  );

  const authorized = facts.files[authorizedKeysPath(user)];
  const authorizedKeys = out.add(
    'authorized_keys',
    user,
    path(authorizedKeysPath(user)),
    planFile(
      {
        path: path(authorizedKeysPath(user)),
        owner: user,
        group,
        mode: '0600',
        content: desiredAuthorizedKeys(
          authorized?.content,
          peers.authorized.map((peer) => ({ key: peerPublicKey(peer), owner: `${peer.user}@${peer.host}` })),
        ),
      },
      authorized,
    ),
    [dir, ...peers.authorized.map((peer) => resourceAddress(peer.host, 'ssh_keypair', peer.user))],
  );

  const known = facts.files[knownHostsPath(user)];
  const knownHostsWanted: KnownHost[] = peers.known.map((peer) => ({
    names: [...new Set([peer.host, peer.address])].map((name) => hostToken(name, peer.port)),
    keys: peer.facts?.hostKeys ?? [],
  }));
  const knownHosts = out.add(
    'known_hosts',
    user,
    path(knownHostsPath(user)),
    planFile(
      {
        path: path(knownHostsPath(user)),
        owner: user,
        group,
        mode: '0644',
        content: desiredKnownHosts(known?.content, knownHostsWanted),
      },
      known,
    ),
    [dir],
  );
  return { keypair, authorizedKeys, knownHosts };
}
