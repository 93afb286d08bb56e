// The fact probes' shell and parsers, run here with /bin/sh and GNU tar on scratch files
// (no host, no network): framed output, the tar reader, and the files probe's answer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { filesProbe } from '../../lib/facts/files.js';
import { framed, readFramed } from '../../lib/facts/framed.js';
import { osProbe } from '../../lib/facts/os.js';
import { usersProbe } from '../../lib/facts/users.js';
import { asUserInScript, userVariable } from '../../lib/formats/shell.js';
import { pgbackrestVersionProbe } from '../../lib/facts/host-keys.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { MAX_AGE_MS, readKnownVersion, rememberVersion } from '../../lib/facts/version-cache.js';
import { probeContext } from '../../lib/facts/probe.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { readTar } from '../../lib/facts/tar.js';
import { FIXTURES } from '../support/bsync.js';

const scratch = mkdtempSync(join(tmpdir(), 'bsync-probes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sh = (script: string, ...args: string[]) =>
  execFileSync('/bin/sh', ['-c', script, 'sh', ...args], { cwd: scratch });

/** GNU tar's archive of `names` (relative to the scratch folder), as the files probe makes it. */
function tarOf(names: string[], options: string[] = []): Buffer {
  return execFileSync('tar', ['-c', '--no-recursion', '-b', '1', ...options, '-f', '-', ...names], { cwd: scratch });
}

function put(name: string, content: string | Buffer): string {
  mkdirSync(join(scratch, name, '..'), { recursive: true });
  writeFileSync(join(scratch, name), content);
  return name;
}

const inventory = parseConfig(
  readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8').replace(/\{ file = "[^"]+" \}/g, '{ env = "S" }'),
  `${FIXTURES}lab/ssh.toml`,
  { S: 'a-stand-in-secret-0123456789' },
);
const ctxOf = (name: string) => {
  const host = inventory.hosts.find((candidate) => candidate.name === name)!;
  return probeContext(inventory, host, hostNeeds(inventory, host));
};

describe('framed', () => {
  it('keeps code, stdout (trailing newlines cut, as before) and stderr apart in one line each', () => {
    const out = sh(
      ['bsync_e=$1', framed(`printf 'a|b\\n\\n'; echo oops >&2; exit 3`), framed('true'), framed('echo only-out')].join(
        '\n',
      ),
      join(scratch, 'e'),
    ).toString();
    const lines = out.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map(readFramed)).toEqual([
      { code: 3, stdout: 'a|b', stderr: 'oops\n' },
      { code: 0, stdout: '', stderr: '' },
      { code: 0, stdout: 'only-out', stderr: '' },
      null,
    ]);
  });

  it('keeps the stderr limit, and runs the command when a script has no scratch file (stderr lost)', () => {
    const [long, bare] = sh(framed(`head -c 10000 /dev/zero | tr '\\0' x >&2; echo ran`), '')
      .toString()
      .split('\n')
      .map(readFramed);
    expect(long).toEqual({ code: 0, stdout: 'ran', stderr: '' });
    const limited = readFramed(
      sh(['bsync_e=$1', framed(`head -c 10000 /dev/zero | tr '\\0' x >&2`)].join('\n'), join(scratch, 'e2')).toString(),
    );
    expect(limited?.stderr).toBe('x'.repeat(4096));
    expect(bare).toBeNull();
  });

  it("leaves the script's shell alone: an exit in the command ends its subshell only", () => {
    expect(sh([framed('exit 4'), 'echo after'].join('\n')).toString()).toBe('F|4||\nafter\n');
  });
});

describe('readTar', () => {
  it('reads names, types and contents: long names, empty and binary files, `|` and newlines in names', () => {
    const long = put(`${'d'.repeat(90)}/${'f'.repeat(120)}.conf`, 'long\n');
    const binary = put('bin', Buffer.from([0, 255, 10, 13, 0x80, 0]));
    const empty = put('empty', '');
    const odd = put('a|b\nc', 'odd');
    mkdirSync(join(scratch, 'dir'), { recursive: true });
    const members = readTar(tarOf([long, binary, empty, odd, 'dir']));
    expect(members.map(({ name, type }) => [name, type])).toEqual([
      [long, '0'],
      ['bin', '0'],
      ['empty', '0'],
      ['a|b\nc', '0'],
      ['dir/', '5'],
    ]);
    expect(members[0].content.toString()).toBe('long\n');
    expect(members[1].content).toEqual(Buffer.from([0, 255, 10, 13, 0x80, 0]));
    expect(members[2].content.length).toBe(0);
  });

  it('reads the ustar prefix and pax path that other tars use for long names', () => {
    const name = put(`${'p'.repeat(120)}/${'q'.repeat(60)}`, 'x');
    for (const format of ['ustar', 'pax'])
      expect(readTar(tarOf([name], [`--format=${format}`])).map((member) => member.name)).toEqual([name]);
  });

  it('leaves out a file that went away before tar read it, and refuses a damaged archive', () => {
    const kept = put('kept', 'k');
    const archive = execFileSync('/bin/sh', ['-c', 'tar -c --no-recursion -b 1 -f - kept gone 2>/dev/null; true'], {
      cwd: scratch,
    });
    expect(readTar(archive).map((member) => member.name)).toEqual([kept]);
    const damaged = Buffer.from(archive);
    damaged[10] ^= 1;
    expect(() => readTar(damaged)).toThrow(/checksum/);
    expect(() => readTar(archive.subarray(0, 512))).toThrow(/cut short|no end/);
  });
});

describe('files probe', () => {
  const homes = 'H|postgres|/var/lib/post gres|x';
  const stat = (type: string, mode: string, name: string) => `S|${type}|postgres|postgres|${mode}|${name}`;

  /** The probe's answer: stat lines, and a tar of scratch files stored under host names. */
  function answer(stats: string[], contents: Record<string, string>): string {
    const names = Object.entries(contents).map(([hostName, content], index) => {
      put(`c${index}`, content);
      return [`c${index}`, hostName] as const;
    });
    const transforms = names.map(([local, hostName]) => `--transform=s,^${local}$,${hostName.replace(/,/g, '\\,')},`);
    const tar = names.length
      ? [
          `T|${tarOf(
            names.map(([local]) => local),
            ['-P', ...transforms],
          ).toString('base64')}`,
        ]
      : [];
    return [homes, ...stats, ...tar].join('\n');
  }

  it("matches answers to watched files by name, whatever their order, through each user's home", () => {
    const output = answer(
      [
        stat('regular file', '600', '/var/lib/post gres|x/.ssh/authorized_keys'),
        stat('directory', '755', '/etc/pgbackrest/'),
        stat('regular empty file', '640', '/etc/pgbackrest/pgbackrest.conf'),
        stat('regular file', '600', '/var/lib/post gres|x/.ssh/id_ed25519'),
        stat('symbolic link', '777', '/var/lib/post gres|x/.pgpass'),
      ],
      { '/var/lib/post gres|x/.ssh/authorized_keys': 'ssh-ed25519 AAAA key\n', '/etc/pgbackrest/pgbackrest.conf': '' },
    );
    const { files } = filesProbe.parse(output, ctxOf('ssh-pg1'));
    expect(Object.keys(files!)).toEqual(ctxOf('ssh-pg1').needs.files.map(({ path }) => path));
    expect(files!['~postgres/.ssh/authorized_keys']).toEqual({
      exists: true,
      kind: 'file',
      type: 'regular file',
      owner: 'postgres',
      group: 'postgres',
      mode: '0600',
      content: 'ssh-ed25519 AAAA key\n',
    });
    expect(files!['/etc/pgbackrest']).toMatchObject({ exists: true, kind: 'dir', mode: '0755' });
    expect(files!['/etc/pgbackrest/pgbackrest.conf']).toMatchObject({
      kind: 'file',
      type: 'regular empty file',
      content: '',
    });
    // A private key: that it exists, never what it holds; a link: never read.
    expect(files!['~postgres/.ssh/id_ed25519']).toEqual({
      exists: true,
      kind: 'file',
      type: 'regular file',
      owner: 'postgres',
      group: 'postgres',
      mode: '0600',
    });
    expect(files!['~postgres/.pgpass']).toEqual({
      exists: true,
      kind: 'other',
      type: 'symbolic link',
      owner: 'postgres',
      group: 'postgres',
      mode: '0777',
    });
    expect(files!['/etc/pgbackrest.conf']).toEqual({ exists: false });
  });

  it('reads a file that went away between stat and tar as empty, and a user without a home as absent files', () => {
    const { files } = filesProbe.parse(
      answer([stat('regular file', '644', '/etc/pgbackrest.conf')], {}),
      ctxOf('ssh-pg1'),
    );
    expect(files!['/etc/pgbackrest.conf']).toMatchObject({ exists: true, kind: 'file', content: '' });
    const missing = filesProbe.parse(
      ['H|backrest|~backrest', 'S|regular file|root|root|600|~backrest/.pgpass'].join('\n'),
      ctxOf('ssh-backup1'),
    );
    expect(missing.files!['~backrest/.pgpass']).toEqual({ exists: false });
  });

  it('is one stat and one tar, and valid /bin/sh', () => {
    const command = filesProbe.command(ctxOf('ssh-backup1'));
    expect(command.match(/\bstat\b/g)).toHaveLength(1);
    expect(command.match(/\btar\b/g)).toHaveLength(1);
    const contentList = command.split('\n').find((line) => line.includes('[ -f "$f" ]'));
    expect(contentList).toContain('authorized_keys');
    expect(contentList).not.toMatch(/id_ed25519(?!\.pub)/);
    execFileSync('/bin/sh', ['-n', '-c', command]);
  });
});

describe('pgbackrest version and its cache', () => {
  const ctx = ctxOf('ssh-pg1');
  const identity = '2049:131:1007952:1679937921:1796146157 2049:77:35051:1796146171:1796146171 ';
  const known = { ...ctx, knownPgbackrest: { identity, version: '2.45' } };
  const framedLine = (code: number, stdout: string, stderr: string) =>
    `F|${code}|${Buffer.from(stdout).toString('base64')}|${Buffer.from(stderr).toString('base64')}`;

  it('takes the remembered version only when the host answers K for the same binary', () => {
    expect(pgbackrestVersionProbe.parse(`I|${identity}\nK`, known)).toEqual({
      pgbackrestVersion: '2.45',
      pgbackrestIdentity: identity,
    });
    expect(pgbackrestVersionProbe.parse(`I|${identity}\nK`, ctx)).toMatchObject({
      pgbackrestVersion: null,
      pgbackrestProblem: 'no answer',
    });
    expect(pgbackrestVersionProbe.parse(`I|other\n${framedLine(0, 'pgBackRest 2.50\n', '')}`, known)).toEqual({
      pgbackrestVersion: '2.50',
      pgbackrestIdentity: 'other',
    });
  });

  it('still says when pgbackrest is not installed or does not run', () => {
    expect(pgbackrestVersionProbe.parse(`I|\n${framedLine(127, '', 'sh: 1: pgbackrest: not found\n')}`, known)).toEqual(
      { pgbackrestVersion: null, pgbackrestProblem: 'pgbackrest is not installed (command not found)' },
    );
    expect(
      pgbackrestVersionProbe.parse(
        `I|x\n${framedLine(127, '', 'error while loading shared libraries: libssl.so.3\n')}`,
        known,
      ),
    ).toEqual({
      pgbackrestVersion: null,
      pgbackrestProblem: 'pgbackrest version exited 127: error while loading shared libraries: libssl.so.3',
    });
  });

  it('runs pgbackrest only when the identity differs from the remembered one', () => {
    const run = (context: typeof ctx) =>
      sh(`PATH=${scratch}/tools bsync_e=${scratch}/e3\n${pgbackrestVersionProbe.command(context)}`).toString();
    put('tools/pgbackrest', '#!/bin/sh\necho "pgBackRest 9.9"\n');
    // Only what the probe needs besides pgbackrest: a host where it is not on PATH is one step away.
    // runuser: the probe runs pgbackrest as nobody, who must reach the stand-in.
    sh(
      'chmod +x tools/pgbackrest && chmod 0755 . tools && for t in stat base64 head runuser; do ln -s "$(command -v $t)" tools/$t; done',
    );
    const first = run(ctx);
    const seen = pgbackrestVersionProbe.parse(first.trim(), ctx);
    expect(seen).toMatchObject({ pgbackrestVersion: '9.9' });
    expect(
      run({ ...ctx, knownPgbackrest: { identity: seen.pgbackrestIdentity!, version: '9.9' } }).split('\n')[1],
    ).toBe('K');
    expect(run({ ...ctx, knownPgbackrest: { identity: 'another', version: '9.9' } }).split('\n')[1]).toMatch(/^F\|0\|/);
    rmSync(join(scratch, 'tools/pgbackrest'));
    expect(pgbackrestVersionProbe.parse(run(known).trim(), known)).toMatchObject({
      pgbackrestProblem: 'pgbackrest is not installed (command not found)',
    });
  });

  it('keeps successes per host, atomically; a corrupt, old or missing cache means asking again', () => {
    const env = { XDG_CACHE_HOME: join(scratch, 'cache') };
    const host = inventory.hosts[0];
    const facts = (version: string | null) =>
      ({ pgbackrestVersion: version, pgbackrestIdentity: identity }) as HostFacts;
    expect(readKnownVersion(inventory, host, 1000, env)).toBeUndefined();
    rememberVersion(inventory, host, facts(null), undefined, 1000, env);
    expect(readKnownVersion(inventory, host, 1000, env)).toBeUndefined();
    rememberVersion(inventory, host, facts('2.45'), undefined, 1000, env);
    expect(readKnownVersion(inventory, host, 2000, env)).toEqual({ identity, version: '2.45' });
    expect(readKnownVersion(inventory, inventory.hosts[1], 2000, env)).toBeUndefined();
    expect(readKnownVersion(inventory, host, 1000 + MAX_AGE_MS, env)).toBeUndefined();
    const dir = join(scratch, 'cache/bsync/pgbackrest-version');
    expect(readdirSync(dir)).toHaveLength(1);
    writeFileSync(join(dir, readdirSync(dir)[0]), '{"identity": 1');
    expect(readKnownVersion(inventory, host, 2000, env)).toBeUndefined();
  });
});

describe("os and users probes, with the shell's builtins", () => {
  it('reads os-release as written, quoted or not, without running it', () => {
    put(
      'os-release',
      'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID=\'9.4\'\nPRETTY_NAME=$(touch ran)\n',
    );
    const output = sh(
      osProbe.command(ctxOf('ssh-pg1')).replace('/etc/os-release', join(scratch, 'os-release')),
    ).toString();
    expect(osProbe.parse(output.trim(), ctxOf('ssh-pg1')).os).toMatchObject({
      id: 'rocky',
      versionId: '9.4',
      family: 'rhel',
    });
    expect(() => readFileSync(join(scratch, 'ran'))).toThrow();
  });

  it("leaves each user's primary group id for asUserInScript, which falls back to runuser without it", () => {
    const backup = ctxOf('ssh-backup1');
    const script = `getent() { echo 'backrest:x:998:997:,,,:/home/backrest:/bin/bash'; }\nid() { echo backrest; }\n${usersProbe.command(backup)}\necho "$${userVariable('gid', 'backrest')} $${userVariable('shell', 'backrest')}"`;
    expect(sh(script).toString().trim().split('\n').at(-1)).toBe('997 /bin/bash');
    expect(userVariable('gid', 'pg-user')).toBe('bsync_gid_pg_2duser');
    expect(asUserInScript('postgres', 'true')).toMatch(
      /^if \[ -n "\$bsync_gid_postgres" \] && command -v setpriv >\/dev\/null; then HOME=~postgres USER=postgres LOGNAME=postgres SHELL="\$bsync_shell_postgres" setpriv --reuid=postgres --regid="\$bsync_gid_postgres" --init-groups \/bin\/sh -c .* else runuser -u postgres /,
    );
    expect(asUserInScript('root', 'true')).toBe('true');
  });
});
