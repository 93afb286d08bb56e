// What `bsync init` asks each host, through the session and gatherer every command uses
// (one connection and one round trip per host, lib/operations/session.ts, lib/facts/gather.ts): the OS, PostgreSQL on postgres hosts (version, data
// directory, recovery), pgbackrest.conf as the role or an operator left it, and whether a
// Patroni config sits where Patroni's packages put one (known to exist only: it holds
// passwords). The gatherer reads an Inventory; the one made here holds the request's hosts
// and SSH settings and bsync's defaults, which is all the probes asked here read.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { needsOf, type FactNeeds } from '../facts/needs.js';
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF } from '../facts/paths.js';
import type { InitRequest } from './request.js';

/** Where Patroni's packages and guides put its config, the first one bsync's default. */
export const PATRONI_CONFIGS = [
  '/etc/patroni/patroni.yml',
  '/etc/patroni/patroni.yaml',
  '/etc/patroni/config.yml',
  '/etc/patroni.yml',
];

/** Whose crontab may hold the backup jobs: postgres's, and on backup hosts the repository user's (bsync's default, or the role's variable). */
export function cronUsers(host: HostSpec, request: InitRequest): string[] {
  if (host.role === 'postgres') return ['postgres'];
  return [...new Set(['backrest', request.vars.backup_repo_user ?? 'backrest'])];
}

/** What init reads: pgbackrest.conf (either place), the Patroni configs by existence, PostgreSQL, the backup jobs' crontabs. */
export function initNeeds(host: HostSpec, request: InitRequest): FactNeeds {
  return needsOf([
    {
      crontabs: cronUsers(host, request),
      files: [
        { path: PGBACKREST_CONF, readContent: true },
        { path: LEGACY_PGBACKREST_CONF, readContent: true },
        ...(host.role === 'postgres' ? PATRONI_CONFIGS.map((path) => ({ path, readContent: false })) : []),
      ],
      postgres: host.role === 'postgres',
    },
  ]);
}

/** The request as the gatherer and the transport read it: its hosts, its SSH settings (files as local paths), bsync's defaults. */
export function probeInventory(request: InitRequest, identity: string | undefined, knownHosts: string): Inventory {
  const port = request.ssh.port ?? 22;
  return {
    configPath: request.out,
    cluster: { name: request.cluster ?? 'init', backupFrom: 'primary' },
    ssh: { user: request.ssh.user, port, identity, knownHosts, connectTimeout: 10 },
    repos: [],
    repoUser: 'backrest',
    repoTable: true,
    backupUser: { enabled: true, name: request.vars.backup_user ?? 'backrest', password: null },
    schedule: { full: '', diff: '' },
    verify: { hosts: new Map(), path: '', amcheck: false, recoveryPoint: false, timeoutSeconds: 0 },
    alert: { failedBackup: false },
    pgbackrest: { global: [], stanza: [], commands: [] },
    hosts: request.hosts.map((host) => ({
      name: host.name,
      address: host.address,
      role: host.role,
      zone: host.zone ?? 1,
      sshPort: host.sshPort ?? port,
      pgPort: host.pgPort,
    })),
    warnings: [],
  };
}
