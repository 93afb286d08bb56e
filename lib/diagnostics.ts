// Diagnostics are values: planning returns the errors, warnings and notes it found beside
// what it could plan, instead of throwing at the first one. The caller decides what an
// error means (the declared state: its failure; a restore: a host that is down, which the
// restore brings back). It sits beside errors.ts, below lib/desired, which returns them.
import { BsyncError, HostError } from './errors.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** What would be right, or what to do next. */
  hint?: string;
  /** The host the diagnostic is about, where one is. */
  host?: string;
  /** The resource it is about (`host.kind[name]`), where one is. */
  address?: string;
  /** Where in the config the problem is (`file: key path`); absent when it is the host's state. */
  where?: string;
}

/**
 * An error diagnostic made from a BsyncError or HostError, which `errorOf` gives back as it
 * was (message, where, hint, hosts): undefined for an error it could not give back so.
 */
export function diagnosticOf(error: unknown): Diagnostic | undefined {
  if (error instanceof HostError && error.constructor === HostError && error.where === error.host)
    return withoutUndefined({ severity: 'error', message: error.message, hint: error.hint, host: error.host });
  if (!(error instanceof BsyncError) || error.constructor !== BsyncError) return undefined;
  const hosts = error.hosts ?? [];
  // A host with no place in the config reads back as a HostError: only a config's error may name one.
  if (hosts.length > 1 || (hosts.length === 1 && error.where === undefined)) return undefined;
  return withoutUndefined({
    severity: 'error',
    message: error.message,
    hint: error.hint,
    host: hosts[0],
    where: error.where,
  });
}

/** The error a diagnostic stands for: a HostError for a host's state, else a BsyncError where the config says. */
export function errorOf(diagnostic: Diagnostic): BsyncError {
  const { message, hint, host, where } = diagnostic;
  if (host !== undefined && where === undefined) return new HostError(host, message, { hint });
  return new BsyncError(message, { where, hint, hosts: host === undefined ? undefined : [host] });
}

/** An error diagnostic about a host's own state (a HostError's), not about the config. */
export function aboutHostState(diagnostic: Diagnostic): diagnostic is Diagnostic & { host: string } {
  return diagnostic.severity === 'error' && diagnostic.host !== undefined && diagnostic.where === undefined;
}

/** A warning: what does not stop bsync but is worth telling (an inline secret, two backups at one minute). */
export function warning(message: string): Diagnostic {
  return { severity: 'warning', message };
}

/** The first error, in the order planning found them, or undefined. */
export function firstError(diagnostics: readonly Diagnostic[]): Diagnostic | undefined {
  return diagnostics.find((diagnostic) => diagnostic.severity === 'error');
}

/** Collects diagnostics in the order they are found. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(diagnostic: Diagnostic): void {
    this.list.push(diagnostic);
  }

  /**
   * What `plan` returns, or undefined with its error collected when it throws a BsyncError
   * a diagnostic can hold; any other exception (a bug) goes on up.
   */
  attempt<T>(plan: () => T): T | undefined {
    try {
      return plan();
    } catch (error) {
      const diagnostic = diagnosticOf(error);
      if (!diagnostic) throw error;
      this.add(diagnostic);
      return undefined;
    }
  }
}

function withoutUndefined(diagnostic: Diagnostic): Diagnostic {
  return Object.fromEntries(Object.entries(diagnostic).filter(([, value]) => value !== undefined)) as Diagnostic;
}
