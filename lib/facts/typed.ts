// The one boundary where what a host said becomes facts: every field of HostFacts has its
// grammar here, and a host whose answer does not parse is an error naming host and fact,
// never a value. Past this point no raw string from a host is held: a version is digits, a
// path has no line break or quote, a label is pgBackRest's, a key is one line. A host may be
// compromised (its root, its postgres user, any program it runs may lie): what it says
// can still be wrong, but it cannot be anything bsync does not expect.
import { HostError } from '../errors.js';
import { printable } from '../printable.js';
import * as g from './grammar.js';
import type { HostFacts } from './types.js';

type Spec =
  | { kind: 'string'; grammar: g.Grammar }
  | { kind: 'number'; integer: boolean; min: number }
  | { kind: 'boolean' }
  | { kind: 'null-or'; inner: Spec }
  | { kind: 'array'; item: Spec }
  | { kind: 'record'; key: g.Grammar; value: Spec }
  | { kind: 'object'; fields: Record<string, Spec> }
  | { kind: 'json' }
  | { kind: 'one-of'; options: Spec[] };

const str = (grammar: g.Grammar): Spec => ({ kind: 'string', grammar });
const int = (min = 0): Spec => ({ kind: 'number', integer: true, min });
const num: Spec = { kind: 'number', integer: false, min: Number.NEGATIVE_INFINITY };
const bool: Spec = { kind: 'boolean' };
const orNull = (inner: Spec): Spec => ({ kind: 'null-or', inner });
const list = (item: Spec): Spec => ({ kind: 'array', item });
const record = (key: g.Grammar, value: Spec): Spec => ({ kind: 'record', key, value });
const object = (fields: Record<string, Spec>): Spec => ({ kind: 'object', fields });
const oneOf = (...options: Spec[]): Spec => ({ kind: 'one-of', options });
/** Patroni's dynamic configuration: JSON of the cluster's own, written back only to that cluster's DCS. */
const json: Spec = { kind: 'json' };

const file = object({
  exists: bool,
  kind: str({ expected: 'file, dir or other', test: (value) => ['file', 'dir', 'other'].includes(value) }),
  type: str(g.WORDS),
  owner: str(g.ACCOUNT_NAME),
  group: str(g.ACCOUNT_NAME),
  mode: str(g.OCTAL_MODE),
  content: str(g.TEXT),
});

const setting = object({
  setting: str(g.TEXT),
  source: str(g.WORDS),
  sourcefile: orNull(str(g.ABSOLUTE_PATH)),
  sourceline: orNull(int(1)),
  pendingRestart: bool,
  context: str(g.WORDS),
});

const postgres = object({
  running: bool,
  error: str(g.TEXT),
  versionNum: int(),
  inRecovery: bool,
  settings: record(g.NAME, setting),
  fileSettings: list(
    object({
      name: str(g.NAME),
      setting: str(g.TEXT),
      sourcefile: str(g.ABSOLUTE_PATH),
      sourceline: int(1),
      applied: bool,
      error: orNull(str(g.ONE_LINE)),
    }),
  ),
  roles: record(
    g.ONE_LINE,
    object({
      login: bool,
      replication: bool,
      password: orNull(str(g.PASSWORD_VERIFIER)),
      memberOf: list(str(g.ONE_LINE)),
    }),
  ),
  configFile: str(g.PATH_OR_EMPTY),
  hbaFile: str(g.PATH_OR_EMPTY),
  dataDirectory: str(g.PATH_OR_EMPTY),
  configContent: str(g.TEXT),
  hbaContent: str(g.TEXT),
  systemId: str(g.DIGITS),
  currentLsn: str(g.LSN),
  archiver: orNull(
    object({
      archivedCount: int(),
      lastArchivedWal: orNull(str(g.WAL_FILE)),
      lastArchivedTime: orNull(num),
      failedCount: int(),
      lastFailedWal: orNull(str(g.WAL_FILE)),
      lastFailedTime: orNull(num),
    }),
  ),
  walBacklog: object({
    readyCount: int(),
    oldestReady: orNull(str(g.WAL_FILE)),
    oldestReadyTime: orNull(num),
    walBytes: int(),
  }),
  replay: object({ lsn: orNull(str(g.LSN)), at: orNull(num), segmentBytes: int(1) }),
  binDir: str(g.ABSOLUTE_PATH),
  serviceUnit: str(g.SERVICE_UNIT),
  layoutProblem: str(g.TEXT),
});

