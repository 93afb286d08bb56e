// How a recovery gets its WAL. PostgreSQL asks restore_command for one segment at a time,
// and each `pgbackrest archive-get` from a backup host or a bucket pays its connection and
// decryption anew: on the lab that was 1.5-2 s a segment while replay itself needed a
// tenth of it. With archive-async and the host's cores, pgBackRest fetches the segments that
// come next in the background into a spool queue, and PostgreSQL's next request is served
// from there. Only for bsync's own recovery (restore, not a standby, which keeps the declared
// restore_command); the queue is removed once the server has promoted. docs/performance.md.
import type { Inventory } from '../config/inventory.js';
import { optionValue } from '../config/pgbackrest-options.js';
import { archiveSettings } from '../desired/archive-settings.js';
import type { ProcessChoice } from '../desired/processes.js';
import { PG_OS_USER } from '../facts/probe.js';
import { pgCommand } from '../formats/pg-command.js';
import { shq } from '../formats/shell.js';
import type { StanzaCommands } from '../resources/stanza.js';
import type { FieldChange, Step } from '../resources/types.js';
import { repoTimeOptions } from './repo-target-time.js';
import { restoreCommandOption } from './target.js';
import type { Instant } from '../target-time.js';

/** The recovery's own queue: a folder of pgBackRest's default spool folder that only bsync's recoveries use. */
const SPOOL_PARENT = '/var/spool/pgbackrest';
export const RECOVERY_SPOOL = `${SPOOL_PARENT}/bsync-recovery`;

export interface WalFetch {
  /** Options of pgBackRest's restore: the restore_command it writes for the recovery. */
  restoreOptions: string[];
  /** Before the restore: the queue's folder, the server's user's (none when the config decides). */
  prepare: Step[];
  /** After the promotion: the queue's leftovers removed. */
  cleanup: Step[];
  field: FieldChange;
}

export function walFetch(
  inventory: Inventory,
  zone: StanzaCommands,
  processes: ProcessChoice,
  readAt?: { repo: number; at: Instant },
): WalFetch {
  // At a repository time, recovery reads the WAL of that repository as it was then too.
  const atTime = readAt ? ` --repo=${readAt.repo} ${repoTimeOptions(readAt.at).join(' ')}` : '';
  // The operator's archive-async for archive-get (and its spool-path) is pgbackrest.conf's, as it says.
  if (optionValue(inventory.pgbackrest, 'archive-async', 'archive-get') !== undefined) {
    return {
      restoreOptions: readAt
        ? [
            `--recovery-option=${shq(`restore_command=${pgCommand`${zone.pgbackrest} --stanza=${zone.stanza}`}${atTime} archive-get %f "%p"`)}`,
          ]
        : restoreCommandOption(zone.pgbackrest, archiveSettings(zone).restore_command),
      prepare: [],
      cleanup: [],
      field: { name: 'WAL fetch', after: 'as pgbackrest.conf says (archive-async is set there)' },
    };
  }
  const count = processes.count ? ` --process-max=${processes.count}` : '';
  const command = `${pgCommand`${zone.pgbackrest} --stanza=${zone.stanza} --archive-async --spool-path=${RECOVERY_SPOOL}${count}`}${atTime} archive-get %f "%p"`;
  return {
    restoreOptions: [`--recovery-option=${shq(`restore_command=${command}`)}`],
    prepare: [
      {
        // Made when missing, never changed when there: the parent may be the operator's.
        command: [SPOOL_PARENT, RECOVERY_SPOOL]
          .map((folder) => `{ [ -d ${folder} ] || install -d -o ${PG_OS_USER} -g ${PG_OS_USER} -m 0750 ${folder}; }`)
          .join(' && '),
      },
    ],
    cleanup: [{ user: PG_OS_USER, command: `rm -rf ${RECOVERY_SPOOL}/archive` }],
    field: {
      name: 'WAL fetch',
      after: `ahead of replay, in the background${processes.count ? ` with ${processes.count} processes` : ''} (archive-async, queue in ${RECOVERY_SPOOL})`,
    },
  };
}
