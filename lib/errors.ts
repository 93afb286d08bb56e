// Errors are values with a message for a person: what went wrong, where, what to do.
// They are raised where the problem is found and printed once, at the CLI edge.

export class BsyncError extends Error {
  /** Where the problem is: a file, `file:line`, a key path, or a host name. */
  readonly where?: string;
  /** What would be right, or what to do next. */
  readonly hint?: string;
  /** Hosts the error is about, for machine output (--json). */
  readonly hosts?: string[];

  constructor(message: string, options: { where?: string; hint?: string; hosts?: string[] } = {}) {
    super(message);
    this.name = 'BsyncError';
    this.where = options.where;
    this.hint = options.hint;
    this.hosts = options.hosts;
  }

  /** The text printed for a person: `where: message (hint)`. */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  ${this.hint}` : head;
  }
}

/** A bad config file: names the file and the line or key path. */
export class ConfigError extends BsyncError {
  constructor(message: string, options: { where: string; hint?: string }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A host that cannot be reached, refused us, or failed a command. */
export class HostError extends BsyncError {
  readonly host: string;
  constructor(host: string, message: string, options: { hint?: string } = {}) {
    super(message, { where: host, hint: options.hint, hosts: [host] });
    this.name = 'HostError';
    this.host = host;
  }
}

/**
 * Every problem found in one config, raised at once so a person fixes them in one pass:
 * each a ConfigError of its own, in the order of the file's lines.
 */
export class ConfigErrors extends ConfigError {
  readonly errors: readonly ConfigError[];
  constructor(errors: ConfigError[], file: string) {
    super(`${errors.length} problems in the config`, { where: file });
    this.name = 'ConfigErrors';
    this.errors = errors;
  }

  /** One entry a line, each as it would read alone. */
  override describe(): string {
    return this.errors.map((error) => error.describe()).join('\n');
  }
}
