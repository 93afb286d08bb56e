// The cron recipes of docs/ run as written (issue 31, item 6): every ```cron block of
// docs/drift.md, docs/monitoring.md and docs/first-cluster.md is dropped into /etc/cron.d
// of an operator machine of its own and run by the real cron daemon, with only each job's
// schedule moved to the coming minute. The operator machine is a mount namespace of this
// one: its /etc holds /etc/bsync as docs/first-cluster.md makes it (the config with its
// secrets, key and known_hosts in root-only files), the package is installed in
// /usr/local as `npm install -g` does where Node came from nodejs.org, nothing of the
// test's environment reaches the jobs, and a stand-in sendmail keeps the mails cron sends.
// On the converged trixie scenario (a lane of its own beside the ssh scenario's tests) no job mails; after a hand-made drift the drift jobs mail
// the plan with exit 2, and the others stay quiet.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronJob } from '../../lib/formats/cron.js';
import { KNOWN_HOSTS, OPERATOR_KEY, upTrixie } from '../lab/lab.js';
import { FIXTURES } from '../support/bsync.js';
import { resetScenario, sh } from '../support/lab.js';
import { installPackage } from '../support/package.js';
import { converge } from '../support/recovery.js';

const DOCS = ['drift.md', 'monitoring.md', 'first-cluster.md'];
const LAB = `${FIXTURES}lab/trixie.toml`;
const DRIFTED = 'trixie-backup1';
const LAB_SECRETS = '/var/tmp/bsync-lab/secrets';
const work = mkdtempSync(join(tmpdir(), 'bsync-cron-recipes-'));
const PREFIX = join(work, 'usr-local');

interface Recipe {
  doc: string;
  /** The file the block says it is (`# /etc/cron.d/NAME`). */
  name: string;
  text: string;
}

/** Every ```cron block of the docs, each distinct text once. */
function recipes(): Recipe[] {
  const found = new Map<string, Recipe>();
  for (const doc of DOCS) {
    const markdown = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
    for (const [, text] of markdown.matchAll(/^```cron\n([\s\S]*?)^```$/gm)) {
      const name = /^# \/etc\/cron\.d\/([a-z-]+):/.exec(text)?.[1];
      expect(name, `${doc}: a cron block names its file in its first line`).toBeDefined();
      if (!found.has(text)) found.set(text, { doc, name: name!, text });
    }
  }
  return [...found.values()];
}

/** The recipe with each job's schedule (five fields) replaced; `keep` picks the jobs that stay. */
function scheduled(text: string, schedule: string, keep: (command: string) => boolean = () => true): string {
  return text
    .split('\n')
    .filter((line) => cronJob(line) === null || keep(line))
    .map((line) => (cronJob(line) === null ? line : line.replace(/^(\S+\s+){5}/, `${schedule} `)))
    .join('\n');
}

