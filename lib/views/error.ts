// An error as a person reads it and as machine output; the same for one cluster or many.
import { BsyncError, ConfigErrors } from '../errors.js';
import type { Sink } from './sink.js';
import type { ViewForms } from './view-for.js';

interface ErrorJson {
  message: string;
  where?: string;
  hint?: string;
  hosts?: string[];
  /** A config's problems, each as one error alone would be (ConfigErrors). */
  errors?: Array<{ message: string; where?: string; hint?: string }>;
}

/** An error as machine output (--json): the same fields for one cluster or many. */
export function errorJson(error: unknown): ErrorJson {
  if (error instanceof ConfigErrors) {
    const errors = error.errors.map(({ message, where, hint }) => ({ message, where, hint }));
    return { message: error.message, where: error.where, errors };
  }
  return error instanceof BsyncError
    ? { message: error.message, where: error.where, hint: error.hint, hosts: error.hosts }
    : { message: error instanceof Error ? error.message : String(error) };
}

/** An error for a person: where, what, and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof BsyncError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}

/** The errors to show one by one, each with its own `error:` line: a config's problems, or the error alone. */
export function errorEntries(error: unknown): unknown[] {
  return error instanceof ConfigErrors ? [...error.errors] : [error];
}

/** The error that ends the command. */
export interface ErrorView {
  error(error: unknown): void;
}

/** Each error line on stderr, as both forms show it. */
function errorLines(sink: Sink, error: unknown): void {
  for (const entry of errorEntries(error)) sink.progress(`bsync: error: ${describeError(entry)}`);
}

/** Text: a person's message on stderr. JSON: machine output too, one object on stdout, and the same message on stderr. */
export const ERROR_VIEWS: ViewForms<ErrorView> = {
  text: (sink) => ({ error: (error) => errorLines(sink, error) }),
  json: (sink) => ({
    error: (error) => {
      sink.json({ error: errorJson(error) });
      errorLines(sink, error);
    },
  }),
};
