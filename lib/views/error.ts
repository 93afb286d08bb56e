// An error as a person reads it and as machine output; the same for one cluster or many.
import { BsyncError } from '../errors.js';

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
