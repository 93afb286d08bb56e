// How status reports a host's unix seconds: ISO 8601 times, and ages in whole seconds from `now`.

export const iso = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? null : new Date(Math.round(seconds * 1000)).toISOString();

export const age = (seconds: number | null | undefined, now: number) =>
  seconds === null || seconds === undefined ? null : Math.max(0, Math.round(now - seconds));
