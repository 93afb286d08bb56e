// The command line's conventions (issue 32, item 5): -h, did-you-mean for commands and
// options, one error prefix, --json usage errors as JSON on stdout, validate checking
// --zone and --host as plan does, each command's own options first in its help, unlock's
// required --host in its usage, `bsync show PLANFILE`, `bsync completion`, and the Node
// version checked before anything that needs Node 20 loads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePlanFile } from '../../lib/plan/saved.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import { BSYNC, bsync, FIXTURES, STACK_TRACE } from '../support/bsync.js';
import { ADOPTING_PLAN } from '../support/plans.js';
import { spawnSync } from 'node:child_process';

const SSH = `${FIXTURES}lab/ssh.toml`;
const dir = mkdtempSync(join(tmpdir(), 'bsync-conventions-'));

describe('usage', () => {
  it('-h is --help', async () => {
    const [short, long] = await Promise.all([bsync(['plan', '-h']), bsync(['plan', '--help'])]);
    expect(short.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect((await bsync(['-h'])).stdout).toContain('bsync <command> [options]');
  });

  it.each([
    [['plna'], 'bsync: error: unknown command "plna" (did you mean plan?)'],
    [['plan', '--jsno'], 'bsync: error: unknown option --jsno for plan (did you mean --json?)'],
    [['plan', '--dry-run'], 'bsync: error: unknown option --dry-run (bsync plan is the dry run: it changes nothing)\n'],
    [['plan', '--stanza', 'x'], 'bsync: error: unknown option --stanza (bsync verify takes it)'],
    [['show'], 'bsync: error: show needs its planfile: bsync show <planfile>'],
    [['unlock'], 'bsync: error: unlock needs its lease: bsync unlock <lease> --host NAME'],
  ])('%j: says what was meant, exit 1', async (args, message) => {
    const run = await bsync(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('dryRun');
  });

  it('with --json a usage error is a JSON object on stdout too', async () => {
    const run = await bsync(['plan', '--json', '--bogus']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toStrictEqual({ error: { message: 'unknown option --bogus for plan' } });
    expect(run.stderr).toBe('bsync: error: unknown option --bogus for plan\n');
  });

  it("lists a command's own options before the global ones, and unlock's --host in its usage", async () => {
    const plan = (await bsync(['plan', '--help'])).stdout;
    expect(plan.indexOf('--detailed-exitcode')).toBeLessThan(plan.indexOf('Global options:'));
    expect(plan.indexOf('Global options:')).toBeLessThan(plan.indexOf('--config'));
    expect((await bsync(['unlock', '--help'])).stdout).toMatch(/^bsync unlock <lease> --host NAME\n/);
  });

  it("shows an option once: init's own --host, not also the global one", async () => {
    const init = (await bsync(['init', '--help'])).stdout;
    expect(init.match(/^ +--host /gm)).toHaveLength(1);
    expect(init).toContain('NAME=ADDRESS:ROLE:ZONE');
    expect(init).not.toContain('only this host');
    // Another command still lists the global one.
    expect((await bsync(['plan', '--help'])).stdout).toMatch(/^ +--host +only this host/m);
  });

  it('prints a completion script that asks bsync for its words', async () => {
    const script = await bsync(['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('complete -o bashdefault -o default -F _bsync_yargs_completions bsync');
    const words = await bsync(['--get-yargs-completions', 'bsync', 'pl']);
    expect(words.stdout.split('\n')).toContain('plan');
  });
});

describe('one error prefix', () => {
  it('a fleet section says bsync: error: as a single run does', async () => {
    const bad = `${FIXTURES}bad/01-syntax-unclosed-string.toml`;
    const run = await bsync(['validate', '-c', SSH, '-c', bad]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^bsync: error: ${bad}:`, 'm'));
    expect(run.stdout).not.toMatch(/^Error:/m);
  });
});

describe('validate checks --zone and --host as plan does', () => {
  it.each([
    [['--zone', '9'], '--zone 9: no such zone in the config\n  Zones: 1, 2'],
    [['--host', 'nope'], '--host nope: no such host in the config'],
  ])('%j', async (args, message) => {
    const run = await bsync(['validate', '-c', SSH, ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bsync: error: ${SSH}: ${message}`);
    expect((await bsync(['validate', '-c', SSH, '--zone', '2'])).code).toBe(0);
  });
});

describe('bsync show PLANFILE', () => {
  const plan = ADOPTING_PLAN;
  const file = join(dir, 'saved.json');
  writePlanFile(file, plan);

  it('prints it as plan does, text or --json, needing no config', async () => {
    const text = await bsync(['show', file, '-c', join(dir, 'none.toml')]);
    expect(text).toStrictEqual({ code: 0, stdout: renderPlanText(plan, { color: false }), stderr: '' });
    const json = await bsync(['show', '--json', file]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toStrictEqual(plan);
  });

  it('shows a plan whose signature does not hold, saying so on stderr', async () => {
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, `${JSON.stringify({ ...plan, signature: 'a'.repeat(64) })}\n`);
    const run = await bsync(['show', foreign]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(renderPlanText(plan, { color: false }));
    expect(run.stderr).toContain(`warning: ${foreign}: the saved plan's signature does not hold`);
    expect(run.stderr).toContain('Shown anyway; bsync apply refuses this file.');
  });

  it('refuses a file that is no plan, as apply does', async () => {
    const run = await bsync(['show', SSH]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bsync: error: ${SSH}: the saved plan is `);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});

describe('the Node version', () => {
  it('is checked before anything else loads, with a clear message', () => {
    const old = join(dir, 'old-node.mjs');
    writeFileSync(
      old,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.19.0' } });\n",
    );
    const run = spawnSync(process.execPath, ['--import', old, BSYNC, 'plan'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^bsync: error: bsync needs Node 20\.19 or newer; this is Node 18\.19\.0 \(/);
  });
});
