// Every text that leaves bsync from a host (stderr of a failed step) passes here, so a
// secret that a tool echoed back never reaches the terminal or a log: the config's secrets
// and those made during apply by value, and what any host holds by its shape (facts/redact.ts).
import { redactHostText } from '../facts/redact.js';

export class Redactor {
  readonly #secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 4) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length))
      result = result.split(secret).join('(sensitive)');
    return redactHostText(result);
  }
}
