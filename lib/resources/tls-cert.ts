// A host's TLS certificate (transport = "tls"), issued by the operator's CA for the key the
// host made itself (tls-key.ts). The CA signs on the machine running bsync, with its key on
// stdin only; the certificate then goes to the host. A certificate that is not the CA's, not
// for the host's key, names another subject or other alternative names, or expires within
// RENEW_DAYS of the host's clock is drift, renewed on apply.
import { X509Certificate } from 'node:crypto';
import { shq } from '../formats/shell.js';
import { PEM_CERTIFICATE } from '../facts/grammar.js';
import type { FileFacts } from '../facts/types.js';
import type { Secret } from '../secret.js';
import { typeConflict } from './file.js';
import { writeFileStep } from './remote.js';
import { resourceAddress, type Change, type FieldChange, type Part } from './types.js';

/** A certificate that expires within this many days is renewed. */
export const RENEW_DAYS = 30;

interface DesiredCert {
  host: string;
  /** The subject's CN: the [[host]] name, which tls-server-auth on the other side names. */
  commonName: string;
  /** `DNS:ssh-pg1`, `IP:127.0.1.11`: every name the other side may reach the host by. */
  altNames: string[];
  ca: { cert: string; key: Secret; days: number };
  /** Absolute path on the host, root:<group> 0644. */
  path: string;
  group: string;
  /** The host's public key (PEM), or the key action's output when it is made in this apply. */
  publicKey: Part;
  /** The host's clock (unix seconds), when its facts say. */
  now?: number;
}

/** How openssl prints alternative names (`IP Address:1.2.3.4`), as the config writes them (`IP:1.2.3.4`). */
const altNamesOf = (cert: X509Certificate) =>
  (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((name) => name.replace(/^IP Address:/, 'IP:'));

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Why the certificate on the host is not the one wanted, or null when it is. */
export function certProblem(desired: DesiredCert, text: string): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text);
  } catch {
    return 'the file holds no certificate bsync can read';
  }
  if (!cert.verify(new X509Certificate(desired.ca.cert).publicKey)) return 'it is not signed by [tls].ca_cert';
  const wantedKey = typeof desired.publicKey === 'string' ? desired.publicKey.trim() : null;
  const hasKey = cert.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
  if (wantedKey === null) return 'the host has a new key';
  if (hasKey !== wantedKey) return "it is not for the host's key";
  if (cert.subject !== `CN=${desired.commonName}`)
    return `its subject is ${cert.subject.replace(/\n/g, ', ')}, not CN=${desired.commonName}`;
  const names = altNamesOf(cert);
  if (names.join(', ') !== desired.altNames.join(', '))
    return `its alternative names are ${names.join(', ') || 'none'}, not ${desired.altNames.join(', ')}`;
  const expires = new Date(cert.validTo);
  if (desired.now !== undefined && expires.getTime() - desired.now * 1000 < RENEW_DAYS * 86_400_000)
    return `it expires on ${day(expires)}, within ${RENEW_DAYS} days`;
  return null;
}

/** The signing command on the machine running bsync: stdin holds the CA key, the CA certificate and the host's public key. */
function signCommand(desired: DesiredCert): string {
  const extensions = [
    `subjectAltName=${desired.altNames.join(',')}`,
    'extendedKeyUsage=serverAuth,clientAuth',
    'keyUsage=critical,digitalSignature',
    'basicConstraints=critical,CA:FALSE',
  ];
  const pem = (label: string, file: string) =>
    `sed -n '/-----BEGIN ${label}-----/,/-----END ${label}-----/p' "$d/in" >"$d/${file}"`;
  return [
    'set -e',
    'umask 077',
    'd=$(mktemp -d)',
    `trap 'rm -rf "$d"' EXIT HUP INT TERM PIPE`,
    'cat >"$d/in"',
    pem('PUBLIC KEY', 'pub'),
    pem('CERTIFICATE', 'ca'),
    `printf '%s\\n' ${extensions.map(shq).join(' ')} >"$d/ext"`,
    // x509 -new (OpenSSL 3): a certificate for a public key alone, so no key or request leaves the host.
    `openssl x509 -new -force_pubkey "$d/pub" -CA "$d/ca" -CAkey "$d/in" -subj ${shq(`/CN=${desired.commonName}`)} -days ${desired.ca.days} -extfile "$d/ext"`,
  ].join('\n');
}

function readable(file: FileFacts | undefined): X509Certificate | undefined {
  try {
    return file?.exists ? new X509Certificate(file.content ?? '') : undefined;
  } catch {
    return undefined;
  }
}

export function planTlsCert(desired: DesiredCert, actual: FileFacts | undefined): Change | null {
  const conflict = typeConflict(desired.path, 'file', actual);
  if (conflict) return conflict;
  const problem = actual?.exists ? certProblem(desired, actual.content ?? '') : 'there is none yet';
  if (problem === null) return null;
  const self = resourceAddress(desired.host, 'tls_cert', desired.host);
  const before = readable(actual);
  const fields: FieldChange[] = [
    { name: 'subject', before: before?.subject, after: `CN=${desired.commonName}` },
    { name: 'alternative names', before: before && altNamesOf(before).join(', '), after: desired.altNames.join(', ') },
    {
      name: 'not after',
      before: before && day(new Date(before.validTo)),
      after: `${desired.ca.days} days after apply`,
    },
  ];
  return {
    action: actual?.exists ? 'update' : 'create',
    reason: `the certificate is issued again by [tls].ca_cert: ${problem}`,
    fields,
    steps: [
      {
        command: signCommand(desired),
        on: 'controller',
        stdin: [{ secret: desired.ca.key }, '\n', desired.ca.cert, '\n', desired.publicKey, '\n'],
        capture: { output: 'cert', grammar: PEM_CERTIFICATE },
      },
      writeFileStep(desired.path, [{ ref: self, output: 'cert', label: 'the new certificate' }, '\n'], {
        owner: 'root',
        group: desired.group,
        mode: '0644',
      }),
    ],
  };
}
