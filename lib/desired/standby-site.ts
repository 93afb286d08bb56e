// A standby site (docs/recovery.md, "A standby site"): [[zone]] standby_of makes a zone's one
// server a standby of another zone's stanza, restored from its repository and replaying its
// archive for good. While it is one, the host is planned as a reader of the source's stanza:
// pgbackrest.conf names that stanza (with this host's data directory, for archive-get and the
// restore), restore_command fetches from it, archive_mode is off (a standby archives nothing,
// and a promoted one must not push its new timeline into the source's archive), and there is
// no stanza, backup or job of its own. Its first data is a standby restore
// (lib/recovery/first-data.ts); a server that runs as a primary is drift bsync does not repair.
import type { HostSpec, Inventory, StandbyOf } from '../config/inventory.js';
import { HostError } from '../errors.js';
import { read } from '../facts/needs.js';
import type { HostFacts } from '../facts/types.js';
import { archiveSettings } from './archive-settings.js';
import type { HostResources } from './builder.js';
import { declarePart } from './part.js';
import { zonesOf, type Zone } from './zone.js';

export interface StandbySite {
  of: StandbyOf;
  /** The source zone, whose stanza is replayed. */
  source: Zone;
  /** The standby's zone as its host is planned: the source's stanza in place of its own. */
  view: Zone;
}

/** The zone's standby_of, when `host` is its one server with pg_data (lib/config/zones.ts refuses the rest). */
export function standbySiteOf(inventory: Inventory, zone: Zone, host: HostSpec): StandbySite | undefined {
  const of = inventory.standbyOf?.get(zone.zone);
  if (!of || host.pgData === undefined || zone.postgresHosts.length !== 1) return undefined;
  const source = zonesOf(inventory).find((candidate) => candidate.zone === of.zone)!;
  return { of, source, view: { ...zone, stanza: source.stanza } };
}

/** What the standby's server runs with: WAL from the source's stanza, and no archiving at all. */
export function standbySiteSettings(view: Zone): Record<string, string> {
  return { archive_mode: 'off', restore_command: archiveSettings(view).restore_command };
}

/**
 * The standby stays one: a server that runs as a primary was promoted outside bsync. The
 * repositories are read as on every zone's repository host: the passphrase's checks
 * (cipher.ts) read them, and find the zone's own stanza absent.
 */
export const standbySitePart = (host: HostSpec, site: StandbySite) =>
  declarePart('the standby site', [read.postgres, read.repos], {
    inRecovery: (_out: HostResources, hostFacts: HostFacts) => {
      if (hostFacts.postgres?.inRecovery !== false) return;
      throw new HostError(
        host.name,
        `zone ${host.zone} is declared a standby of zone ${site.of.zone} (standby_of), but PostgreSQL on ${host.name} runs as a primary, not a standby: promoted outside bsync, or never restored as one`,
        {
          hint: `bsync does not rebuild a server that accepts writes. If it is to stay a primary, remove standby_of from [[zone]] ${host.zone} and plan: the zone gets its own stanza, archiving and backups. If not, stop PostgreSQL, empty ${host.pgData}, and apply: it is restored again as a standby of zone ${site.of.zone}.`,
        },
      );
    },
  });
