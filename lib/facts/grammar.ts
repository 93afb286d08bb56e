// The grammars of what hosts report: each value a host hands bsync that may reach a
// command, a file or another host is one of these, or it is not taken. A grammar is a
// test and the words that say what it expects, for the error that names host and fact.

export interface Grammar {
  /** What a person reads after "expected": `a PostgreSQL major version (digits)`. */
  expected: string;
  test(value: string): boolean;
}

const matching = (pattern: RegExp, expected: string, maxLength = 256): Grammar => ({
  expected,
  test: (value) => value.length <= maxLength && pattern.test(value),
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a line must not hold
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * An absolute path as bsync will put it in commands, pgbackrest.conf and cron lines: the
 * characters real installations use, no `..` step, no control character, no quote.
 */
export const ABSOLUTE_PATH: Grammar = {
  expected: 'an absolute path of letters, digits and . _ + @ : , = ~ % - / (no quotes, no control characters, no ..)',
  test: (value) =>
    value.length <= 1024 && /^\/[A-Za-z0-9._+@:,=~%/ -]*$/.test(value) && !/(^|\/)\.\.(\/|$)/.test(value),
};

/** A file or folder path, or the empty string a server that does not answer reports. */
export const PATH_OR_EMPTY: Grammar = {
  expected: `${ABSOLUTE_PATH.expected}, or nothing`,
  test: (value) => value === '' || ABSOLUTE_PATH.test(value),
};

/** An OS user or group name as `getent` and `stat` print it (stat says UNKNOWN for an id without a name). */
export const ACCOUNT_NAME = matching(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'an OS user or group name', 64);

/** A name of the kind PostgreSQL, Patroni and systemd give things: letters, digits, `_ . @ -`. */
export const NAME = matching(/^[A-Za-z0-9_.@-]+$/, 'a name of letters, digits and _ . @ -', 128);

/** Words as PostgreSQL and Patroni print a state: `configuration file`, `Sync Standby`. */
export const WORDS = matching(/^[A-Za-z0-9_ -]*$/, 'words of letters, digits, spaces, _ and -', 128);

/** `/etc/os-release` values bsync reads (ID, ID_LIKE words, VERSION_ID). */
export const OS_WORD = matching(/^[A-Za-z0-9._~ -]*$/, 'an os-release word', 128);

export const OCTAL_MODE = matching(/^[0-7]{4}$/, 'four octal digits (0640)', 4);

/** PostgreSQL's major version as pgBackRest writes it: `15`, or `9.6` before PostgreSQL 10. */
export const PG_MAJOR = matching(/^[0-9]{1,3}(\.[0-9]{1,2})?$/, 'a PostgreSQL major version (15, or 9.6)', 6);

/** pgBackRest's own version: `2.45`, `2.55.1`, `2.60dev`. */
export const PGBACKREST_VERSION = matching(
  /^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,3})?(dev)?$/,
  'a pgBackRest version (2.55.1)',
  16,
);

/** A backup label as pgBackRest makes it: a full, or a diff or incr on top of its full. */
export const BACKUP_LABEL = matching(
  /^[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?$/,
  'a pgBackRest backup label (20261207-112624F, or …F_20261207-112624I)',
  40,
);

export const BACKUP_TYPE = matching(/^(full|diff|incr)$/, 'full, diff or incr', 4);

/** A WAL position as PostgreSQL prints it. */
export const LSN = matching(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'a WAL position (0/3000060)', 17);

/** A WAL segment name (24 hex digits), as info's archive range and the backups' start and stop give it. */
export const WAL_SEGMENT = matching(/^[0-9A-F]{24}$/, 'a WAL segment name (24 hex digits)', 24);

/** A file the archiver names: a segment, a partial one, a backup's history file or a timeline's. */
export const WAL_FILE = matching(
  /^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/,
  'a WAL file name',
  48,
);

export const DIGITS = matching(/^[0-9]{1,20}$/, 'digits', 20);

/** A cipher as pgbackrest info reports a repository's. */
export const CIPHER = matching(/^[a-z0-9-]+$/, 'a cipher name (aes-256-cbc, none)', 32);

/** A password verifier as pg_authid holds it: SCRAM-SHA-256 or md5, never clear text bsync would read. */
export const PASSWORD_VERIFIER = matching(
  /^(SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+|md5[0-9a-f]{32})$/,
  'a SCRAM-SHA-256 or md5 password verifier',
  512,
);

/** Exactly one OpenSSH public key, `type base64`, of a type OpenSSH makes. */
export const SSH_PUBLIC_KEY = matching(
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}$/,
  'one OpenSSH public key (type base64) on one line',
  16384,
);

/** A systemd unit of PostgreSQL's, as a postmaster's cgroup names it. */
export const SERVICE_UNIT = matching(/^postgresql[A-Za-z0-9@._-]*\.service$/, 'a postgresql*.service unit', 128);

/** A host as Patroni lists a member: a name or an address, with a port after a colon or none. */
export const MEMBER_HOST = matching(/^[A-Za-z0-9._:[\]-]*$/, 'a host name or address', 256);

/** The stat binary's identity (`dev:inode:size:mtime:ctime` of pgbackrest and ld.so.cache). */
export const STAT_IDENTITY = matching(/^[0-9: ]*$/, 'stat numbers', 256);

/** A single line of text, shown (escaped) but never obeyed: no line break inside. */
export const ONE_LINE: Grammar = {
  expected: 'one line of text',
  test: (value) => value.length <= 65536 && !CONTROL.test(value.replace(/\t/g, ' ')),
};

/**
 * Text that is data only: file contents, what a server's configuration says, a message.
 * It is read by its owner's rules (an INI reader, a .pgpass reader) or shown escaped, never
 * put into a command; a NUL would be cut short by every C program that handles it.
 */
export const TEXT: Grammar = { expected: 'text without NUL characters', test: (value) => !value.includes('\u0000') };

/** Exactly this word. */
export const matchingWord = (word: string): Grammar => ({
  expected: JSON.stringify(word),
  test: (value) => value === word,
});

const pem = (label: string): Grammar =>
  matching(
    new RegExp(`^-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+\\n-----END ${label}-----$`),
    `one PEM ${label.toLowerCase()}`,
    65536,
  );

/** What openssl prints of a key's public half, and of a certificate. */
export const PEM_PUBLIC_KEY = pem('PUBLIC KEY');
export const PEM_CERTIFICATE = pem('CERTIFICATE');

/** A passphrase bsync generated itself (base64 or hex), one line. */
export const GENERATED_SECRET = matching(/^[A-Za-z0-9+/=_-]{16,512}$/, 'a generated passphrase', 512);
