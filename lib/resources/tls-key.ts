// A host's TLS key for pgBackRest's TLS server and client (transport = "tls"): made on the
// host, by openssl there, 0600 and owned by the user pgBackRest runs as; it never leaves
// the host and is never replaced. Its public key, written beside it, is what the plan reads
// (a fact) and what the CA signs on the machine running bsync (tls-cert.ts).
import { shq } from '../formats/shell.js';
import { PEM_PUBLIC_KEY } from '../facts/grammar.js';
import type { FileFacts } from '../facts/types.js';
import { typeConflict } from './file.js';
import { resourceAddress, type Change, type Part } from './types.js';

interface DesiredTlsKey {
  host: string;
  user: string;
  group: string;
  /** Absolute paths on the host. */
  key: string;
  publicKey: string;
}

/** The public key's PEM as the host wrote it, or null when there is none to read. */
export function publicKeyPem(file: FileFacts | undefined): string | null {
  const text = file?.exists ? (file.content ?? '').trim() : '';
  return PEM_PUBLIC_KEY.test(text) ? text : null;
}

/** Writes the public key of "$t" beside the key (0644) and prints it. */
const writePublicKey = (publicKey: string) =>
  [
    `openssl pkey -in "$t" -pubout -out ${shq(`${publicKey}.new`)}`,
    `chmod 0644 ${shq(`${publicKey}.new`)}`,
    `mv -f ${shq(`${publicKey}.new`)} ${shq(publicKey)}`,
  ].join('\n');

export function planTlsKey(
  desired: DesiredTlsKey,
  key: FileFacts | undefined,
  pub: FileFacts | undefined,
): Change | null {
  const conflict = typeConflict(desired.key, 'file', key) ?? typeConflict(desired.publicKey, 'file', pub);
  if (conflict) return conflict;
  if (key?.exists && publicKeyPem(pub)) return null;
  const k = shq(desired.key);
  if (key?.exists) {
    return {
      action: 'update',
      reason: 'the public key file is missing or unreadable; it is derived again from the key',
      steps: [
        {
          command: ['set -e', `t=${k}`, writePublicKey(desired.publicKey), `cat ${shq(desired.publicKey)}`].join('\n'),
          capture: { output: 'publicKey', grammar: PEM_PUBLIC_KEY },
        },
      ],
    };
  }
  return {
    action: 'create',
    fields: [
      { name: 'type', after: 'EC P-256' },
      { name: 'owner', after: `${desired.user} 0600, never leaves the host` },
    ],
    steps: [
      {
        command: [
          'set -e',
          'umask 077',
          `if [ -e ${k} ]; then echo ${shq(`${desired.key} appeared since the plan; plan again`)} >&2; exit 3; fi`,
          `t=$(mktemp ${shq(`${desired.key}.XXXXXX`)})`,
          `trap 'rm -f "$t"' EXIT HUP INT TERM PIPE`,
          'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t"',
          `chown ${shq(`${desired.user}:${desired.group}`)} "$t"`,
          writePublicKey(desired.publicKey),
          `mv -f "$t" ${k}`,
          'trap - EXIT',
          `cat ${shq(desired.publicKey)}`,
        ].join('\n'),
        capture: { output: 'publicKey', grammar: PEM_PUBLIC_KEY },
      },
    ],
  };
}

/** The public key: from facts when the key is there, else the key action's output. */
export function tlsPublicKeyPart(host: string, existing: string | null): Part {
  return (
    existing ?? { ref: resourceAddress(host, 'tls_key', host), output: 'publicKey', label: `TLS public key of ${host}` }
  );
}
