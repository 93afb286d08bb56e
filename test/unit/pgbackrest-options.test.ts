// pgBackRest's option tables (lib/pgbackrest-options/options-<series>.json) and which one a
// host's version is judged by; the config loader, which takes what any release takes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { ConfigError } from '../../lib/errors.js';
import {
  availability,
  commandNames,
  dependOf,
  lookupOption,
  optionInfos,
  RELEASES,
  tableFor,
} from '../../lib/pgbackrest-options/index.js';
import { FIXTURES } from '../support/bsync.js';

const [v2_45, v2_55] = RELEASES;
const byVersion = (version: string) => RELEASES.find((release) => release.version === version)!;
const ENV = { BSYNC_CIPHER: 'cipher-value-1234567890', BSYNC_BACKUP_PASSWORD: 'password-value-123456' };

describe('the tables', () => {
  it('are 2.45 to 2.60, oldest first: 2.45, 2.55 and 2.60 from the binaries’ own help, 2.56 to 2.59 from config.yaml alone', () => {
    expect(RELEASES.map((release) => release.version)).toEqual([
      '2.45',
      '2.55',
      '2.56',
      '2.57',
      '2.58',
      '2.59',
      '2.60',
    ]);
    expect(v2_45.source).toContain('`pgbackrest help` of pgBackRest 2.45;');
    expect(v2_55.source).toContain('`pgbackrest help` of pgBackRest 2.55.1;');
    expect(byVersion('2.60').source).toContain('`pgbackrest help` of pgBackRest 2.60.0;');
    expect(byVersion('2.60').source).toContain('config-2.60.0dev-bd22b6809.yaml: the development tree');
    for (const [version, file] of [
      ['2.56', 'config-2.56.0.yaml'],
      ['2.57', 'config-2.57.0.yaml'],
      ['2.58', 'config-2.58.0.yaml'],
      ['2.59', 'config-2.59.1.yaml'],
    ]) {
      expect(byVersion(version).source).toContain(`config.yaml of release ${version}`);
      expect(byVersion(version).source).toContain(file);
    }
    expect(Object.keys(v2_45.options)).toHaveLength(153);
    expect(Object.keys(v2_55.options)).toHaveLength(167);
    expect(Object.keys(byVersion('2.60').options)).toHaveLength(181);
  });

  it('each table after 2.55 differs from the one before it in its options (none is a copy)', () => {
    const names = (version: string) => Object.keys(byVersion(version).options).sort().join();
    const versions = RELEASES.map((release) => release.version);
    for (const [at, version] of versions.entries())
      if (at > 0) expect(names(version), version).not.toBe(names(versions[at - 1]));
  });

  it('the options the README names, each from its release: detail-level 2.56, repo-symlink 2.57, priority 2.58, allow-root 2.59, repo-storage-prefetch 2.60', () => {
    const first = (name: string) => RELEASES.find((release) => release.options[name])?.version;
    expect(
      [
        'detail-level',
        'repo-symlink',
        'priority',
        'oldest',
        'tls-cipher-13',
        'allow-root',
        'archive-push-batch-size',
      ].map(first),
    ).toEqual(['2.56', '2.57', '2.58', '2.58', '2.58', '2.59', '2.59']);
    expect(['repo-storage-prefetch', 'repo-storage-read-over', 'checksum-page-error'].map(first)).toEqual([
      '2.60',
      '2.60',
      '2.60',
    ]);
    // 2.60.0's binary has checksum-page-error, which the development tree at hand does not define.
    expect(byVersion('2.60').options['checksum-page-error']).toEqual({
      section: 'global',
      type: 'boolean',
      commands: ['backup', 'expire', 'restore'],
    });
    // stop-auto: 2.58's config.yaml no longer has it.
    expect(RELEASES.filter((release) => release.options['stop-auto']).map((release) => release.version)).toEqual([
      '2.45',
      '2.55',
      '2.56',
      '2.57',
    ]);
  });

  it('the cipher-pass 2.60 dropped is repo-get’s internal one, never in a table; repoN-cipher-pass stays', () => {
    for (const release of RELEASES) {
      expect(release.options['cipher-pass'], release.version).toBeUndefined();
      expect(release.options['repo-cipher-pass'], release.version).toMatchObject({ secure: true });
    }
  });

  it('compress-level ranges by compress-type in every table: 2.45’s and 2.55.1’s binaries, config.yaml from 2.56', () => {
    const ranges = { bz2: [1, 9], gz: [-1, 9], lz4: [-5, 12], zst: [-7, 22] };
    for (const release of RELEASES)
      expect(release.options['compress-level'].by, release.version).toMatchObject({ option: 'compress-type', ranges });
    expect(v2_45.source).toContain('each edge checked against the binary');
    expect(byVersion('2.56').options['compress-level'].by?.defaults).toEqual({ bz2: '9', gz: '6', lz4: '1', zst: '3' });
  });

  it('upload chunk sizes: one range to 2.57, a range by repository type from 2.58', () => {
    expect(byVersion('2.57').options['repo-storage-upload-chunk-size']).toMatchObject({ min: '64KiB', max: '1TiB' });
    expect(byVersion('2.58').options['repo-storage-upload-chunk-size']).not.toHaveProperty('min');
    expect(byVersion('2.58').options['repo-storage-upload-chunk-size'].by).toMatchObject({
      option: 'repo-type',
      ranges: { azure: ['4MiB', '1GiB'], gcs: ['4MiB', '1GiB'], s3: ['5MiB', '1GiB'] },
    });
  });

  it('2.55’s values are those 2.55.1 takes: no s3 key-type pod-id, no azure key-type auto (2.58’s)', () => {
    expect(v2_55.source).toContain('repo-azure-key-type=auto, repo-s3-key-type=pod-id');
    expect(v2_55.options['repo-s3-key-type'].allowed).toEqual(['shared', 'auto', 'web-id']);
    expect(v2_55.options['repo-azure-key-type'].allowed).toEqual(['shared', 'sas']);
    expect(byVersion('2.58').options['repo-s3-key-type'].allowed).toContain('pod-id');
    expect(byVersion('2.59').options['repo-s3-key-type'].allowed).toContain('process');
  });

  it('2.55 has options 2.45 does not, which 2.45 knows only as later ones', () => {
    const added = Object.keys(v2_55.options).filter((name) => !v2_45.options[name]);
    expect(added).toEqual(
      expect.arrayContaining(['page-header-check', 'pg-version-force', 'repo-storage-tag', 'repo-target-time']),
    );
    expect(added).toHaveLength(19);
    expect(v2_45.later['page-header-check']).toBeDefined();
    expect(v2_55.options['page-header-check']).toMatchObject({ section: 'global', type: 'boolean', default: 'true' });
    expect(v2_55.options['pg-version-force']).toMatchObject({ section: 'stanza', type: 'string' });
  });

  it('2.55 no longer lists the repo-block-*-map options 2.45 listed (internal since)', () => {
    const gone = Object.keys(v2_45.options).filter((name) => !v2_55.options[name]);
    expect(gone).toEqual([
      'repo-block-age-map',
      'repo-block-checksum-size-map',
      'repo-block-size-map',
      'repo-block-size-super',
      'repo-block-size-super-full',
    ]);
    expect(v2_55.later['repo-block-size-map']).toBeUndefined();
  });

  it('records what changed: backup-standby became y/prefer/n, times are seconds in both', () => {
    expect(v2_45.options['backup-standby']).toMatchObject({ type: 'boolean', default: 'false' });
    expect(v2_55.options['backup-standby']).toMatchObject({
      type: 'string-id',
      boolLike: true,
      allowed: ['n', 'prefer', 'y'],
      default: 'n',
    });
    // 2.55's config.yaml writes 1m and [100ms, 31m]; the table holds seconds, as 2.45's.
    expect(v2_45.options['protocol-timeout']).toMatchObject({ min: 0.1, max: 604800, default: '1830' });
    expect(v2_55.options['protocol-timeout']).toMatchObject({ min: 0.1, max: 604800, default: '1860' });
    expect(v2_55.options['archive-timeout']).toMatchObject({ min: 0.1, max: 86400, default: '60' });
    expect(v2_55.options['compress-level-network']).toMatchObject({ min: -5, max: 12, default: '1' });
    // A range that depends on another option's value (compress-type) is left to pgBackRest.
    expect(v2_55.options['compress-level']).not.toHaveProperty('min');
  });

  it('the newer config.yaml’s options that 2.55.1’s help does not list are later ones', () => {
    expect(Object.keys(v2_55.later).sort()).toEqual([
      'detail-level',
      'oldest',
      'priority',
      'reference',
      'repo-symlink',
      'tls-cipher-12',
      'tls-cipher-13',
    ]);
  });
});

