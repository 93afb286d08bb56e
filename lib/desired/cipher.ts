// The repository passphrase of a stanza. An explicit one is used as given; "auto" adopts
// the one the stanza's hosts already share, else the copy bsync kept when it generated
// one, else generates one at apply time (random, never derived from names), writing it
// to the local store before any host sees it. Anything that would change the cipher
// type or the passphrase of a repository that holds the stanza is refused: its backups
// could no longer be read.
import { existsSync, readFileSync } from 'node:fs';
import { repoKeyPath, Secret, type Inventory, type Repo } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { PGBACKREST_CONF } from '../facts/paths.js';
import { planGeneratedPassphrase, storedPassPath } from '../resources/cipher-pass.js';
import { confValue } from '../resources/pgbackrest-conf.js';
import type { Change, Part, ResourceRef } from '../resources/types.js';
import { resourceAddress } from '../resources/types.js';
import { perRepo, repoPrefix } from '../repositories/types.js';
import { zoneHosts, type FactsByHost, type Zone } from './zone.js';

interface StanzaCipher {
  /** What goes after repo1-cipher-pass=, or null when the repository is not encrypted. */
  pass: Part | null;
  /** A resource that generates the passphrase during apply, when none exists yet. */
  generator?: { address: ResourceRef; host: string; name: string; change: Change };
}

export const CIPHER_KIND = 'cipher_pass' as const;

/** The passphrases of a stanza's repositories (by repoN's N) and the resources that generate any during apply. */
export interface StanzaSecrets {
  passes: Map<number, Part | null>;
  generators: ResourceRef[];
}

function readStoredPass(inventory: Inventory, stanza: string, repo: Repo): { path: string; value: string } | null {
  if (!repo.cipherPassStore) return null;
  const path = storedPassPath(repo.cipherPassStore, stanza, repo.key);
  if (!existsSync(path)) return null;
  let value: string;
  try {
    value = readFileSync(path, 'utf8').replace(/\n$/, '');
  } catch (error) {
    throw new BsyncError(`cannot read the kept passphrase ${path}: ${(error as Error).message}`, {
      where: `${inventory.configPath}: ${repoKeyPath(inventory, repo)}.cipher_pass_store`,
    });
  }
  if (value === '')
    throw new BsyncError(`the kept passphrase ${path} is empty`, {
      where: `${inventory.configPath}: ${repoKeyPath(inventory, repo)}.cipher_pass_store`,
      hint: 'Restore it from your copy off the hosts.',
    });
  return { path, value };
}

