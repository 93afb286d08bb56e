// What both views show alike on stderr: progress lines, apply's progress, an error's message.
import { ApplyProgress } from './apply-progress.js';
import { describeError, errorEntries } from './error.js';
import type { Sink } from './sink.js';
import type { View } from './view.js';

export function stderrParts(
  sink: Sink,
): Pick<View, 'progress' | 'applyProgress'> & { errorLine(error: unknown): void } {
  return {
    progress: (message) => sink.progress(message),
    // Redrawn in place only when this run has the terminal to itself (one cluster).
    applyProgress: (actionsPerHost) =>
      new ApplyProgress(actionsPerHost, {
        live: sink.live && Boolean(process.stderr.isTTY),
        plain: (line) => sink.progress(line),
      }),
    errorLine: (error) => {
      for (const entry of errorEntries(error)) sink.progress(`bsync: error: ${describeError(entry)}`);
    },
  };
}
