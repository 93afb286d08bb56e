// How a host starts, stops and restarts its PostgreSQL server, decided once for every
// kind that needs it (a restart for archive_mode, a restore's stop and start). Where
// systemd is PID 1, the unit whose cgroup holds the server (else the packages' names:
// Debian's postgresql@<v>-<c>, PGDG's postgresql-<major>); pg_ctlcluster on Debian; else
// the server's own pg_ctl (PGDG keeps it in /usr/pgsql-<v>/bin, off PATH).
import { shq } from '../formats/shell.js';
import type { OsFacts } from '../facts/types.js';
import { PG_OS_USER } from '../facts/probe.js';
import type { Step } from './types.js';

/** What the decision needs: read from the running server, or (a stopped one) from the config and files. */
export interface ServerLayout {
  major: number;
  dataDirectory: string;
  /** postgresql.conf's path: /etc/postgresql/<v>/<cluster>/ means a Debian cluster. */
  configFile?: string;
  binDir?: string;
  serviceUnit?: string;
}

export type ServiceVerb = 'start' | 'stop' | 'restart';

/** A Debian cluster's version and name, from where its postgresql.conf lives. */
export function debianClusterOf(configFile: string | undefined): [string, string] | undefined {
  const match = /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(configFile ?? '');
  return match ? [match[1], match[2]] : undefined;
}

/** The pg_ctl log of a server started without a service manager: beside the data, where postgres can always write. */
export function pgCtlLog(layout: Pick<ServerLayout, 'dataDirectory'>): string {
  return `${layout.dataDirectory.replace(/\/$/, '')}/pg_ctl.log`;
}

export function serviceStep(os: OsFacts, layout: ServerLayout, verb: ServiceVerb): Step {
  const debianCluster = debianClusterOf(layout.configFile);
  if (os.pid1 === 'systemd') {
    const unit =
      layout.serviceUnit?.replace(/\.service$/, '')
      ?? (debianCluster ? `postgresql@${debianCluster[0]}-${debianCluster[1]}` : `postgresql-${layout.major}`);
    return { command: `systemctl ${verb} ${shq(unit)}` };
  }
  if (debianCluster) {
    const mode = verb === 'start' ? '' : ' -m fast';
    return {
      command: `pg_ctlcluster --skip-systemctl-redirect ${shq(debianCluster[0])} ${shq(debianCluster[1])} ${verb}${mode}`,
    };
  }
  return pgCtlStep(layout, verb);
}

/** The server's own pg_ctl, as postgres: also how a member of a paused Patroni cluster is started and stopped. */
export function pgCtlStep(layout: ServerLayout, verb: ServiceVerb): Step {
  const pgCtl = layout.binDir ? shq(`${layout.binDir}/pg_ctl`) : 'pg_ctl';
  // -l: the new postmaster's stdout and stderr go to a file, not to this command's: else it
  // holds the SSH channel open and apply waits for it for ever.
  const log = verb === 'stop' ? '' : ` -l ${shq(pgCtlLog(layout))}`;
  const mode = verb === 'start' ? '' : ' -m fast';
  return { user: PG_OS_USER, command: `${pgCtl} -D ${shq(layout.dataDirectory)}${log}${mode} -w ${verb}` };
}
