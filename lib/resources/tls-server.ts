// pgBackRest's TLS server (transport = "tls"), kept running by the host's service manager:
// under systemd its unit (pgbackrest.service, the name Debian's package gives the same
// server, written to /etc/systemd/system so one unit runs it as the right user on every
// platform), enabled and active; without systemd (the lab), started detached as the lab
// starts Patroni, and reported when it is not running. Restarted when what it read at start
// (pgbackrest.conf, its certificate, the CA) changes in the same plan.
import { asUser, shq } from '../formats/shell.js';
import { SERVER_ARGS, TLS_UNIT } from '../facts/tls-server.js';
import type { TlsServerFacts } from '../facts/types.js';
import { CONF_HEADER } from './marker.js';
import type { Change, Step } from './types.js';

export const TLS_UNIT_PATH = `/etc/systemd/system/${TLS_UNIT}`;

/** The unit's text: Debian's own unit for the server, with the user pgBackRest runs as on this host. */
export function tlsUnitText(user: string, group: string): string {
  return [
    CONF_HEADER.trimEnd(),
    '[Unit]',
    'Description=pgBackRest TLS server',
    'After=network.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'Restart=always',
    'RestartSec=1',
    `User=${user}`,
    `Group=${group}`,
    'ExecStart=/usr/bin/pgbackrest server',
    'ExecReload=/bin/kill -HUP $MAINPID',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

interface DesiredServer {
  user: string;
  /** The user's uid, when it exists: the processes found are matched by it. */
  uid: number | undefined;
  /** Why it must restart even when running: what it read at start changes in this plan. */
  restartFor?: string;
}

const pattern = shq(SERVER_ARGS.source);
const gone = (why: string) => `see /var/log/pgbackrest/all-server.log: ${why}`;

/** Stops the user's servers, starts one detached from this command (its output would hold the SSH channel open), and checks it stayed up. */
function detachedRestart(user: string): Step {
  const u = shq(user);
  return {
    command: [
      `pkill -u ${u} -f ${pattern} || true`,
      `i=0; while pgrep -u ${u} -f ${pattern} >/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done`,
      // setsid -f forks it off: `cd / && setsid … &` would background the whole list in a
      // subshell that keeps the channel's output open until the server ends.
      `cd / && setsid -f ${asUser(user, 'exec pgbackrest server')} </dev/null >/dev/null 2>&1`,
      'sleep 1',
      `pgrep -u ${u} -f ${pattern} >/dev/null || { echo ${shq(`pgbackrest server stopped right after it started: ${gone('its error')}`)} >&2; exit 1; }`,
    ].join('\n'),
  };
}

const systemdRestart: Step = {
  command: [
    `systemctl daemon-reload && systemctl enable ${TLS_UNIT} && systemctl restart ${TLS_UNIT}`,
    'sleep 1',
    `systemctl is-active --quiet ${TLS_UNIT} || { echo ${shq(`${TLS_UNIT} did not stay active: ${gone('journalctl -u pgbackrest')}`)} >&2; exit 1; }`,
  ].join('\n'),
};

export function planTlsServer(desired: DesiredServer, facts: TlsServerFacts | undefined): Change | null {
  const systemd = facts?.manager === 'systemd';
  const running =
    facts?.manager === 'systemd'
      ? facts.active
      : desired.uid !== undefined && (facts?.uids ?? []).includes(desired.uid);
  const enabled = facts?.manager !== 'systemd' || facts.enabled;
  const why = !running
    ? `pgbackrest server is not running as ${desired.user}`
    : !enabled
      ? `${TLS_UNIT} is not enabled: it would not start at boot`
      : desired.restartFor;
  if (why === undefined) return null;
  return {
    action: running ? 'update' : 'create',
    reason: running && enabled ? `restarted: ${why}` : why,
    fields: [{ name: 'state', before: running ? 'running' : 'stopped', after: 'running' }],
    steps: [systemd ? systemdRestart : detachedRestart(desired.user)],
  };
}
