// Issue 27's findings 1, 2, 4 and 7, each first shown through bsync's real parser (a
// hostile answer as a host would print it), then refused at the boundary where host output
// becomes facts (lib/facts/typed.ts) or quoted by the format's one writer. No network.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../lib/apply/redactor.js';
import { executePlan } from '../../lib/apply/execute.js';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { hostNeeds } from '../../lib/desired/needs.js';
import { HostError } from '../../lib/errors.js';
import { hostKeysProbe } from '../../lib/facts/host-keys.js';
import { postgresProbe } from '../../lib/facts/postgres.js';
import { probeContext } from '../../lib/facts/probe.js';
import { repoProbe } from '../../lib/facts/repo.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { publicKeyOf } from '../../lib/resources/ssh-keypair.js';
import { planOverride } from '../../lib/resources/pg-settings.js';
import type { HostConnection } from '../../lib/transport/types.js';
import { findBinaries, requireBinaries } from '../../lib/verify/script.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';
import { unquotedOccurrences } from '../support/shell-words.js';

const inventory = (config = SSH_CONFIG) => parseConfig(config, `${FIXTURES}lab/ssh.toml`, ENV);
const recorded = (state: 'fresh' | 'converged') =>
  new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
const b64 = (text: string) => Buffer.from(text).toString('base64');
/** One framed line, as framed() prints a command's result. */
const framedLine = (stdout: string, code = 0) => `F|${code}|${b64(stdout)}|`;

function refusal(facts: HostFacts): HostError {
  try {
    typedFacts(facts);
  } catch (error) {
    expect(error).toBeInstanceOf(HostError);
    return error as HostError;
  }
  throw new Error('the facts were taken');
}

/** What `pgbackrest info --output=json` says of the lab's stanza, with `edit` applied to its text. */
function infoAnswer(edit: (json: string) => string): string {
  const info = readFileSync(`${FIXTURES}facts/pgbackrest-info.json`, 'utf8');
  return edit(JSON.stringify(JSON.parse(info)));
}

describe("1: a version or label from the repository's host", () => {
  const inv = inventory();
  const backup1 = inv.hosts.find((host) => host.name === 'ssh-backup1')!;
  const ctx = probeContext(inv, backup1, { ...hostNeeds(inv, backup1, recorded('converged')), repos: true });
  const parse = (edit: (json: string) => string) => repoProbe.parse(`Y\n${framedLine(infoAnswer(edit))}`, ctx).repos!;
  const converged = recorded('converged').get('ssh-backup1')!;

  it('the real parser takes `15$(touch x)` as the database version; the boundary refuses it, naming host and fact', () => {
    const repos = parse((json) => json.replace(/"version":"15"/g, '"version":"15$(touch /tmp/x)"'));
    expect(repos[0].database?.version).toBe('15$(touch /tmp/x)');
    const error = refusal({ ...converged, repos });
    expect(error.host).toBe('ssh-backup1');
    // The backups carry their database's version too: the first field read names it.
    expect(error.message).toMatch(
      /repos\[0\]\.(database\.version|backups\[0\]\.pgVersion) is "15\$\(touch \/tmp\/x\)"/,
    );
    expect(error.hint).toContain('a PostgreSQL major version');
  });

  it('a label with a backtick command is refused the same way', () => {
    const repos = parse((json) => json.replace(/"label":"([0-9F-]+)"/, '"label":"$1`touch /tmp/x`"'));
    expect(repos[0].backups[0].label).toContain('`touch /tmp/x`');
    expect(refusal({ ...converged, repos }).message).toMatch(/repos\[0\]\.backups\[0\]\.label is/);
  });

  it("the binaries' search quotes the version where it appears: the shell takes none of it", () => {
    const job = { pgVersion: '15$(touch /tmp/x)' };
    for (const command of [findBinaries(job), requireBinaries(job)])
      expect(unquotedOccurrences(command, '$(touch /tmp/x)'), command).toEqual([]);
  });

  it('unchanged, the recorded answer passes', () => {
    expect(() => typedFacts({ ...converged, repos: parse((json) => json) })).not.toThrow();
  });
});

describe("2: a data directory with a line break, into another host's pgbackrest.conf", () => {
  const inv = inventory(SSH_CONFIG.replace(/^pg_data = .*\n/gm, ''));
  const pg1 = inv.hosts.find((host) => host.name === 'ssh-pg1')!;
  const facts = recorded('converged');
  const hostile = '/var/lib/postgresql/15/main\npg2-host-cmd=touch /tmp/x';
  /** What psql prints: the postmaster's pid, then the facts' JSON object. */
  const psqlAnswer = () => {
    const { running: _, ...pg } = structuredClone(facts.get('ssh-pg1')!.postgres!);
    return `1234\n${JSON.stringify({ ...pg, dataDirectory: hostile })}`;
  };

  it('the real parser takes it; the boundary refuses it', () => {
    const ctx = probeContext(inv, pg1, hostNeeds(inv, pg1, facts));
    const layout = framedLine('/usr/lib/postgresql/15/bin/postgres\n0::/\n');
    const { postgres } = postgresProbe.parse(`${framedLine(psqlAnswer())}\n${layout}`, ctx);
    expect(postgres?.dataDirectory).toBe(hostile);
    const error = refusal({ ...facts.get('ssh-pg1')!, postgres });
    expect(error.message).toContain('postgres.dataDirectory is "/var/lib/postgresql/15/main\\npg2-host-cmd=');
  });

  it("past the boundary too, pgbackrest.conf's writer refuses the value rather than add a line", () => {
    const unchecked = new Map(facts);
    unchecked.set('ssh-pg1', {
      ...facts.get('ssh-pg1')!,
      postgres: { ...facts.get('ssh-pg1')!.postgres!, dataDirectory: hostile },
    });
    expect(() => desiredResources(inv, unchecked)).toThrow(
      /pgbackrest\.conf cannot hold \[pgedge-lab-1\] pg1-path: it holds a line break/,
    );
  });
});

