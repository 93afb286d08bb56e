// The global options, and the error that ends a run. What commands show goes through
// their command's view (lib/views/): text for people or JSON for machines, chosen once
// from these options; colour only on a terminal and never with --no-color or NO_COLOR.
import type { Diagnostic } from '../diagnostics.js';
import { BsyncError } from '../errors.js';
import { diagnosticLine } from '../views/diagnostics.js';
import { ERROR_VIEWS, type ErrorView } from '../views/error.js';
import type { ProgressView } from '../views/progress.js';
import { viewFor } from '../views/view-for.js';

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

/** The config's warnings (inline secrets, backups that start at the same minute), which validate and plan both print. */
export function showWarnings(view: ProgressView, warnings: readonly Diagnostic[]): void {
  for (const warning of warnings) view.progress(diagnosticLine(warning));
}

let errorView: ErrorView = viewFor(ERROR_VIEWS, { json: false, color: false });

/** With --json an error is also machine output: one JSON object on stdout, so a cron check can read it. */
export function printErrorsAsJson(on: boolean): void {
  errorView = viewFor(ERROR_VIEWS, { json: on, color: false });
}

/** The one place errors are printed: a person's message, never a stack (unless BSYNC_DEBUG is set). */
export function reportError(error: unknown): number {
  errorView.error(error);
  if (!(error instanceof BsyncError) && process.env.BSYNC_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  return 1;
}
