// `npm test`: every suite, in lanes that share no lab host, so the lab's two groups of
// scenarios run side by side (vitest.config.ts names the projects; docs/lab.md says which
// scenario belongs to which lane and why).
//   1. the unit tests (no lab), while the lab comes up;
//   2. test/lab (it takes the whole lab down and up again: alone);
//   3. hosts-a (ssh, s3) beside hosts-b (ha, posix, azure, multi, rocky, adopt, scale, trixie, forky).
// One vitest process per project, each file after the other inside it, as before. Arguments
// go to every process; a JSON report (--outputFile.json=PATH) is each process's, merged into
// PATH at the end. Any file filter, --project, or BSYNC_NO_LAB=1 runs one plain vitest
// instead (what a developer runs by hand).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { buildRootfs, up } from '../lab/lab.js';

const VITEST = 'node_modules/.bin/vitest';

interface Report {
  numTotalTestSuites: number;
  numPassedTestSuites: number;
  numFailedTestSuites: number;
  numPendingTestSuites: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  startTime: number;
  success: boolean;
  testResults: Array<{ name: string; status: string; assertionResults: Array<{ status: string; fullName: string }> }>;
}

const COUNTS = [
  'numTotalTestSuites',
  'numPassedTestSuites',
  'numFailedTestSuites',
  'numPendingTestSuites',
  'numTotalTests',
  'numPassedTests',
  'numFailedTests',
  'numPendingTests',
  'numTodoTests',
] as const;

/** The JSON report's path among the arguments, in either spelling, and the arguments without it. */
function splitReport(args: string[]): { report?: string; rest: string[] } {
  const rest: string[] = [];
  let report: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i].startsWith('--outputFile.json=')) report = args[i].slice('--outputFile.json='.length);
    else if (args[i] === '--outputFile.json') report = args[++i];
    else rest.push(args[i]);
  }
  return { report, rest };
}

/** Runs one vitest process; its output lines carry the lane's name when lanes run side by side. */
function vitest(args: string[], env: NodeJS.ProcessEnv, label?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(VITEST, ['run', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const [stream, out] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => out.write(label ? `[${label}] ${line}\n` : `${line}\n`));
    }
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** A lane's report, or one failed entry that says the lane wrote none. */
function laneReport(path: string, lane: string, code: number): Report {
  if (existsSync(path)) {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    rmSync(path);
    return report;
  }
  const fullName = `lane ${lane} wrote no report (vitest exited with ${code})`;
  return {
    ...Object.fromEntries(COUNTS.map((key) => [key, 0])),
    numTotalTests: 1,
    numFailedTests: 1,
    startTime: Date.now(),
    success: false,
    testResults: [{ name: `lane ${lane}`, status: 'failed', assertionResults: [{ status: 'failed', fullName }] }],
  } as Report;
}

function merged(reports: Report[]): Report {
  const sum = Object.fromEntries(COUNTS.map((key) => [key, reports.reduce((total, r) => total + (r[key] ?? 0), 0)]));
  return {
    ...(sum as Record<(typeof COUNTS)[number], number>),
    startTime: Math.min(...reports.map((r) => r.startTime)),
    success: reports.every((r) => r.success),
    testResults: reports.flatMap((r) => r.testResults),
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const filtered = args.some((arg) => !arg.startsWith('-')) || args.some((arg) => arg.startsWith('--project'));
  if (filtered || process.env.BSYNC_NO_LAB === '1') return vitest(args, {});

  const { report, rest } = splitReport(args);
  const lane = (name: string, env: NodeJS.ProcessEnv, label?: string) => {
    const own = report ? [`--outputFile.json=${report}.${name}.json`] : [];
    return vitest([...rest, ...own, '--project', name], env, label).then((code) => ({ name, code }));
  };
  const ran: Array<{ name: string; code: number }> = [];
  // The lab comes up once, here; the processes below skip global-setup's `up` (BSYNC_LAB_UP).
  // The Debian generations' root filesystems are built meanwhile too (cached; a fresh machine
  // builds each once): their suites then start at once. A failed build is the suite's to report.
  const [unit, labUp] = await Promise.all([
    lane('unit', { BSYNC_NO_LAB: '1' }),
    up().then(
      async () => {
        for (const suite of ['trixie', 'forky'] as const) {
          const built = await buildRootfs(suite);
          if (built.code !== 0) process.stderr.write(`the ${suite} root filesystem was not built:\n${built.stderr}\n`);
        }
        return 0;
      },
      (error: Error) => {
        process.stderr.write(`the lab did not come up: ${error.message}\n`);
        return 1;
      },
    ),
  ]);
  ran.push(unit);
  if (labUp !== 0) ran.push({ name: 'lab-up', code: labUp });
  else {
    ran.push(await lane('lab', { BSYNC_LAB_UP: '1' }));
    const side = (name: string, label: string) => lane(name, { BSYNC_LAB_UP: '1' }, label);
    ran.push(...(await Promise.all([side('hosts-a', 'a'), side('hosts-b', 'b')])));
  }
  if (report)
    writeFileSync(
      report,
      JSON.stringify(merged(ran.map(({ name, code }) => laneReport(`${report}.${name}.json`, name, code)))),
    );
  return Math.max(...ran.map(({ code }) => code));
}

process.exitCode = await main();
