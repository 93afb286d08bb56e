// Where a command's output goes: its results on stdout, progress and errors on stderr.
// Run alone, straight there (directSink); in a fleet run each cluster has a sink of its own
// that keeps its results for its section and prefixes its progress lines (lib/cli/fleet.ts).
import { printable, printableJson } from '../printable.js';

export interface Sink {
  /** Text for stdout. */
  text(text: string): void;
  /** One JSON document for stdout (a fleet run keeps the value for the fleet document). */
  json(value: unknown, indent?: number): void;
  /** One line on stderr, its control characters escaped. */
  progress(message: string): void;
  /** The run has the terminal to itself (one cluster): apply may redraw its progress in place. */
  readonly live: boolean;
}

export function progress(message: string): void {
  process.stderr.write(`${printable(message)}\n`);
}

/** Machine output: one JSON document on stdout. */
export function writeJson(value: unknown, indent = 2): void {
  process.stdout.write(`${printableJson(value, indent)}\n`);
}

export const directSink: Sink = {
  text: (text) => {
    process.stdout.write(text);
  },
  json: (value, indent) => writeJson(value, indent),
  progress: (message) => progress(message),
  live: true,
};
