// Where things go: machine output on stdout, progress and errors on stderr; colour only
// on a terminal and never with --no-color or NO_COLOR.
import { BsyncError } from '../errors.js';
import { printable, printableJson } from '../printable.js';
import type { Style } from '../plan/render-text.js';

export interface GlobalOptions {
  /** -c values as given: files or folders (several make a fleet run, lib/cli/fleet.ts). */
  configs: string[];
  host?: string[];
  zone?: number[];
  /** At most this many SSH connections open at once (a fleet run's bound). */
  parallel: number;
  json: boolean;
  color: boolean;
}

/**
 * Where a command's results go. Run alone, straight to stdout and stderr; in a fleet run
 * each cluster's are kept and printed under its heading, its progress lines prefixed.
 */
export interface CommandOutput {
  text(text: string): void;
  json(value: unknown, indent?: number): void;
  progress(message: string): void;
}

export const directOutput: CommandOutput = {
  text: (text) => process.stdout.write(text),
  json: (value, indent) => writeJson(value, indent),
  progress: (message) => progress(message),
};

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
  if (errorsAsJson) writeJson({ error: errorJson(error) });
  process.stderr.write(`bsync: error: ${printable(describeError(error))}\n`);
  if (!(error instanceof BsyncError) && process.env.BSYNC_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** An error as machine output (--json): the same fields for one cluster or many. */
export function errorJson(error: unknown): { message: string; where?: string; hint?: string; hosts?: string[] } {
  return error instanceof BsyncError
    ? { message: error.message, where: error.where, hint: error.hint, hosts: error.hosts }
    : { message: error instanceof Error ? error.message : String(error) };
}

/** An error for a person: where, what, and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof BsyncError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}
