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

  /** false for a secret a read-only command left unread (Secret.unread). */
  isRead(): boolean {
    return true;
  }

  /**
   * A secret a read-only command (status, check) left unread: where it would come from is
   * known, its value is not, and revealing it is a bug in bsync that says so.
   */
  static unread(keyPath: string, from: string): Secret {
    return new UnreadSecret(keyPath, from);
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

class UnreadSecret extends Secret {
  readonly #keyPath: string;

  constructor(keyPath: string, from: string) {
    super('', `${from} (not read)`);
    this.#keyPath = keyPath;
  }

  override isRead(): boolean {
    return false;
  }

  override reveal(): string {
    throw new Error(
      `bsync bug: ${this.#keyPath} was not read (a read-only command reads no secret), yet its value was asked for`,
    );
  }
}
