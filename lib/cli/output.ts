// Where things go: machine output on stdout, progress and errors on stderr; colour only
// on a terminal and never with --no-color or NO_COLOR.
import { BsyncError } from '../errors.js';
import { printable, printableJson } from '../printable.js';
import type { Style } from '../plan/render-text.js';

export interface GlobalOptions {
  config: string;
  host?: string[];
  json: boolean;
  color: boolean;
}

export function styleFor(options: GlobalOptions, stream: NodeJS.WriteStream = process.stdout): Style {
  return { color: options.color && !process.env.NO_COLOR && Boolean(stream.isTTY) };
}

export function progress(message: string): void {
  process.stderr.write(`${printable(message)}\n`);
}

/** Machine output: one JSON document on stdout. */
export function writeJson(value: unknown, indent = 2): void {
  process.stdout.write(`${printableJson(value, indent)}\n`);
}

let errorsAsJson = false;

/** With --json an error is also machine output: one JSON object on stdout, so a cron check can read it. */
export function printErrorsAsJson(on: boolean): void {
  errorsAsJson = on;
}

/** The one place errors are printed: a person's message, never a stack (unless BSYNC_DEBUG is set). */
export function reportError(error: unknown): number {
  if (errorsAsJson) {
    const shown = error instanceof BsyncError
      ? { message: error.message, where: error.where, hint: error.hint, hosts: error.hosts }
      : { message: error instanceof Error ? error.message : String(error) };
    writeJson({ error: shown });
  }
  if (error instanceof BsyncError) {
    process.stderr.write(`bsync: error: ${printable(error.describe())}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bsync: error: ${printable(message)}\n`);
    if (process.env.BSYNC_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