const backup = object({
  label: str(g.BACKUP_LABEL),
  type: str(g.BACKUP_TYPE),
  error: bool,
  start: num,
  stop: num,
  databaseId: int(1),
  size: num,
  repoDelta: num,
  archiveStart: str(g.WAL_SEGMENT),
  archiveStop: str(g.WAL_SEGMENT),
  lsnStart: str(g.LSN),
  lsnStop: str(g.LSN),
  pgVersion: str(g.PG_MAJOR),
});

const repo = object({
  key: int(1),
  stanza: str(g.NAME),
  backupInfoExists: bool,
  statusCode: orNull(int()),
  statusMessage: str(g.TEXT),
  backups: list(backup),
  cipher: str(g.CIPHER),
  database: object({ id: int(1), version: str(g.PG_MAJOR), systemId: str(g.DIGITS) }),
  archiveMin: str(g.WAL_SEGMENT),
  archiveMax: str(g.WAL_SEGMENT),
  archiveMaxTime: int(),
  backupRunning: bool,
  notAsked: bool,
  unreadable: bool,
  freeBytes: int(),
});

const patroni = object({
  scope: str({
    expected: 'a Patroni scope (letters, digits, _ . -), or nothing',
    test: (v) => v === '' || g.NAME.test(v),
  }),
  dynamic: orNull(json),
  members: list(
    object({
      name: str(g.NAME),
      host: str(g.MEMBER_HOST),
      role: str(g.WORDS),
      state: str(g.WORDS),
      pendingRestart: bool,
    }),
  ),
  errors: list(str(g.TEXT)),
});

const outcome = object({
  stanza: str(g.NAME),
  type: str(g.BACKUP_TYPE),
  repo: int(1),
  startedAt: orNull(int()),
  endedAt: orNull(int()),
  exitCode: orNull(int()),
  error: orNull(str(g.ONE_LINE)),
  lastSuccess: orNull(object({ startedAt: int(), endedAt: int() })),
  lastFailure: orNull(object({ startedAt: int(), endedAt: int(), exitCode: int() })),
  problem: str(g.ONE_LINE),
});

const storedLayout = object({
  sources: list(
    object({
      source: str({
        expected: 'pgbackrest.conf, postgresql-common, pgdg or patroni',
        test: (value) => ['pgbackrest.conf', 'postgresql-common', 'pgdg', 'patroni'].includes(value),
      }),
      file: str(g.ABSOLUTE_PATH),
      key: str(g.NAME),
      dataDirectory: str(g.ABSOLUTE_PATH),
      port: int(1),
      major: str(g.PG_MAJOR),
      binDir: str(g.ABSOLUTE_PATH),
      configFile: str(g.ABSOLUTE_PATH),
      serviceUnit: str(g.SERVICE_UNIT),
    }),
  ),
  binDirs: list(str(g.ABSOLUTE_PATH)),
});

/** Every field of HostFacts, by name: a field added to the type without a grammar fails to compile. */
const HOST_FIELDS: { [K in keyof Required<HostFacts>]: Spec } = {
  host: str(g.NAME),
  os: object({
    id: str(g.OS_WORD),
    versionId: str(g.OS_WORD),
    family: str(g.OS_WORD),
    pid1: str(g.OS_WORD),
    cpus: int(1),
    memoryBytes: int(1),
  }),
  users: record(
    g.ACCOUNT_NAME,
    orNull(
      object({
        uid: int(),
        gid: int(),
        group: str(g.ACCOUNT_NAME),
        home: str(g.ABSOLUTE_PATH),
        shell: str(g.ABSOLUTE_PATH),
      }),
    ),
  ),
  // Keys are the paths bsync asked for (absolute, or `~user/relative`).
  files: record({ expected: 'a path bsync asked for', test: (v) => g.ONE_LINE.test(v) }, file),
  crontabs: record(g.ACCOUNT_NAME, orNull(str(g.TEXT))),
  hostKeys: list(str(g.SSH_PUBLIC_KEY)),
  pgbackrestVersion: orNull(str(g.PGBACKREST_VERSION)),
  pgbackrestProblem: str(g.TEXT),
  pgbackrestIdentity: str(g.STAT_IDENTITY),
  postgres,
  repos: list(repo),
  patroni,
  storedLayout,
  backupOutcomes: list(outcome),
  tlsServer: oneOf(
    object({ manager: str(g.matchingWord('systemd')), active: bool, enabled: bool }),
    object({ manager: str(g.matchingWord('none')), uids: list(int()) }),
  ),
  clock: num,
};

