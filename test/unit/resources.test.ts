import { describe, expect, it } from 'vitest';
import { Secret } from '../../lib/config/inventory.js';
import { mergeLines } from '../../lib/resources/managed-lines.js';
import { editPostgresqlConf } from '../../lib/resources/pg-settings.js';
import { desiredAuthorizedKeys, desiredKnownHosts } from '../../lib/resources/ssh-trust.js';
import { redactPgpass } from '../../lib/formats/pgpass.js';
import { desiredPgpass } from '../../lib/resources/pgpass.js';
import { desiredHba } from '../../lib/resources/pg-hba.js';
import { desiredCrontab } from '../../lib/resources/crontab.js';
import { PGBACKREST_CONF } from '../../lib/facts/paths.js';
import { redactFile } from '../../lib/facts/redact.js';
import { renderConf } from '../../lib/resources/pgbackrest-conf.js';
import { scramMatches, scramVerifier } from '../../lib/resources/scram.js';
import { displayText, knownText } from '../../lib/resources/types.js';

describe('lines bsync shares with the operator', () => {
  it('keeps other lines in place, replaces its own stale line, adds the missing one once', () => {
    const current =
      'ssh-ed25519 AAAAhand admin@laptop\nno-agent-forwarding,no-X11-forwarding,no-port-forwarding ssh-ed25519 AAAAold bsync:postgres@pg1\n';
    const desired = desiredAuthorizedKeys(current, [{ key: 'ssh-ed25519 AAAAnew', owner: 'postgres@pg1' }]);
    expect(knownText(desired)).toBe(
      'ssh-ed25519 AAAAhand admin@laptop\nno-agent-forwarding,no-X11-forwarding,no-port-forwarding ssh-ed25519 AAAAnew bsync:postgres@pg1\n',
    );
    expect(
      knownText(desiredAuthorizedKeys(knownText(desired)!, [{ key: 'ssh-ed25519 AAAAnew', owner: 'postgres@pg1' }])),
    ).toBe(knownText(desired));
  });

  it('counts a key added by hand as present', () => {
    const current = 'ssh-ed25519 AAAAsame someone\n';
    expect(knownText(desiredAuthorizedKeys(current, [{ key: 'ssh-ed25519 AAAAsame', owner: 'postgres@pg1' }]))).toBe(
      current,
    );
  });

  it('shows a key that does not exist yet as known after apply', () => {
    const desired = desiredAuthorizedKeys(undefined, [
      {
        key: { ref: 'pg1.ssh_keypair[postgres]', output: 'publicKey', label: 'public key of postgres@pg1' },
        owner: 'postgres@pg1',
      },
    ]);
    expect(knownText(desired)).toBeNull();
    expect(displayText(desired)).toContain('(known after apply: public key of postgres@pg1)');
  });

  it('writes one known_hosts line per host key with the peer name and address', () => {
    const desired = desiredKnownHosts('other ssh-rsa AAAA\n', [
      { names: ['backup1', '10.0.0.9'], keys: ['ssh-ed25519 AAAAk1', 'ecdsa-sha2-nistp256 AAAAk2'] },
    ]);
    expect(knownText(desired)).toBe(
      'other ssh-rsa AAAA\nbackup1,10.0.0.9 ssh-ed25519 AAAAk1 bsync\nbackup1,10.0.0.9 ecdsa-sha2-nistp256 AAAAk2 bsync\n',
    );
  });

  it('replaces the backup role line of .pgpass instead of appending a second one', () => {
    const current = 'db:5432:*:app:apppw\nlocalhost:5432:*:backrest:oldpw\n';
    const desired = desiredPgpass(
      current,
      [{ host: 'localhost', port: 5432 }],
      'backrest',
      new Secret('new:pw', 'test'),
    ).template;
    expect(knownText(desired)).toBe('db:5432:*:app:apppw\nlocalhost:5432:*:backrest:new\\:pw\n');
    expect(displayText(desired)).not.toContain('new');
    expect(redactPgpass(knownText(desired)!)).toBe(
      'db:5432:*:app:(sensitive)\nlocalhost:5432:*:backrest:(sensitive)\n',
    );
  });

  it('puts hba rules before the first rule so nothing shadows them', () => {
    const current = '# comment\nlocal all postgres peer\nhost all all 0.0.0.0/0 reject\n';
    expect(knownText(desiredHba(current, 'backrest', [{ address: '10.0.0.9' }]).template)).toBe(
      '# comment\nhost    postgres,replication    backrest    10.0.0.9/32    scram-sha-256    # bsync\nlocal all postgres peer\nhost all all 0.0.0.0/0 reject\n',
    );
  });

  it('keeps cron lines it did not write and finds its own by marker', () => {
    const current =
      'MAILTO=ops\n0 1 * * * /usr/local/bin/vacuum.sh\n1 1 * * 0 pgbackrest --stanza=s1 --type=full backup # bsync:full:s1\n';
    const desired = desiredCrontab(
      current,
      [
        { schedule: '10 0 * * 0', command: 'pgbackrest --stanza=s1 --type=full backup', id: 'full:s1' },
        { schedule: '10 0 * * 1-6', command: 'pgbackrest --stanza=s1 --type=diff backup', id: 'diff:s1' },
      ],
      's1',
    ).template;
    expect(knownText(desired)).toBe(
      'MAILTO=ops\n0 1 * * * /usr/local/bin/vacuum.sh\n10 0 * * 0 pgbackrest --stanza=s1 --type=full backup # bsync:full:s1\n10 0 * * 1-6 pgbackrest --stanza=s1 --type=diff backup # bsync:diff:s1\n',
    );
  });

  it('merges into an empty file', () => {
    expect(knownText(mergeLines(undefined, { isOurs: () => false, wanted: [{ line: ['a'] }] }))).toBe('a\n');
  });
});

