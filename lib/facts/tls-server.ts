// pgBackRest's TLS server (transport = "tls"): under systemd, whether its unit is active and
// enabled; without systemd, which users run a `pgbackrest server` process. Also the host's
// clock, which its certificate's expiry is measured by. Asked only where TLS is in use.
import type { Probe } from './probe.js';
import type { TlsServerFacts } from './types.js';

/** The unit bsync writes (resources/tls-server.ts); the name Debian's package uses for the same server. */
export const TLS_UNIT = 'pgbackrest.service';

/** A `pgbackrest server` process's arguments, whatever folder the binary was started from. */
export const SERVER_ARGS = /^(\S*\/)?pgbackrest server$/;

export const tlsServerProbe: Probe = {
  name: 'tlsServer',
  applies: (ctx) => ctx.needs.tlsServer,
  command: () =>
    [
      'date +%s',
      'read -r c </proc/1/comm || c=',
      `if [ "$c" = systemd ]; then echo systemd; systemctl is-active ${TLS_UNIT}; systemctl is-enabled ${TLS_UNIT}; else echo none; ps -C pgbackrest -o uid=,args=; fi`,
    ].join('\n'),
  parse(output) {
    const [clock = '', manager = '', ...rest] = output.split('\n').map((line) => line.trim());
    const tlsServer: TlsServerFacts =
      manager === 'systemd'
        ? { manager, active: rest[0] === 'active', enabled: rest[1] === 'enabled' }
        : {
            manager: 'none',
            uids: rest.flatMap((line) => {
              const match = /^(\d+)\s+(.*)$/.exec(line);
              return match && SERVER_ARGS.test(match[2]) ? [Number(match[1])] : [];
            }),
          };
    return { tlsServer, ...(/^\d+$/.test(clock) ? { clock: Number(clock) } : {}) };
  },
};
