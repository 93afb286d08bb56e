// What stands in a secret's place wherever bsync shows text: `(sensitive)` (DESIGN.md §1).
// A mask gets the secret's value as its file writes it and gives what is shown instead.
import { randomBytes } from 'node:crypto';

export type Mask = (value: string) => string;

export const SENSITIVE = '(sensitive)';

/** What a plan already shows in a secret's place: a secret of the config, or one made during apply. */
const isPlaceholder = (value: string) => value === SENSITIVE || value === '(sensitive, known after apply)';

/** `(sensitive)` for every value but an empty one and a placeholder, which stay as they are. */
export const hide: Mask = (value) => (value === '' || isPlaceholder(value) ? value : SENSITIVE);

/**
 * A mask for the two sides of a diff: equal secrets get the same mark and different ones
 * different marks, so a line whose secret changed is still a changed line; `unmark` turns
 * every mark into `(sensitive)` before anything is shown. The marks name no secret (a
 * number, after a random word no host can guess and write into a file).
 */
export function markingMask(): { mask: Mask; unmark(text: string): string } {
  const word = randomBytes(8).toString('hex');
  const prefix = `(sensitive#${word}#`;
  const marked = new RegExp(`\\(sensitive#${word}#\\d+\\)`, 'g');
  const marks = new Map<string, string>();
  const mask: Mask = (value) => {
    if (value === '' || isPlaceholder(value) || value.startsWith(prefix)) return value;
    if (!marks.has(value)) marks.set(value, `${prefix}${marks.size})`);
    return marks.get(value)!;
  };
  return { mask, unmark: (text) => text.replace(marked, SENSITIVE) };
}
