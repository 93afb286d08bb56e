// The repository passphrase of a stanza. An explicit one is used as given; "auto" adopts
// the one the stanza's hosts already share, or is generated at apply time (random, never
// derived from names). Changing the passphrase of a repository that holds backups would
// make them unreadable, so such a plan is refused.
import { Secret, type Inventory } from '../config/inventory.js';
import { BsyncError } from '../errors.js';
import { PGBACKREST_CONF } from '../facts/paths.js';
import { confValue } from '../resources/pgbackrest-conf.js';
import type { Change, Part, ResourceRef } from '../resources/types.js';
import { resourceAddress } from '../resources/types.js';
import { zoneHosts, type FactsByHost, type Zone } from './zone.js';

export interface StanzaCipher {
  /** What goes after repo1-cipher-pass=, or null when the repository is not encrypted. */
  pass: Part | null;
  /** A resource that generates the passphrase during apply, when none exists yet. */
  generator?: { address: ResourceRef; host: string; change: Change };
}

export const CIPHER_KIND = 'cipher_pass' as const;

export function stanzaCipher(inventory: Inventory, zone: Zone, facts: FactsByHost): StanzaCipher {
  const wanted = inventory.repo.cipherPass;
  if (inventory.repo.cipherType === 'none' || wanted === null) return { pass: null };
  const existing = new Map<string, string>();
  for (const host of zoneHosts(zone)) {
    const value = confValue(facts.get(host.name)?.files[PGBACKREST_CONF]?.content, 'global', 'repo1-cipher-pass');
    if (value) existing.set(host.name, value);
  }
  const ownerValue = existing.get(zone.repoOwner.name);
  const repo = facts.get(zone.repoOwner.name)?.repo;
  const repoInUse = Boolean(repo?.backupInfoExists);

  if (wanted !== 'auto') {
    if (repoInUse && ownerValue !== undefined && ownerValue !== wanted.reveal()) {
      throw new BsyncError(`stanza ${zone.stanza}: the configured cipher_pass differs from the passphrase of a repository that already holds the stanza`, {
        where: `${inventory.configPath}: repo.cipher_pass`,
        hint: 'Backups made with the old passphrase could no longer be read. Set repo.cipher_pass to the passphrase in use (or "auto" to keep it), or start a new repository.',
      });
    }
    return { pass: { secret: wanted } };
  }

  const distinct = [...new Set(existing.values())];
  if (distinct.length > 1) {
    throw new BsyncError(`stanza ${zone.stanza}: its hosts hold different cipher passphrases (${[...existing.keys()].join(', ')})`, {
      where: `${inventory.configPath}: repo.cipher_pass`,
      hint: 'With "auto" bsync keeps the passphrase the hosts share. Set repo.cipher_pass to the right one explicitly.',
    });
  }
  if (distinct.length === 1) return { pass: { secret: new Secret(distinct[0], 'adopted from the stanza\'s hosts') } };
  if (repoInUse) {
    throw new BsyncError(`stanza ${zone.stanza}: the repository holds the stanza, but no host has its cipher passphrase`, {
      where: `${inventory.configPath}: repo.cipher_pass`,
      hint: 'Set repo.cipher_pass to the passphrase the repository was created with.',
    });
  }
  const address = resourceAddress(zone.repoOwner.name, CIPHER_KIND, zone.stanza);
  return {
    pass: { ref: address, output: 'value', label: 'generated passphrase', sensitive: true },
    generator: {
      address,
      host: zone.repoOwner.name,
      change: {
        action: 'create',
        reason: 'no host of the stanza has a passphrase yet: a random one is generated',
        fields: [{ name: 'value', after: '(sensitive)', sensitive: true }],
        steps: [{ command: '', generatePassphrase: true, capture: 'value' }],
      },
    },
  };
}