/** Why a value is not what its spec says, or null when it is. */
function problemOf(spec: Spec, value: unknown, path: string): { path: string; expected: string; got: unknown } | null {
  const wrong = (expected: string) => ({ path, expected, got: value });
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' && spec.grammar.test(value) ? null : wrong(spec.grammar.expected);
    case 'number':
      return typeof value === 'number'
        && Number.isFinite(value)
        && value >= spec.min
        && (!spec.integer || Number.isSafeInteger(value))
        ? null
        : wrong(spec.integer ? `a whole number from ${spec.min}` : 'a number');
    case 'boolean':
      return typeof value === 'boolean' ? null : wrong('true or false');
    case 'null-or':
      return value === null ? null : problemOf(spec.inner, value, path);
    case 'json':
      return jsonProblem(value, path);
    case 'one-of':
      return spec.options.some((option) => problemOf(option, value, path) === null) ? null : wrong('one of its forms');
    default:
      return containerProblem(spec, value, path);
  }
}

function containerProblem(spec: Spec, value: unknown, path: string) {
  if (spec.kind === 'array') {
    if (!Array.isArray(value)) return { path, expected: 'a list', got: value };
    return firstProblem(value.map((item, index) => () => problemOf(spec.item, item, `${path}[${index}]`)));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { path, expected: 'an object', got: value };
  const entries = Object.entries(value);
  if (spec.kind === 'record') {
    return firstProblem(
      entries.map(
        ([key, item]) =>
          () =>
            spec.key.test(key)
              ? problemOf(spec.value, item, `${path}[${JSON.stringify(key)}]`)
              : { path: `${path} key`, expected: spec.key.expected, got: key },
      ),
    );
  }
  const fields = spec.kind === 'object' ? spec.fields : {};
  return firstProblem(
    entries.map(
      ([key, item]) =>
        () =>
          key in fields
            ? item === undefined
              ? null
              : problemOf(fields[key], item, path ? `${path}.${key}` : key)
            : { path: path ? `${path}.${key}` : key, expected: 'no such field (bsync reads none)', got: item },
    ),
  );
}

/** Patroni's configuration: plain JSON whose strings are single lines (pg_hba entries are written back line by line). */
function jsonProblem(value: unknown, path: string): { path: string; expected: string; got: unknown } | null {
  if (typeof value === 'string')
    return g.ONE_LINE.test(value) ? null : { path, expected: 'one line of text', got: value };
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return null;
  if (Array.isArray(value))
    return firstProblem(value.map((item, index) => () => jsonProblem(item, `${path}[${index}]`)));
  if (typeof value === 'object')
    return firstProblem(
      Object.entries(value).map(
        ([key, item]) =>
          () =>
            jsonProblem(item, `${path}.${key}`),
      ),
    );
  return { path, expected: 'JSON', got: value };
}

function firstProblem<T>(checks: Array<() => T | null>): T | null {
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return null;
}

/** A value as an error shows it: escaped, and cut short when long. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return printable(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/**
 * The facts, checked field by field against their grammars; a HostError naming the host
 * and the fact when one does not parse. Every gathering ends here, and so do recorded facts
 * read back, so that what a plan is made from has passed the same boundary.
 */
export function typedFacts(facts: HostFacts, host = facts.host): HostFacts {
  const problem = problemOf(object(HOST_FIELDS), facts, '');
  if (problem) {
    throw new HostError(
      host,
      `the host reported a fact bsync does not take: ${problem.path} is ${shown(problem.got)}`,
      {
        hint: `Expected ${problem.expected}. A value outside what the host's own programs print means the host, or a program on it, is not what it seems: check it before you plan again.`,
      },
    );
  }
  return facts;
}
