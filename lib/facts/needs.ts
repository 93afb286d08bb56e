// What a host's facts must hold for the resources planned there: the files to stat and
// read, the users and crontabs to look up, and which whole sections (PostgreSQL, Patroni,
// the repositories) to gather. Each part of a host's resources declares what it reads, in
// the words of `read` below, beside the code that adds them (lib/desired/part.ts); the
// planner adds them up per host (lib/desired/needs.ts), and the probes ask for exactly
// that: a part cannot read a fact it did not declare (test/unit/needs.test.ts checks it).

export interface WatchedFile {
  path: string;
  /** false for private keys: bsync needs to know they exist, never what they hold. */
  readContent: boolean;
}

export interface FactNeeds {
  files: WatchedFile[];
  users: string[];
  crontabs: string[];
  postgres: boolean;
  patroni: boolean;
  repos: boolean;
  /** pgBackRest's TLS server and the host's clock (transport = "tls"). */
  tlsServer: boolean;
  /** The scheduled backup jobs' outcome files (status and check, where the jobs run). */
  outcomes?: boolean;
  /** Where a server that cannot say lives, by the host's files (restore only: lib/facts/stored-layout.ts). */
  storedLayout?: boolean;
  /**
   * A restore at a repository time: that repository's info is read as it was then
   * (pgBackRest's repo-target-time, `value` in its form), so the set is chosen from what it held.
   */
  repoReadAt?: { repo: number; value: string };
}

/** One kind's part: only what it needs. */
export type NeedsPart = Partial<FactNeeds>;

/** The facts a declaration names, one word each. */
export const read = {
  /** A path's kind, owner, group and mode, never what it holds: folders, private keys. */
  stat: (path: string): NeedsPart => ({ files: [{ path, readContent: false }] }),
  /** A file, with what it holds. */
  file: (path: string): NeedsPart => ({ files: [{ path, readContent: true }] }),
  /** A user's entry: uid, group, home. */
  user: (user: string): NeedsPart => ({ users: [user] }),
  crontab: (user: string): NeedsPart => ({ crontabs: [user] }),
  /** The running server: its settings, roles and pg_hba.conf. */
  postgres: { postgres: true } as NeedsPart,
  /** Patroni's cluster: its scope, members and dynamic configuration. */
  patroni: { patroni: true } as NeedsPart,
  /** Each repository's `pgbackrest info`. */
  repos: { repos: true } as NeedsPart,
  /** pgBackRest's TLS server and the host's clock. */
  tlsServer: { tlsServer: true } as NeedsPart,
  /** The server's layout as the host's files hold it: pgbackrest.conf, postgresql-common, PGDG, Patroni. */
  storedLayout: { storedLayout: true } as NeedsPart,
};

/** The union of parts, each path, user and crontab once, in first-asked order (a file is read if any part reads it). */
export function needsOf(parts: NeedsPart[]): FactNeeds {
  const files = new Map<string, WatchedFile>();
  for (const file of parts.flatMap((part) => part.files ?? [])) {
    const seen = files.get(file.path);
    files.set(file.path, { path: file.path, readContent: (seen?.readContent ?? false) || file.readContent });
  }
  const union = (key: 'users' | 'crontabs') => [...new Set(parts.flatMap((part) => part[key] ?? []))];
  const readAt = parts.find((part) => part.repoReadAt)?.repoReadAt;
  return {
    files: [...files.values()],
    users: union('users'),
    crontabs: union('crontabs'),
    postgres: parts.some((part) => part.postgres),
    patroni: parts.some((part) => part.patroni),
    repos: parts.some((part) => part.repos),
    tlsServer: parts.some((part) => part.tlsServer),
    ...(parts.some((part) => part.outcomes) ? { outcomes: true } : {}),
    ...(parts.some((part) => part.storedLayout) ? { storedLayout: true } : {}),
    ...(readAt ? { repoReadAt: readAt } : {}),
  };
}