describe('the rules between options (depend, beta)', () => {
  it("2.45's list has them from 2.45's own config.yaml", () => {
    expect(v2_45.options['repo-block']).toMatchObject({
      depend: { option: 'repo-bundle', list: ['true'] },
      beta: true,
    });
    expect(v2_45.options['repo-hardlink'].depend).toEqual({ option: 'repo-bundle', list: ['false'] });
    expect(v2_45.options['repo-storage-tag']).toBeUndefined();
    expect(v2_45.options['repo-host-cert-file'].depend).toEqual({ option: 'repo-host-type', list: ['tls'] });
  });

  it("2.55's list has them asked of the 2.55.1 binary: block incremental is no beta there, 2.55's new options have rules", () => {
    expect(v2_55.source).toContain("its rules (depend, beta) asked of pgBackRest 2.55.1's own binary");
    expect(v2_55.source).toContain('4143a01dba71c12aab93e67b012b5cb93ec9f80e408080ddbde6261115da381d');
    expect(v2_55.options['repo-block'].depend).toEqual({ option: 'repo-bundle', list: ['true'] });
    expect(v2_55.options['repo-block'].beta).toBeUndefined();
    expect(Object.values(v2_55.options).some((info) => info.beta)).toBe(false);
    expect(v2_55.options['repo-storage-tag'].depend).toEqual({ option: 'repo-type', list: ['azure', 'gcs', 's3'] });
    expect(v2_55.options['repo-s3-requester-pays'].depend).toEqual({ option: 'repo-type', list: ['s3'] });
    expect(v2_55.options['repo-sftp-host'].depend).toEqual({ option: 'repo-type', list: ['sftp'] });
    // Every rule 2.55's list records for an option 2.45's has is 2.45's, but for two that
    // 2.45's config.yaml gives each command that reads them: the binary cannot tell.
    const commandRules = ['archive-copy', 'spool-path'];
    expect(commandRules.map((name) => [v2_45.options[name].depend, v2_55.options[name].depend?.option])).toEqual([
      [undefined, 'archive-check'],
      [undefined, 'archive-async'],
    ]);
    const shared = Object.keys(v2_55.options).filter(
      (name) => v2_45.options[name] && v2_55.options[name].depend && !commandRules.includes(name),
    );
    expect(shared.length).toBeGreaterThan(50);
    for (const name of shared) expect([name, v2_55.options[name].depend]).toEqual([name, v2_45.options[name].depend]);
  });

  it('a rule every command that reads an option gives it is the option’s in 2.56 to 2.60, as in 2.55’s', () => {
    for (const release of RELEASES.slice(1)) {
      expect(release.options['spool-path'].depend, release.version).toEqual({
        option: 'archive-async',
        list: ['true'],
      });
      expect(release.options['archive-copy'].depend, release.version).toEqual({
        option: 'archive-check',
        list: ['true'],
      });
    }
    // force: backup's rule (online off) is not restore's or stop's.
    expect(byVersion('2.60').options.force.depend).toBeUndefined();
    const minimal = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8');
    expect(() =>
      parseConfig(
        `${minimal}\n[pgbackrest.global]\nspool-path = "/var/spool/x"\n`,
        `${FIXTURES}good/minimal.toml`,
        ENV,
      ),
    ).toThrow(/pgBackRest ignores it unless archive-async is true/);
  });

  it('the rule bsync checks is that of the newest list that has the option', () => {
    expect(dependOf('repo-storage-tag')).toEqual({ option: 'repo-type', list: ['azure', 'gcs', 's3'] });
    expect(dependOf('repo-block')).toEqual({ option: 'repo-bundle', list: ['true'] });
    // Only 2.45 lists it: 2.45's rule.
    expect(dependOf('repo-block-size-map')).toEqual({ option: 'repo-block', list: ['true'] });
    expect(dependOf('process-max')).toBeUndefined();
  });

  it('command sections can name the commands that read pgbackrest.conf options', () => {
    expect(commandNames()).toEqual(
      expect.arrayContaining(['archive-get', 'archive-push', 'backup', 'expire', 'restore']),
    );
    expect(commandNames()).not.toContain('help');
    expect(commandNames()).not.toContain('version');
  });
});

