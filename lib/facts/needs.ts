// What a host's facts must hold for the resources planned there: the files to stat and
// read, the users and crontabs to look up, and which whole sections (PostgreSQL, Patroni,
// the repositories) to gather. Each resource kind declares its part (lib/resources/), the
// planner adds them up per host (lib/desired/needs.ts), and the probes ask for exactly
// that: a kind cannot read a fact nobody asked for (test/unit/needs.test.ts checks it).

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
}

/** One kind's part: only what it needs. */
export type NeedsPart = Partial<FactNeeds>;

/** The union of parts, each path, user and crontab once, in first-asked order (a file is read if any part reads it). */
export function needsOf(parts: NeedsPart[]): FactNeeds {
  const files = new Map<string, WatchedFile>();
  for (const file of parts.flatMap((part) => part.files ?? [])) {
    const seen = files.get(file.path);
    files.set(file.path, { path: file.path, readContent: (seen?.readContent ?? false) || file.readContent });
  }
  const union = (key: 'users' | 'crontabs') => [...new Set(parts.flatMap((part) => part[key] ?? []))];
  return {
    files: [...files.values()],
    users: union('users'),
    crontabs: union('crontabs'),
    postgres: parts.some((part) => part.postgres),
    patroni: parts.some((part) => part.patroni),
    repos: parts.some((part) => part.repos),
    tlsServer: parts.some((part) => part.tlsServer),
    ...(parts.some((part) => part.outcomes) ? { outcomes: true } : {}),
  };
}
