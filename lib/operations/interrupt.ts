// Ctrl-C and SIGTERM during apply: the first stops new actions and gives running ones a
// bounded time to finish, so the report can say what was done; a second ends bsync at once.
import type { ApplyStop } from '../apply/execute.js';
import { progress } from '../views/sink.js';

export const INTERRUPT_EXIT = 130;
const GRACE_SECONDS = 30;

export class Interrupt implements ApplyStop {
  requested = false;
  readonly abandon: Promise<void>;
  #abandonNow!: () => void;
  readonly #onSignal = (signal: NodeJS.Signals) => this.#handle(signal);

  constructor(private readonly graceSeconds = GRACE_SECONDS) {
    this.abandon = new Promise((resolve) => (this.#abandonNow = resolve));
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  #handle(signal: NodeJS.Signals): void {
    if (this.requested) {
      progress(
        `${signal} again: stopping now. Actions still running on hosts go on there; their leases run out by themselves. Run apply again to converge.`,
      );
      process.exit(INTERRUPT_EXIT);
    }
    this.requested = true;
    progress(
      `${signal}: no new action starts; waiting up to ${this.graceSeconds} s for running ones (send it again to stop at once).`,
    );
    setTimeout(() => this.#abandonNow(), this.graceSeconds * 1000).unref();
  }

  dispose(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}
