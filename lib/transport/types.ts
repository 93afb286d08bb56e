// What the rest of bsync sees of a host connection. Only lib/apply and lib/facts'
// gatherer hold one; resources and the planner never do.

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. Secrets and file contents go here, never in `command`. */
  stdin?: string | Buffer;
  /** Run as this OS user (root when absent). See lib/transport/shell.ts asUser. */
  user?: string;
  /** Each piece of stdout as it arrives (a long step's progress); the result still holds all of it. */
  onStdout?: (chunk: string) => void;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HostConnection {
  /** The host's name from the inventory, for messages. */
  readonly host: string;
  /** Runs a /bin/sh command line on the host, as root (through sudo when the SSH user is not root) or as options.user. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): void;
}
