// One apply at a time per host, as a lease: a file on the host that says who holds it,
// where from, since when and until when (the host's clock). The holder renews it while it
// runs; a lease past its time, or held by a process on this machine that is gone, is
// taken over with a line saying so. No process on the host waits for the holder, so a
// cut connection cannot leave a lock behind for longer than the lease's term.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { HostError } from '../errors.js';
import { shq } from '../formats/shell.js';
import type { HostConnection } from '../transport/types.js';

// A folder of root's own under /run, not /run/lock: that one is writable by every user on
// many systems, where another user's file or link at the lease's path could block an apply,
// or have root truncate or replace what it points to.
const LEASE_DIR = '/run/bsync';
export const LEASE_FILE = `${LEASE_DIR}/lease`;
const GUARD_FILE = `${LEASE_DIR}/guard`;
/** How long a lease holds without renewal, and how often a running apply renews it. */
const LEASE_SECONDS = 60;
const RENEW_EVERY_MS = 15_000;

type LeaseOp = 'acquire' | 'takeover' | 'renew' | 'release' | 'unlock';

/** The fields of a lease line: id, until, since, pid, controller, user. */
type LeaseFields = Record<string, string>;

/**
 * Every operation reads and writes the lease under a short flock, so two bsyncs deciding
 * at once see each other. `expect` is the lease id a takeover or unlock may replace.
 */
function leaseScript(op: LeaseOp, id: string, info: string, expect = ''): string {
  return [
    `op=${op} id=${shq(id)} info=${shq(info)} expect=${shq(expect)} ttl=${LEASE_SECONDS} L=${LEASE_FILE}`,
    `D=${LEASE_DIR}; mkdir -m 0700 "$D" 2>/dev/null`,
    // Only root can make it under /run; anything else there is refused by name, never used.
    `if [ -L "$D" ] || [ ! -d "$D" ] || [ "$(stat -c '%u %a' "$D")" != '0 700' ] || [ -L "$L" ] || { [ -e "$L" ] && [ ! -f "$L" ]; }; then echo "refused $(ls -ld "$D" "$L" 2>/dev/null | tr '\n' ';')"; exit 0; fi`,
    `exec 9>${GUARD_FILE} && flock -w 10 9 || { echo guard-busy; exit 0; }`,
    'now=$(date +%s)',
    'cur=$(head -c 1000 "$L" 2>/dev/null | head -n 1)',
    `cur_id=$(printf '%s' "$cur" | sed -n 's/^id=\\([0-9a-f]*\\) .*/\\1/p')`,
    `cur_until=$(printf '%s' "$cur" | sed -n 's/^id=[0-9a-f]* until=\\([0-9]*\\) .*/\\1/p')`,
    `write() { printf 'id=%s until=%s %s\\n' "$id" "$((now + ttl))" "$info" >"$L.new" && mv -f "$L.new" "$L"; }`,
    'case $op in',
    '  acquire) if [ -z "$cur_id" ]; then write && echo acquired; elif [ "${cur_until:-0}" -lt "$now" ]; then write && echo "took-expired $cur"; else echo "held $((cur_until - now)) $cur"; fi ;;',
    '  takeover) if [ "$cur_id" = "$expect" ]; then write && echo "took-gone $cur"; else echo "held 0 $cur"; fi ;;',
    '  renew) if [ "$cur_id" = "$id" ]; then write && echo renewed; else echo "lost $cur"; fi ;;',
    '  release) if [ "$cur_id" = "$id" ]; then rm -f "$L"; fi; echo released ;;',
    '  unlock) if [ -z "$cur_id" ]; then echo none; elif [ "$cur_id" = "$expect" ]; then rm -f "$L" && echo "unlocked $cur"; else echo "other $cur"; fi ;;',
    'esac',
  ].join('\n');
}

function parseLease(line: string): LeaseFields {
  const fields: LeaseFields = {};
  for (const match of line.matchAll(/(\w+)=(\S*)/g)) fields[match[1]] = match[2];
  return fields;
}

/** A lease for a person: `root@ctl pid 4242 since 2026-11-24T10:00:00Z, lease id 3f…`. */
function describeLease(fields: LeaseFields): string {
  return `${fields.user ?? '?'}@${fields.controller ?? '?'} pid ${fields.pid ?? '?'} since ${fields.since ?? '?'}, lease ${fields.id ?? '?'}`;
}

