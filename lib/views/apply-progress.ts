// What apply shows while it runs. On a terminal: one line per host with its current
// action and how long it has run, redrawn in place, and a final line per host. Elsewhere
// (a pipe, a log, cron): one plain line per action started or not done, as before.
import type { ApplyEvent } from '../apply/execute.js';
import type { StepProgress } from '../facts/progress.js';
import type { Plan } from '../plan/types.js';
import { printable } from '../printable.js';
import type { Sink } from './sink.js';

interface HostState {
  current?: { action: string; since: number; detail?: string; plainMark?: number };
  done: number;
  failed: number;
  other: number;
  started: number;
  finishedAt?: number;
  total: number;
}

const REDRAW_MS = 1000;

const utc = (unixSeconds: number) => `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** How far a step is, in words: `45% restored of 1.2 GB`, `replayed to 0/3000060 (commits of 11:26:20 UTC)`. */
export function progressText(progress: StepProgress, goal?: string): string {
  const against = goal ? ` ${goal}` : '';
  if (progress.kind === 'restore') return `${progress.percent.toFixed(0)}% restored${against}`;
  const commits = progress.commitTime === undefined ? '' : `, commits of ${utc(progress.commitTime)}`;
  return `WAL replayed to ${progress.lsn}${commits}${goal ? `;${against}` : ''}`;
}
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

  onEvent(event: ApplyEvent): void {
    const action = event.address.slice(event.host.length + 1);
    if (event.status === 'progress') {
      this.#progress(event, action);
      return;
    }
    const state = this.#hosts.get(event.host);
    if (state && event.status === 'started') state.current = { action, since: Date.now() };
    if (!this.#live) {
      if (event.status === 'started') this.#plain(`${event.host}: ${action}...`);
      else if (event.status !== 'done')
        this.#plain(`${event.host}: ${action} ${event.status}${event.message ? `: ${event.message}` : ''}`);
      return;
    }
    if (!state) return;
    if (event.status !== 'started') {
      if (state.current?.action === action) state.current = undefined;
      if (event.status === 'done') state.done += 1;
      else if (event.status === 'failed') state.failed += 1;
      else state.other += 1;
      if (state.done + state.failed + state.other >= state.total) state.finishedAt = Date.now();
    }
    this.#draw();
  }

  /**
   * A long step got further: on a terminal, its line shows how far; elsewhere a plain line
   * at each tenth of a restore and every 10 s of replay, so a log is not flooded.
   */
  #progress(event: ApplyEvent, action: string): void {
    const state = this.#hosts.get(event.host);
    if (!state?.current || state.current.action !== action || !event.progress) return;
    const first = state.current.detail === undefined;
    state.current.detail = progressText(event.progress, event.goal);
    if (this.#live) {
      // Shown the moment it is first known: a step shorter than a redraw still shows how far it got.
      if (first) this.#draw();
      return;
    }
    const mark =
      event.progress.kind === 'restore' ? Math.floor(event.progress.percent / 10) : Math.floor(Date.now() / 10_000);
    if (state.current.plainMark === mark) return;
    state.current.plainMark = mark;
    this.#plain(`${event.host}: ${action}: ${state.current.detail}`);
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
    if (state.current) {
      const detail = state.current.detail ? ` ${state.current.detail}` : '';
      return `${host}: ${state.current.action} (${seconds(now - state.current.since)})${detail}  [${counts}]`;
    }
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

/** Apply's progress for `plan`'s actions, the same in both forms; redrawn in place only when this run has the terminal to itself (one cluster). */
export function applyProgress(plan: Plan, sink: Sink): ApplyProgress {
  const actionsPerHost = new Map<string, number>();
  for (const action of plan.actions) actionsPerHost.set(action.host, (actionsPerHost.get(action.host) ?? 0) + 1);
  return new ApplyProgress(actionsPerHost, {
    live: sink.live && Boolean(process.stderr.isTTY),
    plain: (line) => sink.progress(line),
  });
}
