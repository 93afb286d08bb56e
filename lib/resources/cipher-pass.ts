// cipher_pass: a repository passphrase that exists only once apply makes it. Its one step
// runs on the controller (the machine running bsync), not on a host: the passphrase is
// random (never derived from names) and is kept in the operator's store, complete or not
// at all, before any host is given it; the hosts' pgbackrest.conf reads it as this
// resource's `value` output. Decided from the config only, so it needs no facts.
import { join } from 'node:path';
import { shq } from '../formats/shell.js';
import { GENERATED_SECRET } from '../facts/grammar.js';
import type { Change } from './types.js';

/** Where the local copy of a stanza repository's passphrase lives: <stanza>.cipher_pass, <stanza>.repoN.cipher_pass for N > 1. */
export function storedPassPath(store: string, stanza: string, repoKey: number): string {
  return join(store, repoKey === 1 ? `${stanza}.cipher_pass` : `${stanza}.repo${repoKey}.cipher_pass`);
}

/**
 * Makes 48 random bytes as base64url (64 characters: nothing a shell, cron or pgBackRest's
 * INI reader treats specially), writes them to a temporary file in the store (0600, folders
 * 0700), syncs it, and links it into place: the link fails when a passphrase is already
 * kept there, so one is never replaced. The value leaves through stdout only.
 */
function generatePassphraseCommand(keepAt: string): string {
  const exists = `$f exists already: plan again, bsync then uses the passphrase kept there`;
  return [
    'umask 077',
    `f=${shq(keepAt)}`,
    'd=$(dirname -- "$f")',
    't="$f.$$.tmp"',
    `fail() { rm -f -- "$t"; echo "cannot keep the generated passphrase in $f: $1; nothing was generated for the hosts" >&2; exit 1; }`,
    `if [ -e "$f" ]; then echo "${exists}" >&2; exit 1; fi`,
    'mkdir -p -- "$d" || fail "cannot make the folder $d"',
    `{ head -c 48 /dev/urandom | base64 | tr -d '\\n=' | tr '+/' '-_' && echo; } >"$t" || fail "cannot write $t"`,
    '[ "$(wc -c <"$t")" -eq 65 ] || fail "the random source gave too little"',
    'sync -- "$t" 2>/dev/null || sync',
    `if ! ln -- "$t" "$f" 2>/dev/null; then rm -f -- "$t"; echo "${exists}" >&2; exit 1; fi`,
    'rm -f -- "$t"',
    'sync -- "$d" 2>/dev/null || sync',
    'cat -- "$f"',
  ].join('\n');
}

/**
 * A stanza repository with no passphrase anywhere: generate one into `store`, or, without a
 * store, a conflict (a passphrase that lives only on the hosts is lost with them).
 */
export function planGeneratedPassphrase(
  stanza: string,
  repoKey: number,
  store: string | undefined,
  withoutStore: string,
): Change {
  if (!store) return { action: 'create', conflict: withoutStore, steps: [] };
  const keepAt = storedPassPath(store, stanza, repoKey);
  return {
    action: 'create',
    reason: `no host of the stanza has a passphrase yet: a random one is generated and kept in ${keepAt} first`,
    fields: [{ name: 'value', after: '(sensitive)', sensitive: true }],
    steps: [
      {
        command: generatePassphraseCommand(keepAt),
        on: 'controller',
        capture: { output: 'value', grammar: GENERATED_SECRET },
        secret: true,
      },
    ],
  };
}
