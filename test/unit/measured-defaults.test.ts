// bsync's measured defaults in pgbackrest.conf (lib/desired/measured-defaults.ts,
// docs/performance.md): the note that names them stands above the first one the config
// leaves to bsync, and only then; a conf bsync wrote, read back as facts, plans nothing.
// On the recorded ssh facts (fixtures/facts/ssh-converged.json). No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, problemsOf, SSH_CONFIG } from '../support/configs.js';

const CONF = '/etc/pgbackrest/pgbackrest.conf';
const NOTE = "# bsync's defaults, measured (docs/performance.md); set them in [pgbackrest.global] to change them\n";
const HOSTS = ['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'];

/** The recorded converged facts, every host running pgBackRest `version`. */
function converged(version = '2.45'): Map<string, HostFacts> {
  const all = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
  for (const one of Object.values(all)) one.pgbackrestVersion = version;
  return new Map(Object.entries(all));
}

/** ssh.toml with `options` as its pgBackRest tables. */
const withOptions = (options: string) => parseConfig(`${SSH_CONFIG}\n${options}`, `${FIXTURES}lab/ssh.toml`, ENV);

/** Each host's pgbackrest.conf as bsync would write it, or as it is where the plan leaves it alone. */
function confs(options: string, facts = converged()): Map<string, string> {
  const inventory = withOptions(options);
  const { changes } = buildPlan(inventory, HOSTS, desiredResources(inventory, facts));
  return new Map(
    HOSTS.map((host) => {
      const after = changes.get(`${host}.pgbackrest_conf`)?.diff?.after;
      return [host, after ? knownText(after)! : facts.get(host)!.files[CONF].content!];
    }),
  );
}

/** The conf's [global] section, from its header to the next section. */
const globalOf = (conf: string) => conf.slice(conf.indexOf('[global]'), conf.indexOf('\n[', conf.indexOf('[global]')));

describe("the note on bsync's measured defaults", () => {
  it('stands above compress-type while bsync chooses it, as the hosts hold it', () => {
    for (const [host, conf] of confs(''))
      expect(globalOf(conf), host).toContain(`start-fast=y\n${NOTE}compress-type=zst\n`);
  });

  it('moves to the first default left to bsync when [pgbackrest.global] sets compress-type', () => {
    for (const [host, conf] of confs('[pgbackrest.global]\ncompress-type = "lz4"\n')) {
      expect(globalOf(conf), host).toContain('start-fast=y\ncompress-type=lz4\n');
      expect(globalOf(conf), host).toContain(`repo1-path=/home/backrest\n${NOTE}repo1-bundle=y\n`);
      expect(conf.split(NOTE), host).toHaveLength(2);
    }
  });

  it('is not written when [pgbackrest.global] sets every default in effect (2.45: no block)', () => {
    for (const [host, conf] of confs('[pgbackrest.global]\ncompress-type = "lz4"\nrepo1-bundle = false\n')) {
      expect(conf, host).not.toContain("bsync's defaults");
      expect(conf, host).toContain('compress-type=lz4\n');
    }
  });

  it("stays while block incremental is bsync's (2.55), and goes when that is set too", () => {
    const newer = converged('2.55.1');
    const bundled = confs('[pgbackrest.global]\ncompress-type = "lz4"\nrepo1-bundle = true\n', newer);
    for (const [host, conf] of bundled)
      expect(globalOf(conf), host).toContain(`repo1-bundle=y\n${NOTE}repo1-block=y\n`);
    const all = confs('[pgbackrest.global]\ncompress-type = "lz4"\nrepo1-bundle = true\nrepo1-block = false\n', newer);
    for (const [host, conf] of all) expect(conf, host).not.toContain("bsync's defaults");
  });

  it('a conf bsync wrote, read back as facts, plans nothing, with or without the note', () => {
    for (const options of [
      '',
      '[pgbackrest.global]\ncompress-type = "lz4"\n',
      '[pgbackrest.global]\ncompress-type = "lz4"\nrepo1-bundle = false\n',
    ]) {
      const facts = converged();
      for (const [host, conf] of confs(options, facts)) facts.get(host)!.files[CONF].content = conf;
      const inventory = withOptions(options);
      const again = buildPlan(inventory, HOSTS, desiredResources(inventory, facts)).plan;
      expect(
        again.actions.filter((action) => action.address.endsWith('.pgbackrest_conf')),
        options,
      ).toEqual([]);
    }
  });
});

describe("bsync's block incremental follows the operator's bundling, wherever it is set", () => {
  const newer = () => converged('2.55.1');

  it('is written while bundling stays on (2.55)', () => {
    for (const [host, conf] of confs('', newer()))
      expect(globalOf(conf), host).toContain('repo1-bundle=y\nrepo1-block=y\n');
  });

  it.each([
    ['[pgbackrest.global]', 'global'],
    ['[pgbackrest.stanza]', 'pgedge-lab-1'],
    ['[pgbackrest."global:backup"]', 'global:backup'],
    ['[pgbackrest."stanza:backup"]', 'pgedge-lab-1:backup'],
  ])('is not written when %s turns bundling off', (table, section) => {
    const written = confs(`${table}\nrepo1-bundle = false\n`, newer());
    for (const [host, conf] of written) {
      expect(conf, host).not.toContain('repo1-block');
      if (host.endsWith('1')) expect(conf, host).toMatch(new RegExp(`\\[${section}\\]\\n(.+\\n)*repo1-bundle=n\\n`));
    }
  });

  it("is written when the backup command's own section turns bundling back on over [pgbackrest.global]'s", () => {
    const written = confs(
      '[pgbackrest.global]\nrepo1-bundle = false\n\n[pgbackrest."stanza:backup"]\nrepo1-bundle = true\n',
      newer(),
    );
    for (const [host, conf] of written) expect(conf, host).toContain('repo1-block=y\n');
  });

  it('a converged host is told of bundling turned off in a section below [global] (its y there is no default)', () => {
    const inventory = withOptions('[pgbackrest.stanza]\nrepo1-bundle = false\n');
    const plan = buildPlan(inventory, HOSTS, desiredResources(inventory, converged())).plan;
    const diff = plan.actions.find((action) => action.address === 'ssh-pg1.pgbackrest_conf')?.diff;
    expect(diff).toContain('+repo1-bundle=n\n');
  });

  it("an operator's own repo1-block with bundling off elsewhere is refused, naming both keys", () => {
    const problems = (options: string) => problemsOf(() => withOptions(options));
    expect(problems('[pgbackrest.global]\nrepo1-block = true\n\n[pgbackrest.stanza]\nrepo1-bundle = false\n')).toEqual([
      'pgbackrest.global.repo1-block: pgBackRest ignores it unless repo1-bundle is true (its option table: repo-block depends on repo-bundle), and repo1-bundle is false here (pgbackrest.stanza.repo1-bundle) | Set pgbackrest.stanza.repo1-bundle = true, or remove repo1-block.',
    ]);
    expect(
      problems('[pgbackrest.stanza]\nrepo1-block = true\n\n[pgbackrest."global:backup"]\nrepo1-bundle = false\n'),
    ).toEqual([
      'pgbackrest.stanza.repo1-block: pgBackRest ignores it unless repo1-bundle is true (its option table: repo-block depends on repo-bundle), and repo1-bundle is false here (pgbackrest."global:backup".repo1-bundle) | Set pgbackrest."global:backup".repo1-bundle = true, or remove repo1-block.',
    ]);
  });
});
