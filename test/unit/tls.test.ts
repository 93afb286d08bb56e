// transport = "tls" on the recorded ssh facts (fixtures/facts/ssh-converged.json), with a
// test CA and certificates in fixtures/tls/: the config's refusals, pgBackRest's options on
// both sides, the certificate resources and their drift (29 against 31 days), no SSH trust,
// and a CA key that never reaches a plan. No network; openssl signs once, locally.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { Inventory } from '../../lib/config/inventory.js';
import { desiredResources } from '../../lib/desired/index.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { knownText, type Resource } from '../../lib/resources/types.js';
import { TLS_FILES } from '../../lib/repositories/ssh.js';
import { localConnection } from '../../lib/transport/local.js';
import { RELEASES } from '../../lib/pgbackrest-options/index.js';
import { FIXTURES } from '../support/bsync.js';
import { refusalOf } from '../support/configs.js';

const CIPHER = 'recorded-cipher-passphrase-0123456789';
const PASSWORD = 'recorded-backup-password-0123456789';
const CA_KEY = readFileSync(`${FIXTURES}tls/ca.key`, 'utf8');
const tlsFile = (name: string) => readFileSync(`${FIXTURES}tls/${name}`, 'utf8');

function config(
  repoExtra = 'transport = "tls"\n',
  tail = `\n[tls]\nca_cert = "${FIXTURES}tls/ca.crt"\nca_key = { env = "CA_KEY" }\n`,
): string {
  return (
    readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
      .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "CIPHER" }')
      .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "PASSWORD" }')
      .replace('type = "ssh"\n', `type = "ssh"\n${repoExtra}`) + tail
  );
}