describe('which table judges a host', () => {
  it('its own series, or the nearest older one; none when older than 2.45', () => {
    expect(tableFor('2.45')?.version).toBe('2.45');
    expect(tableFor('2.45.1')?.version).toBe('2.45');
    expect(tableFor('2.50')?.version).toBe('2.45');
    expect(tableFor('2.55')?.version).toBe('2.55');
    expect(tableFor('2.55.1')?.version).toBe('2.55');
    expect(tableFor('2.56.0')?.version).toBe('2.56');
    expect(tableFor('2.58.1')?.version).toBe('2.58');
    expect(tableFor('2.59.1')?.version).toBe('2.59');
    expect(tableFor('2.60.0')?.version).toBe('2.60');
    expect(tableFor('3.0')?.version).toBe('2.60');
    expect(tableFor('2.44')).toBeNull();
  });

  it('an option new in 2.55: refused for 2.45 naming both versions, accepted for 2.55.x', () => {
    expect(availability('page-header-check', '2.45')).toEqual({
      ok: false,
      why: '2.45 does not have page-header-check (pgBackRest 2.55 has it)',
    });
    expect(availability('page-header-check', '2.55.1')).toMatchObject({ ok: true, table: '2.55' });
    expect(availability('page-header-check', '2.55.0')).toMatchObject({ ok: true, table: '2.55' });
    expect(availability('page-header-check', '2.50')).toEqual({
      ok: false,
      why: "bsync's newest option list up to 2.50 is 2.45's, which does not have page-header-check (pgBackRest 2.55 has it)",
    });
  });

  it('an option 2.55 dropped: accepted for 2.45, refused for 2.55 and newer', () => {
    expect(tableFor('2.52')?.version).toBe('2.45');
    expect(availability('repo-block-size-map', '2.45')).toMatchObject({ ok: true, table: '2.45' });
    expect(availability('repo-block-size-map', '2.55.1')).toEqual({
      ok: false,
      why: '2.55.1 does not have repo-block-size-map (pgBackRest 2.45 had it; 2.55 does not list it)',
    });
    expect(availability('repo-block-size-map', '2.57')).toEqual({
      ok: false,
      why: '2.57 does not have repo-block-size-map (pgBackRest 2.45 had it; 2.57 does not list it)',
    });
  });

  it('an option newer than 2.55: refused for 2.55.x, taken on trust for a host newer than every table', () => {
    expect(availability('repo-symlink', '2.55.1')).toEqual({
      ok: false,
      why: '2.55.1 does not have repo-symlink (pgBackRest 2.57 has it)',
    });
    expect(availability('repo-symlink', '2.57.0')).toMatchObject({ ok: true, table: '2.57' });
    // `reference`: the development tree's, which 2.60.0's help does not list.
    expect(availability('reference', '2.60.0').ok).toBe(false);
    expect(availability('reference', '2.61.0')).toMatchObject({ ok: true, table: '2.60' });
    expect(availability('archive-async', '2.40').ok).toBe(false);
  });

  it("gives the host table's definition, to check the value by", () => {
    const old = availability('backup-standby', '2.45');
    const current = availability('backup-standby', '2.55.1');
    expect(old.ok && old.info.type).toBe('boolean');
    expect(current.ok && current.info.type).toBe('string-id');
  });
});

