// An ssh repository: a folder on the zone's backup host. PostgreSQL hosts reach it
// through pgBackRest's own SSH (repoN-host), or with transport = "tls" through the TLS
// server pgBackRest runs on the backup host; the backup host reads and writes it locally.
import type { RepoOptionValue, RepoType } from './types.js';
import { repoPrefix } from './types.js';

/** pgBackRest's own default of tls-server-port, pgN-host-port and repoN-host-port with type tls. */
const PGBACKREST_TLS_PORT = 8432;

/** Where each host keeps its TLS key (never leaves the host), its certificate, and the CA's certificate. */
export const TLS_DIR = '/etc/pgbackrest/tls';
export const TLS_FILES = {
  key: `${TLS_DIR}/host.key`,
  publicKey: `${TLS_DIR}/host.pub`,
  cert: `${TLS_DIR}/host.crt`,
  ca: `${TLS_DIR}/ca.crt`,
} as const;

/** `<prefix>host-type=tls` and the client's certificate, key and CA (`repo1-host-`, `pg2-host-`), with the port where not pgBackRest's. */
export function tlsClientOptions(prefix: string, port: number | undefined): Array<[string, RepoOptionValue]> {
  return [
    [`${prefix}type`, 'tls'],
    ...(port === undefined || port === PGBACKREST_TLS_PORT ? [] : [[`${prefix}port`, port] as [string, number]]),
    [`${prefix}cert-file`, TLS_FILES.cert],
    [`${prefix}key-file`, TLS_FILES.key],
    [`${prefix}ca-file`, TLS_FILES.ca],
  ];
}

/** tls-server-port where not pgBackRest's default. */
export function tlsPortOption(port: number): Array<[string, RepoOptionValue]> {
  return port === PGBACKREST_TLS_PORT ? [] : [['tls-server-port', port]];
}

export const sshRepoType: RepoType = {
  name: 'ssh',
  describe: 'a dedicated backup host per zone',
  // The folder on the backup host is what pgBackRest there calls posix, its default type.
  pgbackrestType: 'posix',
  folderOn: 'backup',
  locationOptions(repo, { host, backupHost, userOf, tlsPort }) {
    const p = repoPrefix(repo);
    if (host.role === 'backup' || !backupHost) return [];
    if (repo.transport === 'tls') return [[`${p}host`, backupHost.name], ...tlsClientOptions(`${p}host-`, tlsPort)];
    return [
      [`${p}host`, backupHost.name],
      ...(backupHost.sshPort === 22 ? [] : [[`${p}host-port`, backupHost.sshPort] as [string, number]]),
      [`${p}host-user`, userOf(backupHost)],
    ];
  },
  // repoN-hardlink as on the backup host, where the backup command reads it: the role
  // writes it on both, so a zone it set up reads the same to bsync.
  backupOptions: (repo) => [[`${repoPrefix(repo)}hardlink`, 'y']],
  secrets: () => [],
};
