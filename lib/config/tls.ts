// transport = "tls" and its [tls] table (docs/config.md, "TLS between the hosts"): the
// combinations a schema cannot refuse, and the CA read on the machine running bsync. The CA
// key is checked against the certificate here, once, so a plan never signs with the wrong one.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { TlsSettings } from './inventory.js';
import { readCaFile } from './local-files.js';
import type { ConfigProblems, Sound } from './problems.js';
import type { RawConfig, RawRepo } from './raw.js';
import { resolveSecret, type SecretContext } from './secrets.js';

export const DEFAULT_TLS_PORT = 8432;
export const DEFAULT_TLS_DAYS = 365;

/** The index of the repository that asks for TLS (an ssh one), or -1. */
export function tlsRepoIndex(repos: RawRepo[]): number {
  return repos.findIndex((repo) => (repo.type ?? 'ssh') === 'ssh' && repo.transport === 'tls');
}

/** transport on a repository without a backup host, [tls] without transport = "tls" and the reverse (tls-server-* by hand: pgbackrest-options.ts). */
export function checkTls(
  raw: RawConfig,
  repos: RawRepo[],
  repoPath: (index: number) => string,
  problems: ConfigProblems,
  sound: Sound,
): void {
  repos.forEach((repo, index) => {
    const path = repoPath(index);
    if (repo.transport !== undefined && sound(`${path}.type`, `${path}.transport`) && (repo.type ?? 'ssh') !== 'ssh')
      problems.add(
        `${path}.transport`,
        `only goes with ${path}.type = "ssh": it is how the backup host and the PostgreSQL hosts reach each other, and ${repo.type} repositories have no backup host`,
        `Remove ${path}.transport.`,
      );
  });
  const at = tlsRepoIndex(repos);
  if (at >= 0 && raw.tls === undefined)
    problems.add(
      `${repoPath(at)}.transport`,
      '"tls" needs the CA bsync issues the hosts\' certificates from',
      'Add a [tls] table with ca_cert = "path/ca.crt" and ca_key = { file = "path/ca.key" }.',
    );
  if (at < 0 && raw.tls !== undefined && sound(...repos.map((_, index) => `${repoPath(index)}.transport`)))
    problems.add(
      'tls',
      'is read only with transport = "tls" on the ssh repository',
      'Set transport = "tls" in the ssh repository\'s table, or remove [tls].',
    );
}

/** [tls] as the Inventory holds it, when transport = "tls" and every part of it can be read. */
export function readTls(
  raw: RawConfig,
  repos: RawRepo[],
  ctx: SecretContext,
  sound: Sound,
  local: (path: string) => string,
): TlsSettings | undefined {
  const tls = raw.tls;
  if (!tls || tlsRepoIndex(repos) < 0 || !sound('tls') || !tls.ca_cert || !tls.ca_key) return undefined;
  const caCert = readCaFile(local(tls.ca_cert), 'tls.ca_cert', ctx);
  const caKey = resolveSecret(tls.ca_key, 'tls.ca_key', ctx);
  if (!caCert || !caKey) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(caCert);
  } catch (error) {
    ctx.problems.add('tls.ca_cert', `cannot be read as a certificate: ${(error as Error).message}`);
    return undefined;
  }
  if (!cert.ca) {
    ctx.problems.add('tls.ca_cert', `is not a CA certificate (${cert.subject.replace(/\n/g, ', ')})`);
    return undefined;
  }
  // Unread (a read-only command's): the pair is checked by the commands that use the key.
  if (!caKey.isRead()) return { caCert, caKey, days: tls.days ?? DEFAULT_TLS_DAYS, port: tls.port ?? DEFAULT_TLS_PORT };
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(caKey.reveal()));
  } catch {
    // Never the library's message: it may quote the key.
    ctx.problems.add(
      'tls.ca_key',
      'is not an unencrypted PEM private key',
      'Give the CA key as PEM without a passphrase.',
    );
    return undefined;
  }
  if (!matches) {
    ctx.problems.add('tls.ca_key', `is not the key of tls.ca_cert (${cert.subject.replace(/\n/g, ', ')})`);
    return undefined;
  }
  return { caCert, caKey, days: tls.days ?? DEFAULT_TLS_DAYS, port: tls.port ?? DEFAULT_TLS_PORT };
}