describe('the config loader takes a name or value any release takes', () => {
  const minimal = readFileSync(`${FIXTURES}good/minimal.toml`, 'utf8');
  const load = (extra: string) => parseConfig(`${minimal}\n${extra}\n`, `${FIXTURES}good/minimal.toml`, ENV);
  const failure = (extra: string) => {
    try {
      load(extra);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).describe();
    }
    throw new Error('the config was accepted');
  };

  it('names from either table, with the definitions newest first', () => {
    expect(lookupOption('repo1-block-size-map')?.name).toBe('repo-block-size-map');
    expect(lookupOption('page-header-check')?.info.type).toBe('boolean');
    expect(optionInfos('backup-standby').map((info) => info.type)).toEqual(['string-id', 'boolean']);
    expect(
      load(
        '[pgbackrest.global]\npage-header-check = false\nrepo1-bundle = true\nrepo1-block = true\nrepo1-block-size-map = { "1GiB" = "64KiB" }\n',
      ).pgbackrest.global,
    ).toEqual([
      { key: 'page-header-check', name: 'page-header-check', values: ['n'] },
      { key: 'repo1-block', name: 'repo-block', values: ['y'] },
      { key: 'repo1-block-size-map', name: 'repo-block-size-map', values: ['1GiB=64KiB'] },
      { key: 'repo1-bundle', name: 'repo-bundle', values: ['y'] },
    ]);
  });

  it("values 2.55's definition takes (prefer, -1), and true as y for a bool-like option", () => {
    expect(
      load('[pgbackrest.global]\nbackup-standby = "prefer"\ncompress-level-network = -1\n').pgbackrest.global,
    ).toEqual([
      { key: 'backup-standby', name: 'backup-standby', values: ['prefer'] },
      { key: 'compress-level-network', name: 'compress-level-network', values: ['-1'] },
    ]);
    expect(load('[pgbackrest.global]\nbackup-standby = false\n').pgbackrest.global[0].values).toEqual(['n']);
  });

  it("a value no release takes is refused with the newest release's rule", () => {
    expect(failure('[pgbackrest.global]\nbackup-standby = "maybe"\n')).toContain(
      'pgbackrest.global.backup-standby: must be one of "n", "prefer", "y", got "maybe"',
    );
    expect(failure('[pgbackrest.global]\ncompress-level-network = 13\n')).toContain(
      'pgbackrest.global.compress-level-network: must be a whole number from -5 to 12, got 13',
    );
  });
});
