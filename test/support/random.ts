// A seeded pseudo-random generator (mulberry32) for tests that try many made-up inputs:
// the same sequence every run, so a failure can be run again.

/** `random(n)`: a whole number from 0 to n - 1, from the sequence of `seed`. */
export function seededRandom(seed = 20261201): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}
