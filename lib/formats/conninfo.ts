// A libpq connection string (`key=value ...`, as primary_conninfo holds it): the one writer of
// values that come from the config or a host. libpq reads a value up to white space unless it
// is in single quotes, where `\` escapes the next character (conninfo_parse, fe-connect.c).
// bsync's own strings never carry a password: a passfile names where libpq finds it.

/** A value as libpq reads it back: bare when it is plain, else quoted with `\` and `'` escaped. */
export function conninfoValue(value: string): string {
  return /^[A-Za-z0-9_.:/@,+-]+$/.test(value) ? value : `'${value.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}

/** The connection string of these keywords, in order; a `password` keyword is refused (a bug: it would be written in clear). */
export function conninfo(fields: ReadonlyArray<readonly [string, string]>): string {
  if (fields.some(([key]) => key === 'password'))
    throw new Error('conninfo: a password never goes into a connection string bsync writes; use passfile');
  return fields.map(([key, value]) => `${key}=${conninfoValue(value)}`).join(' ');
}