const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'unknown';

/** Whether a pid on this machine is a live process. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function run(connection: HostConnection, script: string): Promise<string> {
  const result = await connection.exec(script);
  const line = result.stdout.trim();
  if (result.code !== 0 || line === '') {
    throw new HostError(connection.host, `the lease could not be read or written (exit ${result.code})`, {
      hint: result.stderr.trim().slice(0, 300) || undefined,
    });
  }
  if (line.startsWith('refused '))
    throw new HostError(
      connection.host,
      `${LEASE_DIR} is not a folder of root's own (0700), or the lease in it is not a plain file; bsync keeps its lease only there and changed nothing`,
      {
        hint: `Found: ${line.slice('refused '.length).slice(0, 300)}. Remove it (rm -rf ${LEASE_DIR}) once no bsync runs on this host.`,
      },
    );
  if (line === 'guard-busy')
    throw new HostError(
      connection.host,
      `${GUARD_FILE} stayed locked for 10 s; another bsync is deciding about this host`,
    );
  return line;
}

export interface HeldLease {
  id: string;
  host: string;
  /** Renews until release; calls onLost if another bsync took the lease over meanwhile. */
  startRenewing(onLost: (message: string) => void): void;
  release(): Promise<void>;
}

/** Takes the host's lease, or fails naming who holds it and until when. `notice` hears takeovers. */
export async function acquireLease(connection: HostConnection, notice: (message: string) => void): Promise<HeldLease> {
  const id = randomBytes(8).toString('hex');
  const info = `since=${new Date().toISOString()} pid=${process.pid} controller=${safe(hostname())} user=${safe(userInfo().username)}`;
  let answer = await run(connection, leaseScript('acquire', id, info));
  if (answer.startsWith('held ')) {
    const [, left, ...rest] = answer.split(' ');
    const holder = parseLease(rest.join(' '));
    const gone =
      holder.controller === safe(hostname()) && /^\d+$/.test(holder.pid ?? '') && !processAlive(Number(holder.pid));
    if (gone) answer = await run(connection, leaseScript('takeover', id, info, holder.id ?? ''));
    if (answer.startsWith('held ')) {
      throw new HostError(
        connection.host,
        `another bsync apply is changing this host (${describeLease(holder)}; the lease runs out in ${left} s unless renewed)`,
        {
          hint: `Wait for it to finish. If that bsync is gone for good, its lease expires by itself within ${LEASE_SECONDS} s, or clear it with: bsync unlock --host ${connection.host} ${holder.id ?? ''}`,
        },
      );
    }
  }
  if (answer.startsWith('took-expired '))
    notice(`${connection.host}: took over an expired lease (${describeLease(parseLease(answer.slice(13)))})`);
  if (answer.startsWith('took-gone '))
    notice(
      `${connection.host}: took over the lease of a bsync that is no longer running (${describeLease(parseLease(answer.slice(10)))})`,
    );

  let timer: NodeJS.Timeout | undefined;
  return {
    id,
    host: connection.host,
    startRenewing(onLost) {
      timer = setInterval(() => {
        run(connection, leaseScript('renew', id, info)).then(
          (line) => {
            if (line.startsWith('lost')) {
              clearInterval(timer);
              onLost(`the lease on ${connection.host} was taken over (${describeLease(parseLease(line.slice(5)))})`);
            }
          },
          () => {
            // A host that stops answering is declared lost by the transport's keepalives.
          },
        );
      }, RENEW_EVERY_MS);
      timer.unref();
    },
    async release() {
      clearInterval(timer);
      await run(connection, leaseScript('release', id, info)).catch(() => undefined);
    },
  };
}

/** `bsync unlock`: clears the lease with this id; says who holds it when the id is another. */
export async function clearLease(connection: HostConnection, leaseId: string): Promise<string> {
  const answer = await run(connection, leaseScript('unlock', '', '', leaseId));
  if (answer === 'none') return `${connection.host}: no bsync lease is held; nothing to clear.`;
  if (answer.startsWith('unlocked '))
    return `${connection.host}: cleared the lease of ${describeLease(parseLease(answer.slice(9)))}.`;
  throw new HostError(
    connection.host,
    `the lease is held by ${describeLease(parseLease(answer.slice(6)))}, not by lease ${leaseId}; nothing was cleared`,
    {
      hint: 'Copy the lease id from the message that named the holder.',
    },
  );
}
