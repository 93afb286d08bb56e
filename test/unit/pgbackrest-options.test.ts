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
const ENV = { BSYNC_CIPHER: 'cipher-value-1234567890', BSYNC_BACKUP_PASSWORD: 'password-value-123456' };

describe('the tables', () => {
  it('are 2.45 and 2.55, oldest first, each made from that release’s own help', () => {
    expect(RELEASES.map((release) => release.version)).toEqual(['2.45', '2.55']);
    expect(v2_45.source).toContain('`pgbackrest help` of pgBackRest 2.45;');
    expect(v2_55.source).toContain('`pgbackrest help` of pgBackRest 2.55.1;');
    expect(Object.keys(v2_45.options)).toHaveLength(153);
    expect(Object.keys(v2_55.options)).toHaveLength(167);
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
    expect(tableFor('2.57.0')?.version).toBe('2.55');
    expect(tableFor('3.0')?.version).toBe('2.55');
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
    expect(availability('repo-block-size-map', '2.45')).toMatchObject({ ok: true, table: '2.45' });
    expect(availability('repo-block-size-map', '2.55.1')).toEqual({
      ok: false,
      why: '2.55.1 does not have repo-block-size-map (pgBackRest 2.45 had it; 2.55 does not list it)',
    });
    expect(availability('repo-block-size-map', '2.57')).toEqual({
      ok: false,
      why: "bsync's newest option list up to 2.57 is 2.55's, which does not have repo-block-size-map (pgBackRest 2.45 had it; 2.55 does not list it)",
    });
  });

  it('an option newer than 2.55: refused for 2.55.x, taken on trust for a host newer than every table', () => {
    expect(availability('repo-symlink', '2.55.1')).toEqual({
      ok: false,
      why: '2.55.1 does not have repo-symlink (pgBackRest added it after 2.55)',
    });
    expect(availability('repo-symlink', '2.57.0')).toMatchObject({ ok: true, table: '2.55' });
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
