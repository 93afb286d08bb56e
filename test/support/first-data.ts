// The recorded ssh scenario as a zone from another zone's repository sees it (issue 29 items
// 5 and 6: [[zone]] from_backup and standby_of): ssh.toml in S3 without backup hosts, ssh-pg2
// as zone 3 with the [[zone]] table given, and the recorded facts with zone 1's repository read
// on ssh-pg1, zone 3's own stanza absent, and ssh-pg2 as a new host when asked.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { DECLARED_STATE } from '../../lib/operations/declared.js';
import type { Planned } from '../../lib/operations/planning.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { expect } from 'vitest';
import { FIXTURES } from './bsync.js';
import { ENV, SSH_CONFIG } from './configs.js';
import { savedPlanText, secretsShownIn } from './saved-secrets.js';
import { sessionOf } from './sessions.js';

export const DATA = '/var/lib/postgresql/15/main';
export const S3_TABLE =
  '[repo.s3]\nbucket = "pg-backups"\nendpoint = "s3.example.com"\nregion = "eu-west-1"\nkey = { env = "S3K" }\nkey_secret = { env = "S3S" }\n\n';

/** ssh.toml in S3 without backup hosts, ssh-pg2 as zone 3, then `zone` (the [[zone]] table, or nothing). */
export function zone3Config(zone: string): string {
  return `${SSH_CONFIG.replace('type = "ssh"', 'type = "s3"')
    .replace('path = "/home/backrest"\nuser = "backrest"\n', 'path = "/var/lib/pgbackrest"\n')
    .replace('[backup_user]', `${S3_TABLE}[backup_user]`)
    .replace(/\[\[host\]\]\nname = "ssh-backup\d"[^[]*/g, '')
    .replace(/(name = "ssh-pg2"[\s\S]*?zone = )2/, '$13')}\n${zone}`;
}

export const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);
const recorded = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;

/**
 * The recorded facts with zone 1's repository read on ssh-pg1 (where an object store's
 * backups run; recorded on ssh-backup1), and ssh-pg2 as a new host when `fresh`: its server
 * down, PG_VERSION absent (or `dataLeft`), PostgreSQL 15's binaries installed. `edit` changes
 * the raw facts before they are typed.
 */
export function zone3Facts(fresh: boolean, dataLeft = false, edit?: (all: Map<string, HostFacts>) => void) {
  const all = new Map(Object.entries(structuredClone(recorded)));
  all.get('ssh-pg1')!.repos = all.get('ssh-backup1')!.repos;
  const pg2 = all.get('ssh-pg2')!;
  // Zone 3's own stanza does not exist yet.
  const { database: _, archiveMin: __, archiveMax: ___, ...repo } = all.get('ssh-backup1')!.repos![0];
  pg2.repos = [
    {
      ...repo,
      stanza: 'pgedge-lab-3',
      backupInfoExists: false,
      backups: [],
      statusCode: 1,
      statusMessage: 'missing stanza path',
    },
  ];
  asNewHost(pg2, fresh, dataLeft);
  edit?.(all);
  return typedAll(all);
}

/** A host's facts as a new host's when `fresh`: its server down, PG_VERSION absent (or `dataLeft`), PostgreSQL 15's binaries installed. */
export function asNewHost(facts: HostFacts, fresh: boolean, dataLeft = false): void {
  if (fresh) {
    facts.postgres = {
      ...{ running: false, error: 'psql: error: connection to server on socket failed', versionNum: 0 },
      ...{ inRecovery: false, settings: {}, fileSettings: [], roles: {}, configFile: '', hbaFile: '' },
      ...{ dataDirectory: '', configContent: '', hbaContent: '' },
    };
    facts.storedLayout = { sources: [], binDirs: ['/usr/lib/postgresql/15/bin'] };
  }
  facts.files[`${DATA}/PG_VERSION`] = dataLeft
    ? { exists: true, kind: 'file', type: 'regular file' }
    : { exists: false };
}

const typedAll = (all: Map<string, HostFacts>) => {
  for (const [name, each] of all) all.set(name, typedFacts(each, name));
  return all;
};

/** The recorded ssh scenario as it is (each zone's repository on its backup host), ssh-pg2 a new host when `fresh`. */
export function sshFacts(fresh: boolean, edit?: (all: Map<string, HostFacts>) => void) {
  const all = new Map(Object.entries(structuredClone(recorded)));
  asNewHost(all.get('ssh-pg2')!, fresh);
  edit?.(all);
  return typedAll(all);
}

export const planDeclared = (inventory: Inventory, byHost: Map<string, HostFacts>): Promise<Planned> =>
  DECLARED_STATE.plan(sessionOf(inventory), byHost);
export const planText = (planned: Planned) => renderPlanText(planned.plan, { color: false });
/** The commands of `host`'s actions of `kind`, one a line. */
export const commandsOf = (planned: Planned, host: string, kind: string) =>
  planned.plan.actions
    .filter((action) => action.host === host && action.kind === kind)
    .flatMap((action) => planned.changes.get(action.address)!.steps.map((step) => step.command))
    .join('\n');

/** The plan's saved file shows none of the config's secrets; ssh-pg2's pgbackrest.conf shows its S3 secret and passphrase as (sensitive). */
export function expectSavedWithoutSecrets(planned: Planned): void {
  const conf = planned.plan.actions.find((action) => action.address === 'ssh-pg2.pgbackrest_conf')!.diff;
  expect(conf).toContain('repo1-s3-key-secret=(sensitive)');
  expect(conf).toContain('repo1-cipher-pass=(sensitive)');
  expect(secretsShownIn(savedPlanText(planned.plan), Object.values(ENV))).toEqual([]);
}

/** ssh-pg2's server running, in recovery or not; `converged`: as the standby site's plan leaves it; then `edit`. */
export function standbyFacts(
  inRecovery: boolean,
  converged = false,
  edit?: (all: Map<string, HostFacts>) => void,
): Map<string, HostFacts> {
  return zone3Facts(false, false, (all) => {
    const pg2 = all.get('ssh-pg2')!;
    const pg = pg2.postgres!;
    pg.inRecovery = inRecovery;
    if (converged) convergedStandby(pg2);
    edit?.(all);
  });
}

/** ssh-pg2 as the standby site's plan leaves it: archiving off, zone 1's stanza read. */
function convergedStandby(pg2: HostFacts): void {
  const pg = pg2.postgres!;
  pg.configContent = pg.configContent
    .replace("archive_mode = 'on'", "archive_mode = 'off'")
    .replace('--stanza=pgedge-lab-2 archive-get', '--stanza=pgedge-lab-1 archive-get');
  pg.settings.archive_mode = { ...pg.settings.archive_mode, setting: 'off' };
  pg.settings.restore_command = {
    ...pg.settings.restore_command,
    setting: 'pgbackrest --stanza=pgedge-lab-1 archive-get %f "%p"',
  };
  const file = pg2.files['/etc/pgbackrest/pgbackrest.conf'];
  file.content = file
    .content!.replace(
      'repo1-host=ssh-backup2\nrepo1-host-user=backrest\nrepo1-hardlink=y\nrepo1-path=/home/backrest\n',
      `repo1-type=s3\nrepo1-s3-bucket=pg-backups\nrepo1-s3-endpoint=s3.example.com\nrepo1-s3-region=eu-west-1\nrepo1-s3-key=${ENV.S3K}\nrepo1-s3-key-secret=${ENV.S3S}\nrepo1-s3-uri-style=host\nrepo1-path=/var/lib/pgbackrest\n`,
    )
    .replace('[pgedge-lab-2]', '[pgedge-lab-1]');
}
