// A config's problems are collected, then raised together, sorted by line (as Terraform
// lists every error of a configuration): one run shows every mistake, not the first one.
import { ConfigError, ConfigErrors } from '../errors.js';
import { keyLines, type KeyLines } from './key-lines.js';

interface Problem {
  path: string;
  message: string;
  hint?: string;
  line?: number;
}

/** `host[*].zone` → ['host', '*', 'zone']: a key path's parts, table names and list indexes alike. */
function parts(path: string): string[] {
  return path.split(/\.|\[(\d+|\*)\]/).filter((part) => part !== undefined && part !== '');
}

/** One path lies at, inside or around the other (`*` stands for any index). */
function overlaps(a: string[], b: string[]): boolean {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i += 1) if (a[i] !== b[i] && a[i] !== '*' && b[i] !== '*') return false;
  return true;
}

/** Says whether none of the given key paths has a problem: a check reads only input that is sound. */
export type Sound = (...paths: string[]) => boolean;

export class ConfigProblems {
  readonly #file: string;
  readonly #text: string;
  /** Made at the first problem: a good config is never read for lines. */
  #lines?: KeyLines;
  readonly #found: Problem[] = [];

  constructor(file: string, text: string) {
    this.#file = file;
    this.#text = text;
  }

  /** A problem at a key path (as the file writes it: `host[2].zone`, `repo.s3.key`), with what would be right. */
  add(path: string, message: string, hint?: string): void {
    this.#lines ??= keyLines(this.#text);
    this.#found.push({ path, message, hint, line: path === '' ? undefined : this.#lines(path) });
  }

  /**
   * The problems found so far, frozen: checks run after it skip input it calls unsound, and
   * so do not report again what is already reported, nor trip over a value of the wrong shape.
   */
  sound(): Sound {
    const bad = this.#found.map((problem) => parts(problem.path));
    return (...paths) => paths.every((path) => !bad.some((problem) => overlaps(problem, parts(path))));
  }

  /** Raises what was found: one problem as a ConfigError, several as ConfigErrors, by line (those without one first). */
  raise(): void {
    if (this.#found.length === 0) return;
    const errors = this.#found
      .map((problem, order) => ({ ...problem, order }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.order - b.order)
      .map(
        (problem) =>
          new ConfigError(`${problem.path || '(top level)'}: ${problem.message}`, {
            where: problem.line === undefined ? this.#file : `${this.#file}:${problem.line}`,
            hint: problem.hint,
          }),
      );
    throw errors.length === 1 ? errors[0] : new ConfigErrors(errors, this.#file);
  }
}
