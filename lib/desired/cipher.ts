// The repository passphrase of a stanza. An explicit one is used as given; "auto" adopts
// the one the stanza's hosts already share, else the copy bsync kept when it generated
// one, else generates one at apply time (random, never derived from names), writing it
// to the local store before any host sees it. Anything that would change the cipher
// type or the passphrase of a repository that holds the stanza is refused: its backups
// could no longer be read.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { PGBACKREST_CONF } from '../facts/paths.js';
import { confValue } from '../resources/pgbackrest-conf.js';
import type { Change, Part, ResourceRef } from '../resources/types.js';
import { resourceAddress } from '../resources/types.js';
import { zoneHosts, type FactsByHost, type Zone } from './zone.js';

interface StanzaCipher {
  /** What goes after repo1-cipher-pass=, or null when the repository is not encrypted. */
  pass: Part | null;
  /** A resource that generates the passphrase during apply, when none exists yet. */
  generator?: { address: ResourceRef; host: string; change: Change };
}

export const CIPHER_KIND = 'cipher_pass' as const;

/** Where the local copy of a generated passphrase lives. */
function storedPassPath(store: string, stanza: string): string {
  return join(store, `${stanza}.cipher_pass`);
}

function readStoredPass(inventory: Inventory, stanza: string): { path: string; value: string } | null {
  if (!inventory.repo.cipherPassStore) return null;
  const path = storedPassPath(inventory.repo.cipherPassStore, stanza);
  if (!existsSync(path)) return null;
  let value: string;
  try {
    value = readFileSync(path, 'utf8').replace(/\n$/, '');
  } catch (error) {
    throw new BsyncError(`cannot read the kept passphrase ${path}: ${(error as Error).message}`, {
      where: `${inventory.configPath}: repo.cipher_pass_store`,
    });
  }
  if (value === '')
    throw new BsyncError(`the kept passphrase ${path} is empty`, {
      where: `${inventory.configPath}: repo.cipher_pass_store`,
      hint: 'Restore it from your copy off the hosts.',
    });
  return { path, value };
}

export function stanzaCipher(inventory: Inventory, zone: Zone, facts: FactsByHost): StanzaCipher {
  const where = `${inventory.configPath}: repo.cipher_pass`;
  const existing = new Map<string, string>();
  const types = new Map<string, string>();
  for (const host of zoneHosts(zone)) {
    const conf = facts.get(host.name)?.files[PGBACKREST_CONF]?.content;
    const value = confValue(conf, 'global', 'repo1-cipher-pass');
    if (value) existing.set(host.name, value);
    if (conf !== undefined) types.set(host.name, confValue(conf, 'global', 'repo1-cipher-type') ?? 'none');
  }
  const repo = facts.get(zone.repoOwner.name)?.repo;
  const repoInUse = Boolean(repo?.backupInfoExists);
  const distinct = [...new Set(existing.values())];
  const inUse = existing.get(zone.repoOwner.name) ?? (distinct.length === 1 ? distinct[0] : undefined);

  // The repository's own word (pgbackrest info) first, its host's pgbackrest.conf second.
  const repoCipher = repo?.cipher ?? types.get(zone.repoOwner.name);
  if (repoInUse && repoCipher !== undefined && repoCipher !== inventory.repo.cipherType) {
    throw new BsyncError(
      `stanza ${zone.stanza}: the repository holds backups with cipher ${repoCipher}; cipher_type = "${inventory.repo.cipherType}" would make them unreadable`,
      {
        where: `${inventory.configPath}: repo.cipher_type`,
        hint: `Keep repo.cipher_type = "${repoCipher}" for this repository; a different cipher needs a new repository (another repo.path or bucket).`,
      },
    );
  }

  const wanted = inventory.repo.cipherPass;
  if (inventory.repo.cipherType === 'none' || wanted === null) return { pass: null };

  if (wanted !== 'auto') {
    if (repoInUse && inUse !== undefined && inUse !== wanted.reveal()) {
      throw new BsyncError(
        `stanza ${zone.stanza}: the configured cipher_pass differs from the passphrase of a repository that already holds the stanza`,
        {
          where,
          hint: 'Backups made with the old passphrase could no longer be read. Set repo.cipher_pass to the passphrase in use (or "auto" to keep it), or start a new repository.',
        },
      );
    }
    return { pass: { secret: wanted } };
  }

  if (distinct.length > 1) {
    throw new BsyncError(
      `stanza ${zone.stanza}: its hosts hold different cipher passphrases (${[...existing.keys()].join(', ')})`,
      {
        where,
        hint: 'With "auto" bsync keeps the passphrase the hosts share. Set repo.cipher_pass to the right one explicitly.',
      },
    );
  }
  const stored = readStoredPass(inventory, zone.stanza);
  if (distinct.length === 1) {
    if (stored && stored.value !== distinct[0]) {
      throw new BsyncError(
        `stanza ${zone.stanza}: the passphrase kept in ${stored.path} differs from the one the stanza's hosts share`,
        {
          where: `${inventory.configPath}: repo.cipher_pass_store`,
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
      `stanza ${zone.stanza}: the repository holds the stanza, but no host has its cipher passphrase`,
      {
        where,
        hint: 'Set repo.cipher_pass to the passphrase the repository was created with (or put it in repo.cipher_pass_store as <stanza>.cipher_pass).',
      },
    );
  }
  return {
    pass: {
      ref: resourceAddress(zone.repoOwner.name, CIPHER_KIND, zone.stanza),
      output: 'value',
      label: 'generated passphrase',
      sensitive: true,
    },
    generator: generator(inventory, zone),
  };
}

/** The action that makes a new passphrase, keeping a copy locally before any host gets it. */
function generator(inventory: Inventory, zone: Zone): StanzaCipher['generator'] {
  const address = resourceAddress(zone.repoOwner.name, CIPHER_KIND, zone.stanza);
  const store = inventory.repo.cipherPassStore;
  const change: Change = store
    ? {
        action: 'create',
        reason: `no host of the stanza has a passphrase yet: a random one is generated and kept in ${storedPassPath(store, zone.stanza)} first`,
        fields: [{ name: 'value', after: '(sensitive)', sensitive: true }],
        steps: [{ command: '', generatePassphrase: { keepAt: storedPassPath(store, zone.stanza) }, capture: 'value' }],
      }
    : {
        action: 'create',
        conflict: `no host of stanza ${zone.stanza} has a passphrase and bsync would generate one, but repo.cipher_pass_store is not set: a passphrase that lives only on the hosts is lost with them. Set repo.cipher_pass_store (a folder on this machine; keep a copy off the hosts), or give repo.cipher_pass`,
        steps: [],
      };
  return { address, host: zone.repoOwner.name, change };
}
