// What each host's probe asks for (its FactNeeds, sorted) and the plan made from the recorded
// facts, for every fixture config, kept in fixtures/needs-goldens/: recorded before needs
// were derived from the parts' declarations (lib/desired/part.ts), so a change in what a
// probe asks for, or in a plan, shows here as a diff.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import type { FactNeeds } from '../../lib/facts/needs.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, noBackupHost, s3Repo, SSH_CONFIG, sshZone, withSecondRepo } from '../support/configs.js';

const GOLDENS = `${FIXTURES}needs-goldens/`;
const STAND_INS = {
  ...ENV,
  SECRET: 'c2VjcmV0LXN0YW5kLWluLTAxMjM0NTY3ODk=',
  SERVICE_KEY: JSON.stringify({
    client_email: 'bsync@bsync-lab.iam.gserviceaccount.com',
    private_key: '-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----\n',
    token_uri: 'https://gcs.lab/token',
  }),
  BSYNC_CIPHER: ENV.CIPHER,
  BSYNC_BACKUP_PASSWORD: ENV.PASSWORD,
  K: ENV.S3K,
  S: ENV.S3S,
  CA_KEY: readFileSync(`${FIXTURES}tls/ca.key`, 'utf8'),
};
const PATRONI = `[patroni]\nconfig = "/etc/patroni/patroni.yml"\ncreate_replica_methods = ["pgbackrest", "basebackup"]\n\n[schedule]`;
const TLS = `\n[tls]\nca_cert = "${FIXTURES}tls/ca.crt"\nca_key = { env = "CA_KEY" }\n`;

/** The ssh scenario's variants, planned on the recorded facts too. */
const ON_RECORDED: Record<string, string> = {
  ssh: SSH_CONFIG,
  'ssh-s3-ca': withSecondRepo(s3Repo('', `ca_file = "${FIXTURES}good/example-ca.crt"`)),
  'zone-standby': sshZone('standby'),
  'zone-s3-standby': noBackupHost('s3', 'standby'),
  'zone-posix': noBackupHost('posix'),
  'async-no-backup-user': `${SSH_CONFIG.replace('[backup_user]\n', '[backup_user]\nenabled = false\n')}\n[pgbackrest.global]\narchive-async = true\n`,
  tls: SSH_CONFIG.replace('type = "ssh"\n', 'type = "ssh"\ntransport = "tls"\n') + TLS,
  patroni: SSH_CONFIG.replace('[schedule]', PATRONI),
  'zone-posix-patroni': noBackupHost('posix').replace('[schedule]', PATRONI),
};

/** A fixture config with its secret files and CA files as stand-ins (they exist only where the lab runs). */
function fixtureText(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\{ file = "[^"]+\.json" \}/g, '{ env = "SERVICE_KEY" }')
    .replace(/\{ file = "[^"]+" \}/g, '{ env = "SECRET" }')
    .replace(/ca_file = "[^"]+"/g, `ca_file = "${FIXTURES}good/example-ca.crt"`);
}

const CONFIG_FILES = [
  ...['good/', 'good/fleet/', 'lab/'].flatMap((dir) =>
    readdirSync(`${FIXTURES}${dir}`)
      .filter((name) => name.endsWith('.toml'))
      .map((name) => `${dir}${name}`),
  ),
];

/** Needs in an order of their own: what is asked, not the order it was asked in. */
function sortedNeeds(needs: FactNeeds): FactNeeds {
  return {
    ...needs,
    files: [...needs.files].sort((a, b) => a.path.localeCompare(b.path)),
    users: [...needs.users].sort(),
    crontabs: [...needs.crontabs].sort(),
  };
}

function needsText(inventory: Inventory): string {
  const byHost = Object.fromEntries(
    inventory.hosts.map((host) => [host.name, sortedNeeds(hostNeeds(inventory, host))]),
  );
  return `${JSON.stringify(byHost, null, 2)}\n`;
}

const PATRONI_YML = 'scope: bsync-ha\npostgresql:\n  create_replica_methods:\n  - basebackup\n';

/** The recorded facts; under [patroni], each PostgreSQL host's Patroni answering too (the recording has none). */
function recorded(state: 'fresh' | 'converged', inventory: Inventory): Map<string, HostFacts> {
  const facts = new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
  const members = inventory.hosts
    .filter((each) => each.role === 'postgres')
    .map((each) => ({
      name: each.name,
      host: each.address,
      role: facts.get(each.name)?.postgres?.inRecovery ? 'Replica' : 'Leader',
      state: 'running',
      pendingRestart: false,
    }));
  for (const host of inventory.patroni ? inventory.hosts.filter((each) => each.role === 'postgres') : []) {
    const hostFacts = facts.get(host.name)!;
    hostFacts.patroni = { scope: 'bsync-ha', dynamic: { postgresql: { parameters: {} } }, members, errors: [] };
    hostFacts.files[inventory.patroni!.config] = { exists: true, kind: 'file', content: PATRONI_YML };
  }
  return facts;
}

/** The plan's text, or the error planning stops with. */
function planText(inventory: Inventory, facts: Map<string, HostFacts>): string {
  try {
    const hosts = inventory.hosts.map((host) => host.name);
    return renderPlanText(buildPlan(inventory, hosts, desiredResources(inventory, facts)).plan, { color: false });
  } catch (error) {
    return `error: ${(error as Error).message}\n`;
  }
}

describe('every fixture config: what each host is asked for', () => {
  for (const file of CONFIG_FILES) {
    it(file, async () => {
      const inventory = parseConfig(fixtureText(`${FIXTURES}${file}`), `${FIXTURES}${file}`, STAND_INS);
      await expect(needsText(inventory)).toMatchFileSnapshot(`${GOLDENS}${file.replace(/\//g, '-')}.needs.json`);
    });
  }
});

describe('the ssh scenario variants: needs, and plans on the recorded facts', () => {
  for (const [name, text] of Object.entries(ON_RECORDED)) {
    it(name, async () => {
      const inventory = parseConfig(text, `${FIXTURES}lab/ssh.toml`, STAND_INS);
      await expect(needsText(inventory)).toMatchFileSnapshot(`${GOLDENS}${name}.needs.json`);
      for (const state of ['fresh', 'converged'] as const) {
        await expect(planText(inventory, recorded(state, inventory))).toMatchFileSnapshot(
          `${GOLDENS}${name}.${state}.plan.txt`,
        );
      }
    });
  }
});
