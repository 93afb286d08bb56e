// The recovery window on the lab (ssh scenario): after a backup, rows and a WAL switch,
// `bsync status` shows the window in UTC (text, JSON its schema takes, metrics) from the
// backup's consistent point to the switched segment, archived; `bsync restore` without
// --target prints it before asking; a target just outside it is refused with the server
// untouched (running, and stopped: then the end is the repository file's time), and targets just inside it (one as psql prints now() with a +05:30 zone)
// restore exactly the data of that moment (compared by checksum).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { onHost, resetScenario } from '../support/lab.js';
import { checksum, converge, expectNoChanges, expectRestored, psql, restore, timeline } from '../support/recovery.js';

const SSH = `${FIXTURES}lab/ssh.toml`;
const work = mkdtempSync(join(tmpdir(), 'bsync-window-'));
const validStatus = new Ajv.default({ strict: true }).compile(
  JSON.parse(readFileSync(new URL('../../schemas/status.schema.json', import.meta.url), 'utf8')),
);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Window {
  from: { backup: string; at: string; lsn: string; wal: string } | null;
  to: { wal: string; at: string; atIs: 'archived' | 'at least' } | null;
  timelines: number[];
  gaps: string[];
}

/** The postmaster's pid: the same before and after means nothing was stopped. */
const postmaster = async () =>
  (await onHost('ssh-pg1', 'head -n 1 /var/lib/postgresql/15/main/postmaster.pid 2>/dev/null')).stdout.trim();