describe('4: postgres chooses the files bsync edits as root', () => {
  const inv = inventory();
  const facts = recorded('converged');
  const withPg = (change: Partial<NonNullable<HostFacts['postgres']>>) => {
    const copy = new Map(facts);
    const host = structuredClone(facts.get('ssh-pg1')!);
    Object.assign(host.postgres!, change);
    copy.set('ssh-pg1', host);
    return copy;
  };

  for (const [field, file, name] of [
    ['configFile', '/etc/shadow', 'postgresql.conf'],
    ['hbaFile', '/root/.ssh/authorized_keys', 'pg_hba.conf'],
  ] as const) {
    it(`a ${field} of ${file} is refused, naming host and path`, () => {
      // The boundary takes it: it is a path. Where it is, is the layout's rule.
      const changed = withPg({ [field]: file });
      expect(() => typedFacts(changed.get('ssh-pg1')!)).not.toThrow();
      expect(() => desiredResources(inv, changed)).toThrow(HostError);
      expect(() => desiredResources(inv, changed)).toThrow(`the server reports its ${name} at ${file}`);
    });
  }

  it("postgresql-common's and the data directory's places are taken", () => {
    const data = facts.get('ssh-pg1')!.postgres!.dataDirectory;
    for (const change of [
      { configFile: '/etc/postgresql/15/main/postgresql.conf', hbaFile: '/etc/postgresql/15/main/pg_hba.conf' },
      { configFile: `${data}/postgresql.conf`, hbaFile: `${data}/pg_hba.conf` },
    ])
      expect(() => desiredResources(inv, withPg(change))).not.toThrow();
  });

  const override = {
    name: 'archive_command',
    setting: 'x',
    sourcefile: '/etc/postgresql/15/main/conf.d/archive.conf',
    applied: true,
    error: null,
  };

  it("a sourceline that is text reaches sed's script, where GNU sed's e command would run it; the boundary refuses it", () => {
    const sourceline = '1e touch /tmp/x\n#' as unknown as number;
    const [step] = planOverride({ ...override, sourceline }, 5432).steps;
    expect(step.command).toContain("'1e touch /tmp/x\n#s/^/");
    const pg = { ...facts.get('ssh-pg1')!.postgres!, fileSettings: [{ ...override, sourceline }] };
    expect(refusal({ ...facts.get('ssh-pg1')!, postgres: pg }).message).toContain(
      'postgres.fileSettings[0].sourceline is "1e touch',
    );
  });

  it("an override in a file outside the server's folders is a conflict: shown, never edited", () => {
    const fileSettings = [{ ...override, sourcefile: '/etc/cron.d/evil', sourceline: 3 }];
    const resource = desiredResources(inv, withPg({ fileSettings })).find((entry) =>
      entry.address.includes('setting_override'),
    );
    expect(resource?.change?.conflict).toContain('/etc/cron.d/evil, outside its data directory');
    expect(resource?.change?.steps).toEqual([]);
  });
});

describe('7: the lines other hosts receive are one parsed key each', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Yw8Q1tM2o0h6z4zXnq0w4P8d1n0bN2x3v4b5c6d7e';
  const second = 'ssh-rsa AAAAB3Nza command="touch /tmp/x"';

  it('a host key line that is no key is refused at the boundary', () => {
    const { hostKeys } = hostKeysProbe.parse(`${key}\nssh-ed25519 AAAA$(touch)x\n`, {} as never);
    expect(hostKeys).toContain('ssh-ed25519 AAAA$(touch)x');
    expect(refusal({ ...recorded('fresh').get('ssh-pg1')!, hostKeys: hostKeys! }).message).toContain('hostKeys[');
  });

  it('a public key file of two lines is no key: it is derived again from the private key', () => {
    expect(publicKeyOf({ exists: true, content: `${key} c\n` })).toBe(key);
    expect(publicKeyOf({ exists: true, content: `${key}\n${second}\n` })).toBeNull();
  });

  it("a keypair step that prints two keys fails, and its peers' authorized_keys is never written", async () => {
    const inv = inventory();
    const facts = recorded('fresh');
    const planned = buildPlan(
      inv,
      inv.hosts.map((host) => host.name),
      desiredResources(inv, facts),
    );
    const written: string[] = [];
    const connection: HostConnection = {
      exec: async (command: string, options?: { stdin?: string }) => {
        written.push(options?.stdin ?? '');
        const keygen = command.includes('ssh-keygen');
        return { code: 0, stdout: keygen ? `${key}\n${second}\n` : '', stderr: '' };
      },
    } as unknown as HostConnection;
    const connections = new Map(inv.hosts.map((host) => [host.name, connection]));
    const results = await executePlan(planned, connections, { allowRestart: true, redactor: new Redactor() });
    const keypairs = results.filter((result) => result.address.includes('ssh_keypair'));
    expect(keypairs.length).toBeGreaterThan(0);
    for (const result of keypairs) {
      expect(result.status).toBe('failed');
      expect(result.message).toContain('its output is not one OpenSSH public key (type base64) on one line');
    }
    expect(results.find((result) => result.address.includes('authorized_keys'))?.status).not.toBe('ok');
    expect(written.join('\n')).not.toContain('touch /tmp/x');
  });
});
