// Each host's options judged by the option table of its own pgBackRest release (issue 30,
// item 2), on facts recorded from the lab's ssh scenario with the hosts' versions altered:
// a 2.45 host beside a 2.60 one. validate, which knows no release, refuses only what no
// release takes, and says which releases take the rest.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { releaseNotes } from '../../lib/desired/option-versions.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, problemsOf, s3Repo, SSH_CONFIG, withSecondRepo } from '../support/configs.js';

const load = (text: string) => parseConfig(text, `${FIXTURES}lab/ssh.toml`, ENV);

/** The recorded facts, each host running the version `versions` gives it (the recorded one otherwise). */
function facts(versions: Record<string, string>): Map<string, HostFacts> {
  const recorded = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-converged.json`, 'utf8')) as Record<string, HostFacts>;
  for (const [host, version] of Object.entries(versions)) recorded[host].pgbackrestVersion = version;
  return new Map(Object.entries(recorded));
}

/** Every host at `version`. */
const all = (version: string) =>
  facts(Object.fromEntries(['ssh-pg1', 'ssh-pg2', 'ssh-backup1', 'ssh-backup2'].map((host) => [host, version])));

/** The message planning stops with, or null when it plans. */
function refusal(text: string, hostFacts: Map<string, HostFacts>): string | null {
  const inventory = load(text);
  try {
    buildPlan(
      inventory,
      inventory.hosts.map((host) => host.name),
      desiredResources(inventory, hostFacts),
    );
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(BsyncError);
    return (error as BsyncError).message;
  }
}

const global = (lines: string) => `${SSH_CONFIG}\n[pgbackrest.global]\n${lines}\n`;

describe('an option only newer releases have', () => {
  it('allow-root (2.59): refused by name for the 2.45 host, accepted for the 2.60 one', () => {
    const text = global('allow-root = true');
    // ssh-pg1 and ssh-pg2 are zone 1 and 2's PostgreSQL hosts: zone 2 runs 2.45 here, zone 1 2.60.
    const mixed = facts({ 'ssh-pg1': '2.60.0', 'ssh-backup1': '2.60.0', 'ssh-pg2': '2.45', 'ssh-backup2': '2.45' });
    expect(refusal(text, mixed)).toBe(
      'pgbackrest.global.allow-root: host ssh-pg2 runs pgBackRest 2.45: 2.45 does not have allow-root (pgBackRest 2.59 has it)',
    );
    expect(refusal(text, all('2.60.0'))).toBeNull();
    expect(refusal(text, all('2.59.1'))).toBeNull();
    // 2.57 is judged by 2.57's own table, 2.58.1 by 2.58's.
    expect(refusal(text, all('2.58.1'))).toBe(
      'pgbackrest.global.allow-root: host ssh-pg1 runs pgBackRest 2.58.1: 2.58.1 does not have allow-root (pgBackRest 2.59 has it)',
    );
  });

  it("checksum-page-error: 2.60.0's binary has it, which the development tree did not define", () => {
    const text = `${SSH_CONFIG}\n[pgbackrest."global:backup"]\nchecksum-page-error = true\n`;
    expect(refusal(text, all('2.60.0'))).toBeNull();
    expect(refusal(text, all('2.59.1'))).toBe(
      'pgbackrest."global:backup".checksum-page-error: host ssh-pg1 runs pgBackRest 2.59.1: 2.59.1 does not have checksum-page-error (pgBackRest 2.60 has it)',
    );
  });

  it('stop-auto, which 2.58 dropped: accepted for 2.57, refused for 2.60 naming the last release that had it', () => {
    const text = global('stop-auto = true');
    expect(refusal(text, all('2.57.0'))).toBeNull();
    expect(refusal(text, all('2.60.0'))).toBe(
      'pgbackrest.global.stop-auto: host ssh-pg1 runs pgBackRest 2.60.0: 2.60.0 does not have stop-auto (pgBackRest 2.57 had it; 2.60 does not list it)',
    );
  });

  it('validate takes them and says plan checks each host against its own release', () => {
    const inventory = load(global('allow-root = true'));
    expect(releaseNotes(inventory)).toEqual([
      "pgbackrest.global.allow-root: pgBackRest 2.59, 2.60 take it, 2.45 to 2.58 do not; plan checks it against each host's own release",
    ]);
    expect(releaseNotes(load(global('process-max = 2')))).toEqual([]);
  });
});

describe('a rule that changed between releases: upload chunk sizes by repository type (2.58)', () => {
  const chunk = (size: string) =>
    `${withSecondRepo(s3Repo())}\n[pgbackrest.global]\nrepo2-storage-upload-chunk-size = "${size}"\n`;

  it('2MiB for s3: 2.56 takes it (64KiB to 1TiB), 2.58 and newer do not (5MiB to 1GiB for s3)', () => {
    expect(refusal(chunk('2MiB'), all('2.56.0'))).toBeNull();
    expect(refusal(chunk('2MiB'), all('2.45'))).toBeNull();
    expect(refusal(chunk('2MiB'), all('2.60.0'))).toBe(
      'pgbackrest.global.repo2-storage-upload-chunk-size: host ssh-pg1 runs pgBackRest 2.60.0: by the option list of 2.60, repo2-storage-upload-chunk-size must be a size such as "128MiB" or a number of bytes from 5MiB to 1GiB, got "2MiB" when repo2-type is s3 (what bsync writes) (pgBackRest 2.45 to 2.57 takes it)',
    );
    expect(refusal(chunk('8MiB'), all('2.60.0'))).toBeNull();
  });

  it('validate takes 2MiB (some releases do) and names the releases that do', () => {
    expect(releaseNotes(load(chunk('2MiB')))).toEqual([
      "pgbackrest.global.repo2-storage-upload-chunk-size: pgBackRest 2.45 to 2.57 take it, 2.58 to 2.60 do not; plan checks it against each host's own release",
    ]);
  });
});

describe('compress-level by compress-type (issue 32, item 7)', () => {
  it('is refused by validate where no release takes it: 19 with gz (pgBackRest default), 23 with zst, 0 with bz2', () => {
    expect(problemsOf(() => load(global('compress-level = 19')), false)).toEqual([
      "pgbackrest.global.compress-level: must be a whole number from -1 to 9, got 19 when compress-type is gz (pgBackRest's default): no pgBackRest release takes it (its option table: compress-level's range depends on compress-type), and pgBackRest refuses every command with it",
    ]);
    expect(problemsOf(() => load(global('compress-level = 23\ncompress-type = "zst"')), false)).toEqual([
      "pgbackrest.global.compress-level: must be a whole number from -7 to 22, got 23 when compress-type is zst (pgbackrest.global.compress-type): no pgBackRest release takes it (its option table: compress-level's range depends on compress-type), and pgBackRest refuses every command with it",
    ]);
    expect(problemsOf(() => load(global('compress-level = 0\ncompress-type = "bz2"')), false)).toHaveLength(1);
  });

  it('the compress-type of a command section counts for that command', () => {
    const text = `${SSH_CONFIG}\n[pgbackrest.global]\ncompress-level = 19\n\n[pgbackrest."global:backup"]\ncompress-type = "zst"\n`;
    // archive-push reads gz (the default) with 19: refused.
    expect(problemsOf(() => load(text), false)[0]).toContain('got 19 when compress-type is gz');
  });

  it('19 with zst: taken by validate and by every release, 2.45 to 2.60', () => {
    const text = global('compress-level = 19\ncompress-type = "zst"');
    expect(releaseNotes(load(text))).toEqual([]);
    for (const version of ['2.45', '2.55.1', '2.56.0', '2.60.0']) expect(refusal(text, all(version))).toBeNull();
  });
});
