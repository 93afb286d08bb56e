// An OS user's keypair: an existing default pair of OpenSSH (id_ed25519, id_ecdsa, id_rsa)
// is the one bsync uses; an ed25519 pair is created only when there is none, and none is
// ever replaced. Its public key is an output that authorized_keys on peers consume, known
// only after apply when new. Private keys are known by existence only, never by content.
import { shq } from '../formats/shell.js';
import { SSH_PUBLIC_KEY } from '../facts/grammar.js';
import { KEY_TYPES, privateKeyPath, publicKeyPath, type KeyType } from '../facts/paths.js';
import type { FileFacts } from '../facts/types.js';
import { resourceAddress, type Change, type Part, type ResourceRef } from './types.js';
import { typeConflict } from './file.js';
import { tagged } from './marker.js';

interface DesiredKeypair {
  user: string;
  host: string;
  /** Absolute paths on the host. */
  privateKey: string;
  publicKey: string;
}

/** The pair a user has (by its private key, in the order of KEY_TYPES), or the ed25519 pair bsync would create; paths as facts name them. */
export function userKeypair(
  files: Record<string, FileFacts>,
  user: string,
): { type: KeyType; privateKey: string; publicKey: string } {
  const type = KEY_TYPES.find((candidate) => files[privateKeyPath(user, candidate)]?.exists) ?? 'ed25519';
  return { type, privateKey: privateKeyPath(user, type), publicKey: publicKeyPath(user, type) };
}

const keyComment = (user: string, host: string) => tagged(`${user}@${host}`);

/** `type base64` of a public key file that holds one key, or null. */
export function publicKeyOf(file: FileFacts | undefined): string | null {
  const lines = (file?.content ?? '').trim().split('\n');
  const key = lines[0].trim().split(/\s+/).slice(0, 2).join(' ');
  // Peers receive it: exactly one key of a known type, else it is derived again from the private key.
  return file?.exists && lines.length === 1 && SSH_PUBLIC_KEY.test(key) ? key : null;
}

export function planKeypair(
  desired: DesiredKeypair,
  privateKey: FileFacts | undefined,
  publicKey: FileFacts | undefined,
): Change | null {
  const print = `ssh-keygen -y -f ${shq(desired.privateKey)} | cut -d' ' -f1,2`;
  const conflict =
    typeConflict(desired.privateKey, 'file', privateKey) ?? typeConflict(desired.publicKey, 'file', publicKey);
  if (conflict) return conflict;
  if (privateKey?.exists && publicKeyOf(publicKey)) return null;
  if (privateKey?.exists) {
    return {
      action: 'update',
      reason: 'the public key file is missing; it is derived again from the private key',
      steps: [
        {
          user: desired.user,
          command: `ssh-keygen -y -f ${shq(desired.privateKey)} > ${shq(desired.publicKey)} && ${print}`,
          capture: { output: 'publicKey', grammar: SSH_PUBLIC_KEY },
        },
      ],
    };
  }
  return {
    action: 'create',
    fields: [
      { name: 'type', after: 'ed25519' },
      {
        name: 'public key',
        after: [
          { ref: resourceAddress(desired.host, 'ssh_keypair', desired.user), output: 'publicKey', label: 'new key' },
        ],
      },
    ],
    steps: [
      {
        user: desired.user,
        command: `ssh-keygen -q -t ed25519 -N '' -C ${shq(keyComment(desired.user, desired.host))} -f ${shq(desired.privateKey)} && ${print}`,
        capture: { output: 'publicKey', grammar: SSH_PUBLIC_KEY },
      },
    ],
  };
}

/** The public key as a template part: from facts when it exists, else the keypair action's output. */
export function publicKeyPart(existing: string | null, keypairAddress: ResourceRef, label: string): Part {
  return existing ?? { ref: keypairAddress, output: 'publicKey', label };
}