/** zone 1's repo1 window as `bsync status --json` reports it, checked against the status schema. */
async function statusWindow(): Promise<Window> {
  const run = await bsync(['status', '-c', SSH, '--json', '--zone', '1']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const report = JSON.parse(run.stdout);
  expect(validStatus(report), JSON.stringify(validStatus.errors)).toBe(true);
  const stanza = report.stanzas.find(
    (entry: { stanza: string; repo: { key: string } }) => entry.stanza === 'pgedge-lab-1' && entry.repo.key === 'repo1',
  );
  return stanza.window;
}

/** Switches WAL on ssh-pg1 and waits up to 30 s until the primary has archived the segment it closed (or a later one). */
async function switchAndArchive(): Promise<string> {
  const segment = (await psql('ssh-pg1', 'SELECT pg_walfile_name(pg_switch_wal())')).trim();
  let archived = '';
  for (let i = 0; i < 30 && archived < segment; i += 1) {
    archived = (await psql('ssh-pg1', 'SELECT coalesce(last_archived_wal, $$$$) FROM pg_stat_archiver')).trim();
    if (archived < segment) await pause(1000);
  }
  expect(archived.slice(0, 24) >= segment, `${segment} archived (last: ${archived})`).toBe(true);
  return segment;
}

/** A UTC instant moved by `seconds`, as `YYYY-MM-DD HH:MM:SS+00`. */
const shifted = (iso: string, seconds: number) =>
  `${new Date(Date.parse(iso) + seconds * 1000).toISOString().replace('T', ' ').slice(0, 19)}+00`;

describe('the recovery window, ssh repository', () => {
  const seen: { zero?: string; first?: string; target?: string; label?: string; segment?: string; window?: Window } =
    {};

  beforeAll(async () => {
    await resetScenario('ssh');
    await converge(SSH);
  }, 600_000);
  afterAll(async () => {
    await onHost('ssh-pg1', `cd / && runuser -u postgres -- psql -XAtq -c 'DROP TABLE IF EXISTS restore_probe'`);
  });

  it('status shows the window after a backup, rows and a WAL switch: the backup consistent .. the switched segment, archived', async () => {
    await psql('ssh-pg1', 'DROP TABLE IF EXISTS restore_probe');
    await psql('ssh-pg1', 'CREATE TABLE restore_probe (id int PRIMARY KEY, v text)');
    await psql('ssh-pg1', "INSERT INTO restore_probe SELECT g, 'zero' FROM generate_series(1, 1000) g");
    seen.zero = await checksum('ssh-pg1');
    // A new full backup; retention keeps one, so the window starts where it became consistent.
    const backup = await bsync(['backup', '-c', SSH, '--zone', '1', '--type', 'full']);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    seen.label = /New backup in repo1: (\S+F) \(full/.exec(backup.stderr)?.[1];
    expect(seen.label, backup.stderr).toBeDefined();
    await pause(3000);
    await psql('ssh-pg1', 'INSERT INTO restore_probe SELECT g, md5(g::text) FROM generate_series(1001, 5000) g');
    seen.first = await checksum('ssh-pg1');
    await pause(1100);
    // The target as psql prints now() in a session whose zone is +05:30.
    seen.target = (await psql('ssh-pg1', "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE; SELECT now()")).trim();
    expect(seen.target).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{1,6}\+05:30$/);
    await pause(1100);
    await psql('ssh-pg1', "UPDATE restore_probe SET v = 'changed' WHERE id % 7 = 0");
    seen.segment = await switchAndArchive();

    const window = await statusWindow();
    seen.window = window;
    expect(window.from).toMatchObject({ backup: seen.label });
    // The switched segment, or a later one an archive_timeout closed since.
    expect(window.to).toMatchObject({ atIs: 'archived' });
    expect(window.to!.wal >= seen.segment).toBe(true);
    expect(Date.parse(window.to!.at)).toBeGreaterThan(Date.parse(seen.target.replace(' ', 'T')));
    expect(Date.parse(window.from!.at)).toBeLessThan(Date.parse(seen.target.replace(' ', 'T')));
    expect(window.timelines).toContain(await timeline('ssh-pg1'));
    expect(window.gaps).toEqual([]);

    const text = await bsync(['status', '-c', SSH, '--zone', '1']);
    expect(text.stdout).toContain(
      `pgedge-lab-1 repo1: ${window.from!.at} (backup ${seen.label} consistent) .. ${window.to!.at} (${window.to!.wal}, archived then)`,
    );
    const promFile = join(work, 'status.prom');
    expect((await bsync(['status', '-c', SSH, '--zone', '1', '--prom-file', promFile])).code).toBe(0);
    const families = parsePrometheus(readFileSync(promFile, 'utf8')) as Array<{
      name: string;
      metrics: Array<{ value: string; labels: Record<string, string> }>;
    }>;
    const value = (name: string) =>
      Number(
        families
          .find((family) => family.name === name)!
          .metrics.find((metric) => metric.labels.stanza === 'pgedge-lab-1')!.value,
      );
    expect(value('bsync_recovery_window_start_seconds')).toBe(Date.parse(window.from!.at) / 1000);
    expect(value('bsync_recovery_window_end_seconds')).toBe(Date.parse(window.to!.at) / 1000);
  }, 600_000);

  it('restore without --target prints the window before asking; without --yes nothing runs', async () => {
    const window = seen.window!;
    const pid = await postmaster();
    const run = await restore(SSH, '--zone', '1', '--allow-overwrite');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `Recovery window of repo1 (UTC): ${window.from!.at} (backup ${seen.label} consistent)`,
    );
    expect(run.stdout + run.stderr).toContain('confirm with --yes');
    expect(await postmaster()).toBe(pid);
  }, 600_000);

  it('refuses a time just outside the window, before anything stops', async () => {
    const window = seen.window!;
    const pid = await postmaster();
    expect(pid).toMatch(/^\d+$/);
    const data = await checksum('ssh-pg1');
    const cases: Array<{ target: string; message: RegExp }> = [
      // A second before the backup became consistent.
      { target: shifted(window.from!.at, -1), message: /is before the recovery window of repo1: / },
      // A running primary archives up to the moment it stops: past that is the future.
      { target: shifted(new Date().toISOString(), 120), message: /is in the future/ },
    ];
    for (const { target, message } of cases) {
      const run = await restore(SSH, '--zone', '1', '--target', `time=${target}`, '--allow-overwrite', '--yes');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout + run.stderr).toMatch(message);
      expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
      expect(await postmaster()).toBe(pid);
    }
    expect(await checksum('ssh-pg1')).toBe(data);
  }, 600_000);

  it("with the server stopped, the window ends when the backup host's repository got the newest segment, and a time past it is refused with the data directory untouched", async () => {
    const listing = () =>
      onHost('ssh-pg1', "find /var/lib/postgresql/15/main -printf '%p %s %T@\\n' | LC_ALL=C sort | sha256sum").then(
        (run) => run.stdout,
      );
    await onHost('ssh-pg1', 'pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast');
    try {
      const window = await statusWindow();
      // No primary runs: the time is the segment file's, read on ssh-backup1.
      expect(window.to).toMatchObject({ atIs: 'archived' });
      expect(window.to!.wal >= seen.segment!).toBe(true);
      const before = await listing();
      const past = new Date(Date.parse(window.to!.at) + 1000).toISOString();
      const run = await restore(SSH, '--zone', '1', '--target', `time=${past}`, '--yes');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout + run.stderr).toContain('is past the end of the recovery window of repo1');
      expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
      expect(await listing()).toBe(before);
      expect(await postmaster()).toBe('');
    } finally {
      await onHost('ssh-pg1', 'pg_ctlcluster --skip-systemctl-redirect 15 main start');
    }
  }, 600_000);

  it('restores to a time inside the window written as psql prints it (+05:30): exactly the rows of that moment', async () => {
    const before = await timeline('ssh-pg1');
    const run = await restore(SSH, '--zone', '1', '--target', `time=${seen.target}`, '--allow-overwrite', '--yes');
    // The plan shows the instant in UTC.
    const utc = new Date(Date.parse(seen.target!.replace(' ', 'T'))).toISOString().slice(0, 19);
    expect(run.stdout).toContain(`target: time=${utc}`);
    await expectRestored('ssh-pg1', run, seen.first!, before);
    await expectNoChanges(SSH);
  }, 600_000);

  it("restores to a second after the window's start: the rows the backup held", async () => {
    const window = seen.window!;
    const before = await timeline('ssh-pg1');
    const run = await restore(
      SSH,
      '--zone',
      '1',
      '--target',
      `time=${shifted(window.from!.at, 1)}`,
      '--allow-overwrite',
      '--yes',
    );
    await expectRestored('ssh-pg1', run, seen.zero!, before);
    // The archive now holds the restores' timelines too, and the window names them.
    const after = await statusWindow();
    expect(after.timelines).toContain(await timeline('ssh-pg1'));
    expect(after.gaps).toEqual([]);
    await expectNoChanges(SSH);
  }, 600_000);
});