describe('postgresql.conf edits', () => {
  it('replaces the last active line, comments earlier ones, appends missing settings, and is stable', () => {
    const current = '#archive_mode = off\narchive_mode = off\nwork_mem = 4MB\narchive_mode=off\n';
    const edited = editPostgresqlConf(current, {
      archive_mode: 'on',
      archive_command: 'pgbackrest --stanza=s archive-push %p',
    });
    expect(edited).toBe(
      "#archive_mode = off\n#archive_mode = off\t# bsync: superseded below\nwork_mem = 4MB\narchive_mode = 'on'\t# bsync\narchive_command = 'pgbackrest --stanza=s archive-push %p'\t# bsync\n",
    );
    expect(
      editPostgresqlConf(edited, { archive_mode: 'on', archive_command: 'pgbackrest --stanza=s archive-push %p' }),
    ).toBe(edited);
  });

  it('doubles single quotes in values', () => {
    expect(editPostgresqlConf('', { restore_command: "a 'b'" })).toBe("restore_command = 'a ''b'''\t# bsync\n");
  });
});

describe('pgbackrest.conf', () => {
  it('renders sections in order and hides secrets when shown', () => {
    const text = displayText(
      renderConf([
        {
          name: 'global',
          options: [
            ['repo1-path', '/r'],
            ['repo1-cipher-pass', { secret: new Secret('hunter2', 't') }],
          ],
        },
        { name: 's1', options: [['pg1-port', 5432]] },
      ]),
    );
    expect(text).toContain('[global]\nrepo1-path=/r\nrepo1-cipher-pass=(sensitive)\n\n[s1]\npg1-port=5432\n');
    expect(redactFile(PGBACKREST_CONF, 'repo1-cipher-pass=abc\nrepo2-s3-key-secret = xyz\nrepo1-path=/r')).toBe(
      'repo1-cipher-pass=(sensitive)\nrepo2-s3-key-secret = (sensitive)\nrepo1-path=/r',
    );
  });
});

describe('SCRAM verifiers', () => {
  it('accepts the password it was made from and nothing else', () => {
    const verifier = scramVerifier('s3cret');
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[^$]+\$[^:]+:.+$/);
    expect(scramMatches(verifier, 's3cret')).toBe(true);
    expect(scramMatches(verifier, 's3cret2')).toBe(false);
    expect(scramMatches('md5abcdef', 's3cret')).toBe(false);
    expect(scramMatches(null, 's3cret')).toBe(false);
  });
});