/** The lab's trixie config as an operator keeps it in /etc/bsync: key, known_hosts and secrets beside it, root-only. */
function operatorEtc(root: string): void {
  const etc = join(root, 'etc-upper', 'bsync');
  for (const dir of [etc, join(etc, 'ssh'), join(etc, 'secrets')]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = readFileSync(LAB, 'utf8')
    .replaceAll(OPERATOR_KEY, '/etc/bsync/ssh/id_ed25519')
    .replaceAll(KNOWN_HOSTS, '/etc/bsync/ssh/known_hosts')
    .replaceAll(`${LAB_SECRETS}/`, '/etc/bsync/secrets/');
  expect(config, 'the config reads nothing from the lab state').not.toContain('/var/tmp');
  writeFileSync(join(etc, 'bsync.toml'), config, { mode: 0o600 });
  copyFileSync(OPERATOR_KEY, join(etc, 'ssh', 'id_ed25519'));
  copyFileSync(KNOWN_HOSTS, join(etc, 'ssh', 'known_hosts'));
  for (const secret of readdirSync(LAB_SECRETS)) copyFileSync(join(LAB_SECRETS, secret), join(etc, 'secrets', secret));
  for (const file of [
    'ssh/id_ed25519',
    'ssh/known_hosts',
    ...readdirSync(LAB_SECRETS).map((name) => `secrets/${name}`),
  ])
    chmodSync(join(etc, file), 0o600);
  // No system jobs: only the recipe runs.
  writeFileSync(join(root, 'etc-upper', 'crontab'), '# the test operator machine: no system jobs\n');
}

/** A stand-in sendmail: each mail cron sends, with its arguments, as a file in the machine's /var/tmp. */
const SENDMAIL = `#!/bin/sh
f=/var/tmp/mail.$(date +%s%N)
{ echo "ARGS: $*"; cat; } > "$f.tmp" && mv "$f.tmp" "$f"
`;

/** One operator machine: its folders, and the cron daemon running the recipe. */
class Operator {
  readonly root: string;
  private daemon?: ChildProcess;

  constructor(readonly recipe: Recipe) {
    this.root = join(work, recipe.name);
    for (const dir of ['etc-upper', 'etc-work', 'cron.d', 'varlib-upper', 'varlib-work', 'sbin-upper', 'sbin-work'])
      mkdirSync(join(this.root, dir), { recursive: true });
    for (const dir of ['vartmp', 'run', 'home-root', 'crontabs']) mkdirSync(join(this.root, dir), { mode: 0o700 });
    chmodSync(join(this.root, 'vartmp'), 0o1777);
    mkdirSync(join(this.root, 'varlib-upper', 'prometheus', 'node-exporter'), { recursive: true });
    writeFileSync(join(this.root, 'sbin-upper', 'sendmail'), SENDMAIL, { mode: 0o755 });
    operatorEtc(this.root);
  }

  /** Writes the recipe (schedules moved) into its /etc/cron.d and starts cron in a namespace of its own. */
  start(text: string): void {
    writeFileSync(join(this.root, 'cron.d', this.recipe.name), text, { mode: 0o644 });
    const r = this.root;
    const mounts = [
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${r}/etc-upper,workdir=${r}/etc-work /etc`,
      `mount --bind ${r}/cron.d /etc/cron.d`,
      `mount -t overlay overlay -o lowerdir=/var/lib,upperdir=${r}/varlib-upper,workdir=${r}/varlib-work /var/lib`,
      `mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=${r}/sbin-upper,workdir=${r}/sbin-work /usr/sbin`,
      // The package over the machine's own /usr/local (where Node itself may live).
      // Read-only: two lower layers, no upper (each operator mounts its own).
      `mount -t overlay overlay -o lowerdir=${PREFIX}:/usr/local /usr/local`,
      `mount --bind ${r}/vartmp /var/tmp`,
      `mount --bind ${r}/run /run`,
      `mount --bind ${r}/home-root /root`,
      `mount --bind ${r}/crontabs /var/spool/cron/crontabs`,
    ];
    this.daemon = spawn(
      'unshare',
      [
        '--mount',
        '--pid',
        '--fork',
        '--mount-proc',
        '--propagation',
        'private',
        '/bin/sh',
        '-ec',
        `${mounts.join('\n')}\nexec /usr/sbin/cron -f`,
      ],
      // Nothing of the test's environment: cron makes the jobs' own.
      { detached: true, stdio: 'ignore', env: {} },
    );
  }

  /** cron's pid as this machine sees it (the namespace's pid 1). */
  private cronPid(): string | undefined {
    const pid = this.daemon?.pid;
    if (!pid) return undefined;
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')[0];
    } catch {
      return undefined;
    }
  }

  /** Whether cron runs no job now (it forks a child for each). */
  idle(): boolean {
    const pid = this.cronPid();
    if (!pid) return false;
    try {
      execFileSync('pgrep', ['-P', pid]);
      return false;
    } catch {
      return true;
    }
  }

  stop(): void {
    if (this.daemon?.pid) process.kill(-this.daemon.pid, 'SIGKILL');
    this.daemon = undefined;
  }

  mails(): string[] {
    const dir = join(this.root, 'vartmp');
    return readdirSync(dir)
      .filter((name) => /^mail\.\d+$/.test(name))
      .sort()
      .map((name) => readFileSync(join(dir, name), 'utf8'));
  }

  clearMails(): void {
    execFileSync('sh', ['-c', `rm -f ${join(this.root, 'vartmp')}/mail.*`]);
  }

  file(path: string): string {
    const local = path.startsWith('/var/tmp/')
      ? join(this.root, 'vartmp', path.slice('/var/tmp/'.length))
      : join(this.root, 'varlib-upper', path.slice('/var/lib/'.length));
    return readFileSync(local, 'utf8');
  }
}

/** The coming minute at least 20 s away, as cron's five fields (local time, as cron reads it), and when it starts. */
function comingMinute(): { schedule: string; at: number } {
  const at = new Date(Date.now() + 20_000);
  at.setSeconds(0, 0);
  at.setMinutes(at.getMinutes() + 1);
  return { schedule: `${at.getMinutes()} ${at.getHours()} * * *`, at: at.getTime() };
}

/** Starts each operator on its recipe at the coming minute, waits until its jobs ran and ended, and stops it. */
async function round(operators: Operator[], keep?: (line: string) => boolean): Promise<void> {
  const { schedule, at } = comingMinute();
  for (const operator of operators) operator.start(scheduled(operator.recipe.text, schedule, keep));
  try {
    await new Promise((resolve) => setTimeout(resolve, at - Date.now() + 5_000));
    for (let waited = 0; waited < 240 && !operators.every((operator) => operator.idle()); waited += 2)
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(
      operators.every((operator) => operator.idle()),
      'every job ended within 4 minutes',
    ).toBe(true);
  } finally {
    for (const operator of operators) operator.stop();
  }
}

const ALL = recipes();
const byName = (name: string, operators: Operator[]) => operators.find((operator) => operator.recipe.name === name)!;

describe("docs/' cron recipes, run as written by the cron daemon", () => {
  const operators = ALL.map((recipe) => new Operator(recipe));

  beforeAll(async () => {
    // The trixie scenario is not part of the default lab: started here (its root filesystem is cached).
    await Promise.all([upTrixie().then(() => resetScenario('trixie')), installPackage(work, PREFIX)]);
    await converge(LAB);
  }, 900_000);
  afterAll(() => {
    for (const operator of operators) operator.stop();
  });

  it('the docs hold the two recipes, each with PATH and its jobs as root', () => {
    expect(ALL.map((recipe) => recipe.name).sort()).toEqual(['bsync', 'bsync-drift']);
    for (const recipe of ALL) {
      expect(recipe.text).toMatch(/^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
      for (const line of recipe.text.split('\n').filter((entry) => cronJob(entry) !== null))
        expect(line).toMatch(/^(\S+\s+){5}root cd \/etc\/bsync && bsync /);
    }
  });

  it('on the converged hosts every job runs and none mails: the plan has no changes, the metrics are written', async () => {
    await round(operators);
    for (const operator of operators) expect(operator.mails(), operator.recipe.name).toEqual([]);
    const drift = byName('bsync-drift', operators);
    expect(drift.file('/var/tmp/bsync-drift.txt')).toMatch(/^No changes\. \d+ hosts match bsync\.toml\.$/m);
    const nightly = byName('bsync', operators);
    const plan = nightly.file('/var/lib/prometheus/node-exporter/bsync-plan.prom');
    expect(plan).toMatch(/^bsync_run_success\{[^}]*command="plan"[^}]*\} 1$/m);
    expect(plan).not.toMatch(/^bsync_drift_actions\{/m);
    expect(nightly.file('/var/lib/prometheus/node-exporter/bsync-status.prom')).toMatch(/^bsync_backups\{/m);
    expect(nightly.file('/var/lib/prometheus/node-exporter/bsync-verify.prom')).toMatch(
      /^bsync_verify_success\{[^}]*\} 1$/m,
    );
    expect(nightly.file('/var/tmp/bsync-check.txt')).toMatch(/^OK: /m);
  }, 600_000);

  it('after a hand-made drift the drift jobs mail the plan with exit 2 to their MAILTO; status and check stay quiet', async () => {
    for (const operator of operators) operator.clearMails();
    await sh(DRIFTED, 'crontab -u backrest -r');
    // The weekly verify is left out of this round: it proved itself above.
    await round(operators, (line) => !line.includes('bsync verify'));
    const drift = byName('bsync-drift', operators).mails();
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatch(/^ARGS: .*dba@example\.com$/m);
    expect(drift[0]).toMatch(/^bsync exit 2$/m);
    expect(drift[0]).toContain('crontab[backrest]');
    expect(drift[0]).toMatch(/^Plan: \d+ to add, \d+ to change, \d+ to remove\.$/m);
    const nightly = byName('bsync', operators).mails();
    // The plan job mails its plan; the status and check jobs print nothing.
    expect(nightly).toHaveLength(1);
    expect(nightly[0]).toContain('crontab[backrest]');
    expect(byName('bsync', operators).file('/var/lib/prometheus/node-exporter/bsync-plan.prom')).toMatch(
      new RegExp(`^bsync_drift_actions\\{host="${DRIFTED}",kind="crontab"\\} 1$`, 'm'),
    );
    await converge(LAB);
  }, 600_000);
});
