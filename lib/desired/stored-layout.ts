// A PostgreSQL host's layout when its server cannot say (stopped, or its data gone): pg_data
// if the config sets it, else what the host still holds, most trusted first: the
// pgbackrest.conf bsync wrote, postgresql-common's cluster, PGDG's packaged layout,
// Patroni's configuration (lib/facts/stored-layout.ts reads them, typed.ts checks them);
// under [patroni], bsync's pgbackrest.conf, then Patroni's, and no packaged cluster.
// When two name different folders, bsync's own pgbackrest.conf wins, and the plan says so.
import type { HostSpec, Inventory } from '../config/inventory.js';
import { systemFolderProblem } from '../config/folders.js';
import { pathSpelling } from '../config/spellings.js';
import { HostError } from '../errors.js';
import type { HostFacts, LayoutSource } from '../facts/types.js';
import type { ServerLayout } from '../resources/pg-service.js';

/** A stopped server's layout, where each part came from, and what the operator reads about it. */
export interface FoundLayout extends Omit<ServerLayout, 'major'> {
  major?: number;
  port?: number;
  /** Where the data directory came from: `pg_data`, `pgbackrest.conf (pg1-path)`. */
  from: string;
  notes: string[];
}

const SOURCE_ORDER: LayoutSource['source'][] = ['pgbackrest.conf', 'postgresql-common', 'pgdg', 'patroni'];

/** The binary folders PostgreSQL's packages put pg_ctl in: Debian's, then PGDG's. */
export function packagedBinDirs(major: string | number): string[] {
  return [`/usr/lib/postgresql/${major}/bin`, `/usr/pgsql-${major}/bin`];
}

function described(source: LayoutSource): string {
  if (source.source === 'pgbackrest.conf') return `pgbackrest.conf's ${source.key}-path`;
  if (source.source === 'postgresql-common') return `postgresql-common's data_directory in ${source.file}`;
  if (source.source === 'pgdg') return `PGDG's layout (${source.file})`;
  return `Patroni's postgresql.data_dir in ${source.file}`;
}

/**
 * The sources that can be this host's server: of its port and of the wanted major, in the
 * order of trust. Under [patroni], Patroni's configuration is how the server runs: a
 * packaged cluster beside it (postgresql-common's `main`, PGDG's data folder) is not it.
 */
function candidates(inventory: Inventory, host: HostSpec, facts: HostFacts, major: string | undefined): LayoutSource[] {
  const packaged = (source: LayoutSource) => source.source === 'postgresql-common' || source.source === 'pgdg';
  const fits = (source: LayoutSource) =>
    source.dataDirectory !== undefined
    && !(inventory.patroni && packaged(source))
    && (source.source !== 'postgresql-common' || source.port === undefined || source.port === host.pgPort)
    && (major === undefined || source.major === undefined || source.major === major);
  const found = (facts.storedLayout?.sources ?? []).filter(fits);
  // PGDG's layout is a guess from the packages installed: one of several majors is no answer.
  const pgdg = found.filter((source) => source.source === 'pgdg');
  const kept = pgdg.length > 1 ? found.filter((source) => source.source !== 'pgdg') : found;
  return kept.sort((a, b) => SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
}

/**
 * The data directory and what goes with it of a server that does not run; a HostError naming
 * the keys to set when nothing on the host says. `major`: the version wanted, when known.
 */
export function storedLayoutOf(inventory: Inventory, host: HostSpec, facts: HostFacts, major?: string): FoundLayout {
  const found = candidates(inventory, host, facts, major);
  const chosen = host.pgData ?? found[0]?.dataDirectory;
  if (chosen === undefined) throw unknownLayout(host, facts);
  const data = pathSpelling(chosen);
  const same = found.filter((source) => pathSpelling(source.dataDirectory!) === data);
  const winner = host.pgData ? undefined : found[0];
  const pick = <K extends keyof LayoutSource>(key: K) => same.find((source) => source[key] !== undefined)?.[key];
  const majorFound = major ?? pick('major');
  const binDir = pick('binDir') ?? stoppedBinDir(facts, majorFound);
  const configFile = pick('configFile');
  const serviceUnit = pick('serviceUnit');
  const port = winner?.port;
  checkPort(host, winner, port);
  if (winner) checkFolder(host, winner, data);
  return {
    dataDirectory: data,
    ...(majorFound !== undefined ? { major: Number(majorFound) } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(binDir !== undefined ? { binDir } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    ...(serviceUnit !== undefined ? { serviceUnit } : {}),
    from: winner ? described(winner) : 'pg_data',
    notes: disagreements(host, found, data, winner),
  };
}

/** A packaged binary folder of that major that holds pg_ctl, as the host reported. */
function stoppedBinDir(facts: HostFacts, major: string | undefined): string | undefined {
  if (major === undefined) return undefined;
  return packagedBinDirs(major).find((dir) => facts.storedLayout?.binDirs.includes(dir));
}

/** bsync waits for the server on pg_port: a source that says another port means the config is not this server's. */
function checkPort(host: HostSpec, winner: LayoutSource | undefined, port: number | undefined): void {
  if (!winner || port === undefined || port === host.pgPort) return;
  throw new HostError(
    host.name,
    `${described(winner)} names the server's port ${port}, but pg_port is ${host.pgPort}`,
    {
      hint: `Set pg_port = ${port} on [[host]] ${host.name} if that is the server to restore, or set pg_data to name another.`,
    },
  );
}

/** A restore replaces what the folder holds: never a system folder, whatever a file on the host says. */
function checkFolder(host: HostSpec, winner: LayoutSource, data: string): void {
  const problem = systemFolderProblem(data);
  if (problem === null) return;
  throw new HostError(host.name, `${described(winner)} names the data directory ${data}, and ${problem}`, {
    hint: `A restore replaces what the data directory holds: check who changed ${winner.file}, or set pg_data on [[host]] ${host.name}.`,
  });
}

/** Sources that name another folder than the one taken: said in the plan's notes. */
function disagreements(
  host: HostSpec,
  found: LayoutSource[],
  data: string,
  winner: LayoutSource | undefined,
): string[] {
  const taken = winner ? described(winner) : `pg_data on [[host]] ${host.name}`;
  const why = winner?.source === 'pgbackrest.conf' ? ', which bsync wrote' : '';
  return found
    .filter((source) => pathSpelling(source.dataDirectory!) !== data)
    .map(
      (source) =>
        `${host.name}: ${described(source)} names ${source.dataDirectory}, but ${taken} names ${data}: bsync restores into ${data} (${taken}${why}).`,
    );
}

function unknownLayout(host: HostSpec, facts: HostFacts): HostError {
  const looked = facts.storedLayout
    ? "neither pgbackrest.conf's pgN-path, postgresql-common's clusters, PGDG's layout nor Patroni's data_dir names it"
    : 'the host was not asked where it keeps it';
  return new HostError(
    host.name,
    `its data directory is unknown: PostgreSQL does not answer on port ${host.pgPort}, pg_data is not set, and ${looked}`,
    {
      hint: `Set pg_data on [[host]] ${host.name} (and pg_version in [cluster] if the backups do not say it), or start PostgreSQL and plan again.`,
    },
  );
}
