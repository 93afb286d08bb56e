// Every text that leaves bsync from a host (stderr of a failed step) passes here, so a
// secret that a tool echoed back never reaches the terminal or a log.
export class Redactor {
  readonly #secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 4) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length))
      result = result.split(secret).join('(sensitive)');
    return result;
  }
}
