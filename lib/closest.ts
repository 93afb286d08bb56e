// The nearest of some words to a misspelt one: config keys, pgBackRest options, and the
// command line's commands and options (did you mean ...?).

/** The option nearest to a misspelt word, when it is near enough to be a likely meant one. */
export function closest(word: string, options: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i += 1) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j += 1) {
        const current = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length];
  };
  const best = options
    .map((option) => ({ option, score: distance(word, option) }))
    .sort((a, b) => a.score - b.score)[0];
  return best && best.score <= Math.max(2, Math.floor(word.length / 3)) ? best.option : undefined;
}
