// A PostgreSQL host's layout (data directory, major version) is what its running server
// reports; the config may state it, and then the two must agree. No per-OS guess stands
// in for a fact: a server that does not answer stops the plan earlier (postgres-host.ts).
// Only a restore, which brings such a server back, reads what the host still holds
// (stored-layout.ts).
import { within } from '../config/folders.js';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { pathSpelling } from '../config/spellings.js';
import { HostError } from '../errors.js';
import { serverMajor } from '../facts/postgres.js';
import type { HostFacts, PostgresFacts } from '../facts/types.js';
import type { ServerLayout } from '../resources/pg-service.js';

/** The oldest major bsync writes settings for: restore_command lives in postgresql.conf from 12 on. */
const OLDEST_MAJOR = 12;

/** The data directory: the running server's; a configured pg_data must be the same folder. */
export function pgDataOf(host: HostSpec, facts: HostFacts | undefined): string {
  const pg = facts?.postgres;
  if (!pg?.running || !pg.dataDirectory) {
    if (host.pgData) return host.pgData;
    throw new HostError(
      host.name,
      `its data directory is unknown: PostgreSQL does not answer on port ${host.pgPort} and pg_data is not set`,
      {
        hint: `bsync reads the data directory from the running server: start PostgreSQL and plan again, or set pg_data on [[host]] ${host.name}; a restore finds it in what the host still holds (docs/recovery.md, "A primary whose data is gone").`,
      },
    );
  }
  if (host.pgData && host.pgData !== pathSpelling(pg.dataDirectory)) {
    throw new HostError(
      host.name,
      `pg_data is ${host.pgData}, but the server on port ${host.pgPort} runs with data_directory ${pg.dataDirectory}`,
      {
        hint: `Set pg_data = "${pg.dataDirectory}" on this [[host]], or remove it (bsync takes the running server's), or point pg_port at the intended server.`,
      },
    );
  }
  return pathSpelling(pg.dataDirectory);
}

/**
 * A folder bsync makes on a host (`what`: "repo1's folder"), refused where it would lie in
 * the data directory a PostgreSQL host's server reports: a restore replaces what the data
 * directory holds, and a backup would copy the folder into itself.
 */
export function outsideDataDirectory(host: HostSpec, facts: HostFacts, path: string, what: string): string {
  // Only a PostgreSQL host's facts hold its server (a backup host's probes do not ask).
  const reported = host.role === 'postgres' ? facts.postgres?.dataDirectory : undefined;
  const data = reported ? pathSpelling(reported) : undefined;
  if (data !== undefined && within(path, data))
    throw new HostError(
      host.name,
      `${what} ${path} is inside the data directory of the server on port ${host.pgPort} (${data})`,
      {
        hint: `Give ${what} a path outside every data directory: a restore replaces what ${data} holds, and a backup would copy the folder into itself.`,
      },
    );
  return path;
}

/** The running server's major version, checked against [cluster] pg_version and the oldest bsync supports. */
export function checkServerVersion(inventory: Inventory, host: HostSpec, pg: PostgresFacts): number {
  const major = serverMajor(pg);
  const wanted = inventory.cluster.pgVersion;
  if (wanted !== undefined && wanted !== major) {
    throw new HostError(
      host.name,
      `[cluster] pg_version is ${wanted}, but the server on port ${host.pgPort} runs PostgreSQL ${major} (server_version_num ${pg.versionNum})`,
      {
        hint: `Set pg_version = ${major}, or remove it (bsync takes each server's version), or point pg_port at the intended server.`,
      },
    );
  }
  if (major < OLDEST_MAJOR) {
    throw new HostError(
      host.name,
      `the server on port ${host.pgPort} runs PostgreSQL ${major}; bsync supports ${OLDEST_MAJOR} and later`,
      {
        hint: 'Before PostgreSQL 12, restore_command belongs in recovery.conf, which bsync does not write.',
      },
    );
  }
  return major;
}

/** How a running server is laid out, for starting, stopping and restarting it (resources/pg-service.ts). */
export function serverLayout(pg: PostgresFacts): ServerLayout {
  return {
    major: serverMajor(pg),
    dataDirectory: pg.dataDirectory,
    configFile: pg.configFile,
    ...(pg.binDir ? { binDir: pg.binDir } : {}),
    ...(pg.serviceUnit ? { serviceUnit: pg.serviceUnit } : {}),
  };
}

/**
 * Where a server's own files may be for bsync to edit them as root would: postgresql-common's
 * /etc/postgresql/MAJOR/CLUSTER/, or the data directory (initdb's, PGDG's and Patroni's
 * layout). The server names its files itself, and whoever runs it as postgres can name any:
 * a file elsewhere (/etc/shadow, root's authorized_keys) is refused, never written.
 */
export function serverFileProblem(pg: PostgresFacts, file: string, name: string): string | null {
  const data = pathSpelling(pg.dataDirectory);
  const debian = new RegExp(`^/etc/postgresql/${serverMajor(pg)}/[A-Za-z0-9._-]+/${name.replace('.', '\\.')}$`);
  if (file === `${data}/${name}` || debian.test(file)) return null;
  return `the server reports its ${name} at ${file}, which is neither in its data directory (${data}) nor postgresql-common's /etc/postgresql/${serverMajor(pg)}/CLUSTER/: bsync edits a server's files only where PostgreSQL's packages put them`;
}

/** A file that overrides a setting: beside postgresql.conf (its conf.d too) or in the data directory. */
export function overrideFileProblem(pg: PostgresFacts, file: string): string | null {
  const folders = [pathSpelling(pg.dataDirectory), pg.configFile.slice(0, pg.configFile.lastIndexOf('/'))];
  if (folders.some((folder) => folder.length > 1 && folder !== file && within(file, folder))) return null;
  return `the server reads a setting from ${file}, outside its data directory and its configuration folder: bsync edits no file there`;
}

/** The server's file, or a HostError that names the host and the path. */
export function serverFile(host: HostSpec, pg: PostgresFacts, file: string, name: string): string {
  const problem = serverFileProblem(pg, file, name);
  if (problem)
    throw new HostError(host.name, problem, {
      hint: "Check who changed the server's config_file or hba_file setting (a postgres user can): move the file back to its packaged place, then plan again.",
    });
  return file;
}
