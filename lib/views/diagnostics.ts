// A diagnostic as a line for the person watching (progress, on stderr in both views): its
// severity first, then where it is (the config's place, or the host), the hint below.
import type { Diagnostic } from '../diagnostics.js';

export function diagnosticLine(diagnostic: Diagnostic): string {
  const place = diagnostic.where ?? diagnostic.host;
  const head = `${diagnostic.severity}: ${place !== undefined ? `${place}: ` : ''}${diagnostic.message}`;
  return diagnostic.hint ? `${head}\n  ${diagnostic.hint}` : head;
}
