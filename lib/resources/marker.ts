// bsync's mark on what it writes, spelt here only. Hosts in the field carry these bytes and
// bsync finds its own lines again by them: a new spelling would lose every line written so far.

/** The bare mark: known_hosts lines end with ` bsync`. */
export const MARK = 'bsync';

/** The comment that ends bsync's lines in postgresql.conf and pg_hba.conf: `# bsync`. */
export const COMMENT_MARK = `# ${MARK}`;

/** `bsync:<tag>`: a key pair's comment and the end of an authorized_keys line (`bsync:postgres@pg1`). */
export const tagged = (tag: string) => `${MARK}:${tag}`;

/** The comment that ends a cron job's line: `# bsync:full:<stanza>` (`# bsync:full-repo2:<stanza>` for repo2). */
export const cronMark = (id: string) => `${COMMENT_MARK}:${id}`;

/** The first line of pgbackrest.conf. */
export const CONF_HEADER = `# Managed by ${MARK}: edits here are reported as drift and replaced on apply.\n`;

/** How a line bsync wrote is told from the others. */
export const OURS = {
  knownHost: new RegExp(` ${MARK}$`),
  authorizedKey: new RegExp(` ${MARK}:\\S+$`),
  cronJob: new RegExp(`${COMMENT_MARK}:[a-z]+(-repo[0-9]+)?:\\S+$`),
};
