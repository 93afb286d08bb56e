// How a probe hands back what a command printed: its exit code, stdout and stderr each in
// a base64 field of one line. stderr (libpq's WARNINGs, NOTICEs, Python's warnings) is
// kept for messages and never mixed into what is parsed as data.
import { HostError } from '../errors.js';
import type { ProbeContext } from './probe.js';
import { redactHostText } from './redact.js';

export interface FramedOutput {
  code: number;
  stdout: string;
  stderr: string;
}

const STDERR_LIMIT = 4096;

/**
 * A script that runs framed commands keeps their stderr in one scratch file, `$bsync_e`:
 * FRAMED_SETUP makes it (or the script's runner hands it over), FRAMED_DONE removes it.
 */
export const FRAMED_SETUP = 'bsync_e=$(mktemp) || bsync_e=/dev/null';
export const FRAMED_DONE = '[ "$bsync_e" = /dev/null ] || rm -f "$bsync_e"';

/**
 * A /bin/sh snippet that runs `command` (stdin closed, in a subshell) and prints one line
 * `F|code|b64(stdout)|b64(stderr)`. Each fork counts on the host: an empty field costs
 * no base64, and the line is printed piece by piece instead of through a subshell.
 */
export function framed(command: string): string {
  return [
    // Without a scratch file stderr is lost, but the command still runs.
    ': "${bsync_e:=/dev/null}"',
    `bsync_o=$( { ${command}\n} 2>"$bsync_e" </dev/null ); bsync_c=$?`,
    `printf 'F|%s|' "$bsync_c"; [ -z "$bsync_o" ] || printf '%s' "$bsync_o" | base64 -w0; printf '|'; [ ! -s "$bsync_e" ] || head -c ${STDERR_LIMIT} "$bsync_e" | base64 -w0; echo`,
  ].join('\n');
}

/** After framed()'s snippet, the shell variable holding the command's stdout (for a later command of the same script). */
export const FRAMED_STDOUT_NAME = 'bsync_o';

const decode = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** The framed line back as data, or null when the line is not one. */
export function readFramed(line: string | undefined): FramedOutput | null {
  const match = /^F\|(\d+)\|([A-Za-z0-9+/=]*)\|([A-Za-z0-9+/=]*)$/.exec((line ?? '').trim());
  if (!match) return null;
  return { code: Number(match[1]), stdout: decode(match[2]), stderr: decode(match[3]) };
}

/** The first line worth showing of what a command printed, shortened. */
export function firstLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((entry) => entry.trim())
      .find((entry) => entry !== '') ?? '(nothing)';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** A probe whose answer cannot be read: `HOST: probe NAME: expected X, received: first line`. */
export function probeError(ctx: ProbeContext, probe: string, expected: string, received: string): HostError {
  // What came may be a file's content or a server's settings: its secrets stay out of the message.
  return new HostError(
    ctx.host.name,
    `probe ${probe}: expected ${expected}, received: ${firstLine(redactHostText(received))}`,
    {
      hint: 'bsync read nothing from this host as data that it could not parse; fix what the host printed, or report it.',
    },
  );
}

/** The framed answer of a probe's command, or a probe error naming what was expected. */
export function requireFramed(line: string | undefined, ctx: ProbeContext, probe: string, what: string): FramedOutput {
  const result = readFramed(line);
  if (!result) throw probeError(ctx, probe, `one framed line from ${what}`, line ?? '');
  return result;
}

/** Parses JSON a command printed, or fails as a probe error that quotes what came instead. */
export function parseJsonOutput<T>(text: string, ctx: ProbeContext, probe: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw probeError(ctx, probe, `JSON from ${what}`, text);
  }
}
