// What apply shows while it runs. On a terminal: one line per host with its current
// action and how long it has run, redrawn in place, and a final line per host. Elsewhere
// (a pipe, a log, cron): one plain line per action started or not done, as before.
import { printable } from '../printable.js';

interface ProgressEvent {
  address: string;
  host: string;
  status: string;
  message?: string;
}

interface HostState {
  current?: { action: string; since: number };
  done: number;
  failed: number;
  other: number;
  started: number;
  finishedAt?: number;
  total: number;
}

const REDRAW_MS = 1000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

export class ApplyProgress {
  readonly #hosts = new Map<string, HostState>();
  readonly #live: boolean;
  #drawn = 0;
  #timer?: NodeJS.Timeout;

  readonly #plain: (line: string) => void;

  constructor(
    actionsPerHost: Map<string, number>,
    options: { live: boolean; plain: (line: string) => void },
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#live = options.live && process.env.TERM !== 'dumb';
    this.#plain = options.plain;
    for (const [host, total] of actionsPerHost)
      this.#hosts.set(host, { done: 0, failed: 0, other: 0, started: Date.now(), total });
    if (this.#live) this.#timer = setInterval(() => this.#draw(), REDRAW_MS).unref();
  }

  onEvent(event: ProgressEvent): void {
    const action = event.address.slice(event.host.length + 1);
    if (!this.#live) {
      if (event.status === 'started') this.#plain(`${event.host}: ${action}...`);
      else if (event.status !== 'done')
        this.#plain(`${event.host}: ${action} ${event.status}${event.message ? `: ${event.message}` : ''}`);
      return;
    }
    const state = this.#hosts.get(event.host);
    if (!state) return;
    if (event.status === 'started') state.current = { action, since: Date.now() };
    else {
      if (state.current?.action === action) state.current = undefined;
      if (event.status === 'done') state.done += 1;
      else if (event.status === 'failed') state.failed += 1;
      else state.other += 1;
      if (state.done + state.failed + state.other >= state.total) state.finishedAt = Date.now();
    }
    this.#draw();
  }

  /** The final per-host lines; the live area stops being redrawn. */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#live) {
      for (const state of this.#hosts.values()) state.finishedAt ??= Date.now();
      this.#draw();
    }
  }

  #line(host: string, state: HostState, now: number): string {
    const counts = `${state.done}/${state.total} done${state.failed ? `, ${state.failed} failed` : ''}${state.other ? `, ${state.other} not done` : ''}`;
    if (state.finishedAt !== undefined && !state.current)
      return `${host}: ${counts} in ${seconds(state.finishedAt - state.started)}`;
    if (state.current) return `${host}: ${state.current.action} (${seconds(now - state.current.since)})  [${counts}]`;
    return `${host}: waiting  [${counts}]`;
  }

  #draw(): void {
    const now = Date.now();
    const lines = [...this.#hosts].map(([host, state]) => printable(this.#line(host, state, now)));
    // A terminal that does not say its width (0, as some ptys) gets lines as they are.
    const columns = this.stream.columns || Number(process.env.COLUMNS) || 0;
    const width = columns > 20 ? columns - 1 : Infinity;
    // Back to the top of what was drawn last time, then each line cleared and written anew.
    const up = this.#drawn > 0 ? `\u001b[${this.#drawn}A` : '';
    this.stream.write(`${up}${lines.map((line) => `\r\u001b[2K${line.slice(0, width)}`).join('\n')}\n`);
    this.#drawn = lines.length;
  }
}