function stanzaCipher(inventory: Inventory, zone: Zone, facts: FactsByHost, wantedRepo: Repo): StanzaCipher {
  const keyPath = repoKeyPath(inventory, wantedRepo);
  const stanzaName = inventory.repos.length === 1 ? zone.stanza : `${zone.stanza} (repo${wantedRepo.key})`;
  const where = `${inventory.configPath}: ${keyPath}.cipher_pass`;
  const existing = new Map<string, string>();
  const types = new Map<string, string>();
  const p = repoPrefix(wantedRepo);
  for (const host of zoneHosts(zone)) {
    const conf = facts.get(host.name)?.files[PGBACKREST_CONF]?.content;
    const value = confValue(conf, 'global', `${p}cipher-pass`);
    if (value) existing.set(host.name, value);
    if (conf !== undefined) types.set(host.name, confValue(conf, 'global', `${p}cipher-type`) ?? 'none');
  }
  const repo = facts.get(zone.repoOwner.name)?.repos?.find((entry) => entry.key === wantedRepo.key);
  const repoInUse = Boolean(repo?.backupInfoExists);
  const distinct = [...new Set(existing.values())];
  const inUse = existing.get(zone.repoOwner.name) ?? (distinct.length === 1 ? distinct[0] : undefined);

  // The repository's own word (pgbackrest info) first, its host's pgbackrest.conf second.
  const repoCipher = repo?.cipher ?? types.get(zone.repoOwner.name);
  if (repoInUse && repoCipher !== undefined && repoCipher !== wantedRepo.cipherType) {
    throw new BsyncError(
      `stanza ${stanzaName}: the repository holds backups with cipher ${repoCipher}; cipher_type = "${wantedRepo.cipherType}" would make them unreadable`,
      {
        where: `${inventory.configPath}: ${keyPath}.cipher_type`,
        hint: `Keep ${keyPath}.cipher_type = "${repoCipher}" for this repository; a different cipher needs a new repository (another path, bucket or container).`,
      },
    );
  }

  const wanted = wantedRepo.cipherPass;
  if (wantedRepo.cipherType === 'none' || wanted === null) return { pass: null };

  if (wanted !== 'auto') {
    if (repoInUse && inUse !== undefined && inUse !== wanted.reveal()) {
      throw new BsyncError(
        `stanza ${stanzaName}: the configured cipher_pass differs from the passphrase of a repository that already holds the stanza`,
        {
          where,
          hint: `Backups made with the old passphrase could no longer be read. Set ${keyPath}.cipher_pass to the passphrase in use (or "auto" to keep it), or start a new repository.`,
        },
      );
    }
    return { pass: { secret: wanted } };
  }

  if (distinct.length > 1) {
    throw new BsyncError(
      `stanza ${stanzaName}: its hosts hold different cipher passphrases (${[...existing.keys()].join(', ')})`,
      {
        where,
        hint: `With "auto" bsync keeps the passphrase the hosts share. Set ${keyPath}.cipher_pass to the right one explicitly.`,
      },
    );
  }
  const stored = readStoredPass(inventory, zone.stanza, wantedRepo);
  if (distinct.length === 1) {
    if (stored && stored.value !== distinct[0]) {
      throw new BsyncError(
        `stanza ${stanzaName}: the passphrase kept in ${stored.path} differs from the one the stanza's hosts share`,
        {
          where: `${inventory.configPath}: ${keyPath}.cipher_pass_store`,
          hint: "One of them is not the repository's. Find out which with pgbackrest info, then correct the other; bsync changes neither.",
        },
      );
    }
    return { pass: { secret: new Secret(distinct[0], "adopted from the stanza's hosts") } };
  }
  // No host has it: the kept copy (an apply interrupted after generating, or hosts rebuilt).
  if (stored) return { pass: { secret: new Secret(stored.value, `kept in ${stored.path}`) } };
  if (repoInUse) {
    throw new BsyncError(
      `stanza ${stanzaName}: the repository holds the stanza, but no host has its cipher passphrase`,
      {
        where,
        hint: `Set ${keyPath}.cipher_pass to the passphrase the repository was created with (or put it in ${keyPath}.cipher_pass_store as ${storedPassPath('', zone.stanza, wantedRepo.key)}).`,
      },
    );
  }
  return {
    pass: {
      ref: resourceAddress(zone.repoOwner.name, CIPHER_KIND, perRepo(zone.stanza, wantedRepo)),
      output: 'value',
      label: 'generated passphrase',
      sensitive: true,
    },
    generator: generator(zone, wantedRepo, keyPath),
  };
}

/** Each repository's passphrase for a stanza, and the resources of the zone that generate the missing ones. */
export function stanzaSecrets(
  inventory: Inventory,
  zone: Zone,
  facts: FactsByHost,
): { secrets: StanzaSecrets; generators: NonNullable<StanzaCipher['generator']>[] } {
  const ciphers = inventory.repos.map((repo) => [repo, stanzaCipher(inventory, zone, facts, repo)] as const);
  const generators = ciphers.flatMap(([, cipher]) => (cipher.generator ? [cipher.generator] : []));
  return {
    secrets: {
      passes: new Map(ciphers.map(([repo, cipher]) => [repo.key, cipher.pass])),
      generators: generators.map((entry) => entry.address),
    },
    generators,
  };
}

/** The resource that makes a new passphrase during apply (lib/resources/cipher-pass.ts). */
function generator(zone: Zone, repo: Repo, keyPath: string): StanzaCipher['generator'] {
  const name = perRepo(zone.stanza, repo);
  const change = planGeneratedPassphrase(
    zone.stanza,
    repo.key,
    repo.cipherPassStore,
    `no host of stanza ${zone.stanza} has a passphrase${keyPath === 'repo' ? '' : ` for repo${repo.key}`} and bsync would generate one, but ${keyPath}.cipher_pass_store is not set: a passphrase that lives only on the hosts is lost with them. Set ${keyPath}.cipher_pass_store (a folder on this machine; keep a copy off the hosts), or give ${keyPath}.cipher_pass`,
  );
  return { address: resourceAddress(zone.repoOwner.name, CIPHER_KIND, name), host: zone.repoOwner.name, name, change };
}
