// A secret value that cannot leak by being printed; below lib/config, so lib/repositories,
// which config asks about each repository type, can name it too.

/**
 * A secret value. It prints as `(sensitive)` however it is printed (String, JSON,
 * util.inspect), so it cannot leak into plans or logs by accident; `reveal()` is the
 * one way to read it, used only where the value must reach a host through stdin.
 */
export class Secret {
  readonly #value: string;
  /** Where it came from, for messages: `env BSYNC_CIPHER`, `file /etc/x`, `inline`, `generated`. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '(sensitive)';
  }

  toJSON(): string {
    return '(sensitive)';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '(sensitive)';
  }
}
