// Durations in the config ([alert]): a number and a unit, several in a row ("1d12h"), as
// the schema's duration pattern takes them; seconds inside bsync, and back to words in messages.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "1d12h" → 129600. The schema has checked the spelling: this is only ever given a good one. */
export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, count, unit] of text.matchAll(/([0-9]+)([smhdw])/g)) total += Number(count) * UNIT_SECONDS[unit];
  return total;
}

/** 129600 → "1d12h": the largest units first, to the second, as the config would write it. */
export function durationText(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_SECONDS[unit];
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}
