// transport = "tls" on a host of a zone with a backup host: its own key (made there), the
// CA's certificate, a certificate the CA issues for its key, the service that runs
// pgBackRest's TLS server, and no SSH trust between the hosts any more (bsync's earlier
// lines are taken out of authorized_keys and known_hosts; keys are left where they are).
import { isIP } from 'node:net';
import type { HostSpec, Inventory, TlsSettings } from '../config/inventory.js';
import { authorizedKeysPath, knownHostsPath } from '../facts/paths.js';
import type { HostFacts } from '../facts/types.js';
import { read } from '../facts/needs.js';
import { planDirectory } from '../resources/directory.js';
import { planEditedFile, planFile } from '../resources/file.js';
import { desiredAuthorizedKeys, desiredKnownHosts } from '../resources/ssh-trust.js';
import { planTlsCert } from '../resources/tls-cert.js';
import { planTlsKey, publicKeyPem, tlsPublicKeyPart } from '../resources/tls-key.js';
import { planTlsServer, TLS_UNIT_PATH, tlsUnitText } from '../resources/tls-server.js';
import { resourceAddress, type ResourceRef } from '../resources/types.js';
import { TLS_DIR, TLS_FILES } from '../repositories/ssh.js';
import type { HostResources } from './builder.js';
import { declarePart } from './part.js';
import { absolutePath, trustFiles } from './ssh-resources.js';
import type { Zone } from './zone.js';

/** The CA's settings when the zone's hosts reach each other through TLS. */
export function zoneTls(inventory: Inventory, zone: Zone): TlsSettings | undefined {
  return zone.backupHost ? inventory.tls : undefined;
}

/**
 * The TLS side of `user`'s pgBackRest, signed by `tls`'s CA: it reads the folder, the key (stat) and its public key, the
 * certificates, the unit, the server and the clock, and the SSH trust files it takes bsync's lines out of.
 */
export const tlsPart = (tls: TlsSettings, user: string) =>
  declarePart(
    'TLS',
    [
      read.stat(TLS_DIR),
      // The key by existence only; its public key read.
      read.stat(TLS_FILES.key),
      read.file(TLS_FILES.publicKey),
      read.file(TLS_FILES.cert),
      read.file(TLS_FILES.ca),
      read.file(TLS_UNIT_PATH),
      read.user(user),
      ...trustFiles(user),
      read.tlsServer,
    ],
    {
      add: (
        out: HostResources,
        facts: HostFacts,
        host: HostSpec,
        group: string,
        after: { confDir: ResourceRef; conf: ResourceRef; logDir: ResourceRef; user?: ResourceRef },
      ) => addTlsResources(out, tls, host, facts, { user, group }, after),
    },
  );

/** Every name the other side may reach the host by: its [[host]] name, and its address. */
function altNames(host: HostSpec): string[] {
  return [...new Set([host.name, host.address])].map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`));
}

/** Takes bsync's lines out of authorized_keys and known_hosts where the files are there; other lines stay. */
function removeSshTrust(out: HostResources, facts: HostFacts, user: string): void {
  for (const [kind, path, merge] of [
    ['authorized_keys', authorizedKeysPath(user), desiredAuthorizedKeys],
    ['known_hosts', knownHostsPath(user), desiredKnownHosts],
  ] as const) {
    const file = facts.files[path];
    if (!file?.exists || file.kind !== 'file' || file.content === undefined) continue;
    out.add(
      kind,
      user,
      absolutePath(path, facts, user),
      planEditedFile(absolutePath(path, facts, user), file.content, merge(file.content, [])),
    );
  }
}

/** The TLS side of a host; returns the server, which backups and the other hosts wait for. */
function addTlsResources(
  out: HostResources,
  tls: TlsSettings,
  host: HostSpec,
  facts: HostFacts,
  owner: { user: string; group: string },
  after: { confDir: ResourceRef; conf: ResourceRef; logDir: ResourceRef; user?: ResourceRef },
): ResourceRef {
  const { user, group } = owner;
  removeSshTrust(out, facts, user);
  const dir = out.add(
    'directory',
    TLS_DIR,
    TLS_DIR,
    planDirectory({ path: TLS_DIR, owner: 'root', group, mode: '0750' }, facts.files[TLS_DIR]),
    [after.confDir, after.user],
  );
  const keyChange = planTlsKey(
    { host: host.name, user, group, key: TLS_FILES.key, publicKey: TLS_FILES.publicKey },
    facts.files[TLS_FILES.key],
    facts.files[TLS_FILES.publicKey],
  );
  const key = out.add('tls_key', host.name, TLS_FILES.key, keyChange, [dir]);
  const caChange = planFile(
    { path: TLS_FILES.ca, owner: 'root', group, mode: '0644', content: [tls.caCert] },
    facts.files[TLS_FILES.ca],
  );
  const ca = out.add('tls_ca', host.name, TLS_FILES.ca, caChange, [dir]);
  const existingKey = keyChange ? null : publicKeyPem(facts.files[TLS_FILES.publicKey]);
  const certChange = planTlsCert(
    {
      host: host.name,
      commonName: host.name,
      altNames: altNames(host),
      ca: { cert: tls.caCert, key: tls.caKey, days: tls.days },
      path: TLS_FILES.cert,
      group,
      publicKey: tlsPublicKeyPart(host.name, existingKey),
      ...(facts.clock !== undefined ? { now: facts.clock } : {}),
    },
    facts.files[TLS_FILES.cert],
  );
  const cert = out.add('tls_cert', host.name, TLS_FILES.cert, certChange, [key]);
  const systemd = facts.tlsServer?.manager === 'systemd';
  const unitChange = systemd
    ? planFile(
        { path: TLS_UNIT_PATH, owner: 'root', group: 'root', mode: '0644', content: [tlsUnitText(user, group)] },
        facts.files[TLS_UNIT_PATH],
      )
    : null;
  const unit = systemd ? out.add('tls_unit', host.name, TLS_UNIT_PATH, unitChange) : undefined;
  const confChange = out.resources.find((resource) => resource.address === after.conf)?.change;
  const changed = [
    confChange && 'pgbackrest.conf',
    certChange && 'its certificate',
    caChange && 'the CA certificate',
    unitChange && 'its unit',
  ].filter((word): word is string => typeof word === 'string');
  return out.add(
    'tls_server',
    host.name,
    `pgbackrest server (${systemd ? 'systemd' : 'detached'})`,
    planTlsServer(
      {
        user,
        uid: facts.users[user]?.uid,
        ...(changed.length ? { restartFor: `${changed.join(', ')} change${changed.length > 1 ? '' : 's'}` } : {}),
      },
      facts.tlsServer,
    ),
    [after.conf, after.logDir, cert, ca, key, unit],
  );
}

/** The TLS servers of the zone's other hosts, which a host's pgBackRest reaches. */
export function tlsServersOf(hosts: HostSpec[]): ResourceRef[] {
  return hosts.map((host) => resourceAddress(host.name, 'tls_server', host.name));
}