const load = (text: string): Inventory => parseConfig(text, `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD, CA_KEY });

/** What validate says of a config, or '' when it loads. */
function refusal(text: string): string {
  try {
    load(text);
    return '';
  } catch (error) {
    const errors = (error as { errors?: Error[] }).errors ?? [error as Error];
    return errors.map((each) => each.message).join('\n');
  }
}

function recorded(): Map<string, HostFacts> {
  return new Map(
    Object.entries(
      JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>,
    ),
  );
}

const DAY = 86_400;

/** ssh-pg1 and ssh-backup1 with their key, certificate and the CA in place, the server running, the clock `daysLeft` before expiry. */
function withTls(daysLeft: number, certOf: (host: string) => string = (host) => tlsFile(`${host}.crt`)) {
  const facts = recorded();
  for (const host of ['ssh-pg1', 'ssh-backup1']) {
    const hostFacts = facts.get(host)!;
    const file = (content?: string) => ({
      exists: true,
      kind: 'file' as const,
      owner: 'root',
      group: 'x',
      mode: '0644',
      content,
    });
    hostFacts.files[TLS_FILES.key] = file();
    hostFacts.files[TLS_FILES.publicKey] = file(tlsFile(`${host}.pub`));
    hostFacts.files[TLS_FILES.cert] = file(certOf(host));
    hostFacts.files[TLS_FILES.ca] = file(tlsFile('ca.crt'));
    const expires = Date.parse(new X509Certificate(certOf(host)).validTo) / 1000;
    hostFacts.clock = Math.round(expires - daysLeft * DAY);
    const user = host === 'ssh-pg1' ? 'postgres' : 'backrest';
    hostFacts.tlsServer = { manager: 'none', uids: [hostFacts.users[user]!.uid] };
  }
  return facts;
}

const byAddress = (resources: Resource[], address: string) => {
  const found = resources.find((resource) => resource.address === address);
  expect(found, `${address} is planned`).toBeDefined();
  return found!;
};

const confText = (resources: Resource[], host: string) =>
  (byAddress(resources, `${host}.pgbackrest_conf`).change?.diff?.after ?? [])
    .map((part) => (typeof part === 'string' ? part : '(part)'))
    .join('');

describe('transport = "tls" in the config', () => {
  it('loads with [tls], defaults days 365 and port 8432, keeps the ssh default byte for byte', () => {
    const inventory = load(config());
    expect(inventory.repos[0].transport).toBe('tls');
    expect(inventory.tls).toMatchObject({ days: 365, port: 8432 });
    expect(String(inventory.tls!.caKey)).toBe('(sensitive)');
    const plain = load(config('', ''));
    expect(plain.tls).toBeUndefined();
    expect('transport' in plain.repos[0]).toBe(false);
  });

  it('refuses tls without [tls], [tls] without tls, and transport on a repository with no backup host', () => {
    expect(refusal(config('transport = "tls"\n', ''))).toMatch(/repo\.transport: "tls" needs the CA/);
    expect(refusal(config('', `\n[tls]\nca_cert = "${FIXTURES}tls/ca.crt"\nca_key = { env = "CA_KEY" }\n`))).toMatch(
      /tls: is read only with transport = "tls"/,
    );
    const s3 = config('transport = "tls"\n').replace('type = "ssh"', 'type = "posix"');
    expect(refusal(s3)).toMatch(/repo\.transport: only goes with repo\.type = "ssh"/);
  });

  it('refuses tls-server-* and repoN-host-cert-file by hand beside it, and a CA key of another CA', () => {
    const byHand = config(
      'transport = "tls"\n',
      `\n[tls]\nca_cert = "${FIXTURES}tls/ca.crt"\nca_key = { env = "CA_KEY" }\n\n[pgbackrest.global]\ntls-server-address = "*"\nrepo1-host-cert-file = "/x.crt"\n`,
    );
    const message = refusal(byHand);
    expect(message).toMatch(/pgbackrest\.global\.tls-server-address: is set by bsync on every host of the zone/);
    expect(message).toMatch(
      /pgbackrest\.global\.repo1-host-cert-file: is set by bsync with the ssh repository's transport = "tls"/,
    );
    const otherKey = () =>
      parseConfig(config(), `${FIXTURES}lab/ssh.toml`, { CIPHER, PASSWORD, CA_KEY: tlsFile('other-ca.key') });
    expect(otherKey).toThrow(/tls\.ca_key: is not the key of tls\.ca_cert/);
    expect(
      refusal(config('transport = "tls"\n', '\n[tls]\nca_cert = "/nonexistent/ca.crt"\nca_key = { env = "CA_KEY" }\n')),
    ).toMatch(/tls\.ca_cert: cannot read/);
  });
});

describe('planning transport = "tls" where SSH was in use', () => {
  const inventory = load(config());
  const resources = desiredResources(inventory, recorded());

  it('writes the TLS client and server options on both sides, and no SSH user or port', () => {
    const pg = confText(resources, 'ssh-pg1');
    expect(pg).toContain('repo1-host=ssh-backup1\nrepo1-host-type=tls\n');
    expect(pg).toContain(
      `repo1-host-cert-file=${TLS_FILES.cert}\nrepo1-host-key-file=${TLS_FILES.key}\nrepo1-host-ca-file=${TLS_FILES.ca}\n`,
    );
    expect(pg).not.toContain('repo1-host-user');
    expect(pg).toContain('tls-server-address=127.0.1.11\ntls-server-auth=ssh-backup1=pgedge-lab-1\n');
    const backup = confText(resources, 'ssh-backup1');
    expect(backup).toContain('pg1-host=ssh-pg1\npg1-host-type=tls\n');
    expect(backup).not.toContain('pg1-host-user');
    expect(backup).toContain('tls-server-auth=ssh-pg1=pgedge-lab-1\n');
    expect(backup).toContain(`tls-server-cert-file=${TLS_FILES.cert}\n`);
  });

  it('makes each key on its host, signs on the controller with the CA key on stdin only, then writes the certificate', () => {
    const key = byAddress(resources, 'ssh-pg1.tls_key[ssh-pg1]').change!;
    expect(key.action).toBe('create');
    expect(key.steps[0].command).toContain('openssl genpkey');
    expect(key.steps[0].on).toBeUndefined();
    const cert = byAddress(resources, 'ssh-pg1.tls_cert[ssh-pg1]').change!;
    expect(cert.steps[0].on).toBe('controller');
    expect(cert.steps[0].command).not.toContain('PRIVATE KEY');
    expect(cert.steps[0].stdin?.[0]).toEqual({ secret: inventory.tls!.caKey });
    expect(cert.steps[1].on).toBeUndefined();
    expect(byAddress(resources, 'ssh-pg1.tls_server[ssh-pg1]').change?.action).toBe('create');
  });

  it('installs no SSH keys or trust, and takes out the lines bsync wrote before', () => {
    expect(resources.some((resource) => ['ssh_keypair', 'ssh_dir'].includes(resource.kind))).toBe(false);
    for (const address of ['ssh-backup1.authorized_keys[backrest]', 'ssh-pg1.authorized_keys[postgres]']) {
      const change = byAddress(resources, address).change;
      expect(change?.action).toBe('update');
      expect(knownText(change!.diff!.after)).not.toMatch(/bsync:/);
    }
  });

  it('keeps the CA key out of the plan, its text and its JSON', () => {
    const { plan } = buildPlan(
      inventory,
      inventory.hosts.map((host) => host.name),
      resources,
    );
    const keyBody = CA_KEY.split('\n')[1];
    expect(JSON.stringify(plan)).not.toContain(keyBody);
    expect(renderPlanText(plan, { color: false } as never)).not.toContain(keyBody);
  });
});

describe('certificate drift', () => {
  const inventory = load(config());
  const plan = (facts: Map<string, HostFacts>) => desiredResources(inventory, facts);

  it('leaves a certificate with 31 days left alone, and renews one with 29', () => {
    const fine = plan(withTls(31));
    expect(byAddress(fine, 'ssh-pg1.tls_cert[ssh-pg1]').change).toBeNull();
    expect(byAddress(fine, 'ssh-pg1.tls_key[ssh-pg1]').change).toBeNull();
    const due = plan(withTls(29));
    const cert = byAddress(due, 'ssh-backup1.tls_cert[ssh-backup1]').change!;
    expect(cert.action).toBe('update');
    expect(cert.reason).toMatch(/expires on \d{4}-\d\d-\d\d, within 30 days/);
    expect(byAddress(due, 'ssh-backup1.tls_server[ssh-backup1]').change?.reason).toMatch(/its certificate/);
  });

  it('renews a certificate of another CA, or for another host name', () => {
    const otherCa = plan(withTls(200, (host) => tlsFile(host === 'ssh-pg1' ? 'ssh-pg1.other-ca.crt' : `${host}.crt`)));
    expect(byAddress(otherCa, 'ssh-pg1.tls_cert[ssh-pg1]').change?.reason).toMatch(/not signed by \[tls\]\.ca_cert/);
    const swapped = plan(withTls(200, (host) => tlsFile(host === 'ssh-pg1' ? 'ssh-backup1.crt' : `${host}.crt`)));
    expect(byAddress(swapped, 'ssh-pg1.tls_cert[ssh-pg1]').change?.reason).toMatch(/not for the host's key/);
  });

  it("signs a certificate openssl and pgBackRest accept: the host's key, its name, both uses", async () => {
    const change = byAddress(plan(withTls(29)), 'ssh-pg1.tls_cert[ssh-pg1]').change!;
    const sign = change.steps[0];
    const stdin = sign
      .stdin!.map((part) => (typeof part === 'string' ? part : 'secret' in part ? part.secret.reveal() : ''))
      .join('');
    const result = await localConnection().exec(sign.command, { stdin });
    expect(result.stderr).toBe('');
    const cert = new X509Certificate(result.stdout);
    expect(cert.subject).toBe('CN=ssh-pg1');
    expect(cert.subjectAltName).toBe('DNS:ssh-pg1, IP Address:127.0.1.11');
    expect(cert.verify(new X509Certificate(tlsFile('ca.crt')).publicKey)).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim()).toBe(
      tlsFile('ssh-pg1.pub').trim(),
    );
  });
});

describe("each host's pgBackRest release, by its option list", () => {
  const inventory = load(config());
  /** The message and hint planning refuses with when `host` runs `version` (every other host 2.45). */
  const refusal = (host: string, version: string, plan = inventory) => {
    const facts = recorded();
    facts.get(host)!.pgbackrestVersion = version;
    return refusalOf(() => desiredResources(plan, facts));
  };
  const WAY_OUT = 'set repo.transport = "ssh" (pgBackRest\'s own SSH between the hosts).';

  it('takes the releases whose list has the TLS server and host type tls (2.45, 2.55)', () => {
    for (const version of ['2.45', '2.55.1', '2.57']) {
      const facts = recorded();
      for (const one of facts.values()) one.pgbackrestVersion = version;
      expect(() => desiredResources(inventory, facts), version).not.toThrow();
    }
  });

  it('refuses a host older than every list, the backup host or a PostgreSQL host, naming it, its release and repo.transport', () => {
    expect(refusal('ssh-backup1', '2.36')).toBe(
      `repo.transport: host ssh-backup1 runs pgBackRest 2.36: that is older than 2.45, the oldest release whose option list bsync has, so bsync cannot tell whether 2.36 has tls-server-address | Upgrade pgBackRest on ssh-backup1, or ${WAY_OUT}`,
    );
    expect(refusal('ssh-pg2', '2.40')).toMatch(
      /^repo\.transport: host ssh-pg2 runs pgBackRest 2\.40: that is older than 2\.45/,
    );
    // The same hosts over SSH: nothing asked of their release.
    expect(() => {
      const facts = recorded();
      facts.get('ssh-backup1')!.pgbackrestVersion = '2.36';
      desiredResources(load(config('', '')), facts);
    }).not.toThrow();
  });

  it('follows the list: one without the TLS server, or without host type tls, is refused at repo.transport', () => {
    const [oldest] = RELEASES;
    const server = oldest.options['tls-server-address'];
    const hostType = oldest.options['repo-host-type'];
    try {
      delete oldest.options['tls-server-address'];
      expect(refusal('ssh-pg1', '2.45')).toBe(
        `repo.transport: host ssh-pg1 runs pgBackRest 2.45: 2.45 does not have tls-server-address (pgBackRest 2.55 has it) | Upgrade pgBackRest on ssh-pg1, or ${WAY_OUT}`,
      );
      oldest.options['tls-server-address'] = server;
      oldest.options['repo-host-type'] = { ...hostType, allowed: ['ssh'] };
      expect(refusal('ssh-pg1', '2.45')).toMatch(
        /^repo\.transport: host ssh-pg1 runs pgBackRest 2\.45: by the option list of 2\.45, repo1-host-type must be .*"ssh".*, got "tls" \(pgBackRest 2\.55 to 2\.60 takes it\) \| Upgrade pgBackRest on ssh-pg1, or set repo\.transport = "ssh"/,
      );
    } finally {
      oldest.options['tls-server-address'] = server;
      oldest.options['repo-host-type'] = hostType;
    }
  });
});
