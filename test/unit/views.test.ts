// The output views (lib/views), one per command, each in a text and a JSON form: for plans
// made from recorded facts, the text form prints what renderPlanText gives and the JSON form
// what JSON.stringify gives, byte for byte; errors go through the error view in both forms
// (and reportError through it); a fleet run's per-cluster sink keeps what each view gives. No network.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterSink } from '../../lib/cli/fleet.js';
import { printErrorsAsJson, reportError } from '../../lib/cli/output.js';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError } from '../../lib/errors.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import { renderPlanText } from '../../lib/plan/render-text.js';
import type { Plan } from '../../lib/plan/types.js';
import { APPLY_VIEWS, applyReport } from '../../lib/views/apply.js';
import { ERROR_VIEWS } from '../../lib/views/error.js';
import { FACTS_VIEWS } from '../../lib/views/facts.js';
import {
  clusterSection,
  FLEET_VIEWS,
  fleetDocument,
  fleetSummary,
  type ClusterOutcome,
} from '../../lib/views/fleet.js';
import { PLAN_VIEWS, textPlanView } from '../../lib/views/plan.js';
import { PROGRESS_VIEWS } from '../../lib/views/progress.js';
import type { Sink } from '../../lib/views/sink.js';
import { VALIDATE_VIEWS } from '../../lib/views/validate.js';
import { viewFor, type ViewForms } from '../../lib/views/view-for.js';
import { FIXTURES } from '../support/bsync.js';
import { captureOutput } from '../support/output.js';
import { configProblems } from '../support/configs.js';

function recordedPlan(state: 'fresh' | 'converged'): Plan {
  const inventory = parseConfig(
    readFileSync(`${FIXTURES}lab/ssh.toml`, 'utf8')
      .replace(/cipher_pass = \{ file = "[^"]+" \}/, 'cipher_pass = { env = "C" }')
      .replace(/password = \{ file = "[^"]+" \}/, 'password = { env = "P" }'),
    `${FIXTURES}lab/ssh.toml`,
    { C: 'recorded-cipher-passphrase-0123456789', P: 'recorded-backup-password-0123456789' },
  );
  const facts = new Map(
    Object.entries(JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>),
  );
  return buildPlan(
    inventory,
    inventory.hosts.map((host) => host.name),
    desiredResources(inventory, facts),
  ).plan;
}

const fresh = recordedPlan('fresh');
const converged = recordedPlan('converged');

const out = captureOutput();
afterEach(() => {
  printErrorsAsJson(false);
});

const text = <View>(forms: ViewForms<View>) => viewFor(forms, { json: false, color: false });
const json = <View>(forms: ViewForms<View>) => viewFor(forms, { json: true, color: false });

describe('a plan', () => {
  it('the text view prints what renderPlanText gives, nothing on stderr', () => {
    text(PLAN_VIEWS).plan(fresh);
    expect(out.stdout).toBe(renderPlanText(fresh, { color: false }));
    expect(out.stdout).toContain('  + ssh_keypair[postgres]');
    expect(out.stderr).toBe('');
  });

  it('the JSON view prints what JSON.stringify gives, one document', () => {
    json(PLAN_VIEWS).plan(fresh);
    expect(out.stdout).toBe(`${JSON.stringify(fresh, null, 2)}\n`);
    expect(JSON.parse(out.stdout)).toEqual(JSON.parse(JSON.stringify(fresh)));
    expect(out.stderr).toBe('');
  });

  it('the text view colours only when its style says so', () => {
    const lines: string[] = [];
    const sink: Sink = { text: (t) => lines.push(t), json: () => {}, progress: () => {}, live: false };
    textPlanView(sink, { color: true }).plan(fresh);
    expect(lines).toEqual([renderPlanText(fresh, { color: true })]);
    expect(lines[0]).toContain('\u001b[32m+\u001b[0m');
  });

  it('a plan with no changes reads as it always did', () => {
    text(PLAN_VIEWS).plan(converged);
    expect(out.stdout).toBe('No changes. 4 hosts match ssh.toml.\n');
  });
});

describe('apply', () => {
  it('text: the plan before it asks, the report after; JSON: one document with both', () => {
    const results = fresh.actions.map((action, index) => ({
      address: action.address,
      host: action.host,
      status: index === 1 ? ('failed' as const) : ('done' as const),
      ...(index === 1 ? { message: 'exit 1' } : {}),
      seconds: 1,
    }));
    const applying = text(APPLY_VIEWS).planned(fresh);
    expect(out.stdout).toBe(renderPlanText(fresh, { color: false }));
    applying.report({ results, interrupted: false });
    expect(out.stdout).toBe(`${renderPlanText(fresh, { color: false })}${applyReport(results, fresh.actions)}`);
    expect(out.stdout).toContain(`  failed: ${fresh.actions[1].address}: exit 1\nApply incomplete: `);
    out.stdout = '';
    const machine = json(APPLY_VIEWS).planned(fresh);
    expect(out.stdout).toBe('');
    machine.report({ results, interrupted: false });
    expect(out.stdout).toBe(`${JSON.stringify({ plan: fresh, results, interrupted: false }, null, 2)}\n`);
  });

  it('with nothing to do: no report in text, and no `interrupted` in JSON', () => {
    text(APPLY_VIEWS).planned(converged).report({ results: [] });
    expect(out.stdout).toBe('No changes. 4 hosts match ssh.toml.\n');
    out.stdout = '';
    json(APPLY_VIEWS).planned(converged).report({ results: [] });
    expect(out.stdout).toBe(`${JSON.stringify({ plan: converged, results: [] }, null, 2)}\n`);
    expect(JSON.parse(out.stdout)).not.toHaveProperty('interrupted');
  });
});

describe('an error', () => {
  const error = new BsyncError('cannot reach 1 host:\n  pg1: refused \u001b[2J', {
    where: '/etc/bsync/ha.toml',
    hint: 'Check the address',
    hosts: ['pg1'],
  });
  const message =
    'bsync: error: /etc/bsync/ha.toml: cannot reach 1 host:\n  pg1: refused \\x1b[2J\n  Check the address\n';

  it('text: the message on stderr, control characters escaped, nothing on stdout', () => {
    text(ERROR_VIEWS).error(error);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(message);
  });

  it('JSON: one object on stdout and the same message on stderr', () => {
    json(ERROR_VIEWS).error(error);
    expect(out.stdout).toBe(
      `${JSON.stringify(
        {
          error: {
            message: 'cannot reach 1 host:\n  pg1: refused \u001b[2J',
            where: '/etc/bsync/ha.toml',
            hint: 'Check the address',
            hosts: ['pg1'],
          },
        },
        null,
        2,
      )}\n`,
    );
    expect(out.stderr).toBe(message);
  });

  it('an error that is not bsync’s keeps its message alone', () => {
    json(ERROR_VIEWS).error(new Error('plain'));
    expect(out.stdout).toBe('{\n  "error": {\n    "message": "plain"\n  }\n}\n');
    expect(out.stderr).toBe('bsync: error: plain\n');
  });

  it('reportError goes through the view --json chose, and says exit 1', () => {
    expect(reportError(error)).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(message);
    out.stderr = '';
    printErrorsAsJson(true);
    expect(reportError(error)).toBe(1);
    expect(JSON.parse(out.stdout).error.hosts).toEqual(['pg1']);
    expect(out.stderr).toBe(message);
  });
});

describe('a config with several problems', () => {
  const problems = configProblems('a.toml');
  const lines =
    'bsync: error: a.toml:4: repo.cipher_pass: the environment variable C is not set\n  Export C\n'
    + 'bsync: error: a.toml:14: host[2].zone: must be at least 1, got 0\n';

  it('text: each problem on its own error line, as it would read alone', () => {
    text(ERROR_VIEWS).error(problems);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(lines);
  });

  it('JSON: one error holding each problem under errors, and the same lines on stderr', () => {
    json(ERROR_VIEWS).error(problems);
    expect(out.stdout).toBe(
      `${JSON.stringify(
        {
          error: {
            message: '2 problems in the config',
            where: 'a.toml',
            errors: [
              {
                message: 'repo.cipher_pass: the environment variable C is not set',
                where: 'a.toml:4',
                hint: 'Export C',
              },
              { message: 'host[2].zone: must be at least 1, got 0', where: 'a.toml:14' },
            ],
          },
        },
        null,
        2,
      )}\n`,
    );
    expect(out.stderr).toBe(lines);
  });
});

describe('validate, facts and progress', () => {
  it('validate: a line for a person, or one JSON line', () => {
    text(VALIDATE_VIEWS).validate({ config: 'a.toml', hosts: 1, warnings: [] });
    text(VALIDATE_VIEWS).validate({ config: 'b.toml', hosts: 4, warnings: [] });
    expect(out.stdout).toBe('a.toml: valid, 1 host.\nb.toml: valid, 4 hosts.\n');
    out.stdout = '';
    json(VALIDATE_VIEWS).validate({ config: 'a.toml', hosts: 2, warnings: ['w'] });
    expect(out.stdout).toBe('{"valid":true,"warnings":["w"],"hosts":2}\n');
  });

  it('facts are JSON in both views', () => {
    const facts = { pg1: { os: 'debian' } };
    text(FACTS_VIEWS).facts(facts);
    const asText = out.stdout;
    out.stdout = '';
    json(FACTS_VIEWS).facts(facts);
    expect(asText).toBe(out.stdout);
    expect(out.stdout).toBe(`${JSON.stringify(facts, null, 2)}\n`);
  });

  it('progress is a line on stderr in both forms of every view that says it', () => {
    const views = [PROGRESS_VIEWS, PLAN_VIEWS, APPLY_VIEWS, VALIDATE_VIEWS, FLEET_VIEWS];
    for (const forms of views) {
      text<{ progress(message: string): void }>(forms).progress('Gathering facts from 4 hosts...');
      json<{ progress(message: string): void }>(forms).progress('Gathering facts from 4 hosts...');
    }
    expect(out.stderr).toBe('Gathering facts from 4 hosts...\n'.repeat(2 * views.length));
    expect(out.stdout).toBe('');
  });
});

describe('a fleet run', () => {
  const outcome = (label: string, fields: Partial<ClusterOutcome>): ClusterOutcome => ({
    config: `/etc/bsync/${label}`,
    label,
    cluster: 'lab',
    code: 0,
    changes: false,
    text: '',
    metrics: [],
    success: true,
    ...fields,
  });
  it('text: each cluster under its heading, then the summary', () => {
    const drifted = outcome('ssh.toml', { changes: true, code: 2 });
    const inSync = outcome('s3.toml', {});
    viewFor(PLAN_VIEWS, { json: false, color: false }, clusterSink(drifted)).plan(fresh);
    viewFor(PLAN_VIEWS, { json: false, color: false }, clusterSink(inSync)).plan(converged);
    expect(drifted.text).toBe(renderPlanText(fresh, { color: false }));
    const view = text(FLEET_VIEWS);
    view.cluster(inSync);
    view.cluster(drifted);
    view.fleet({ command: 'plan', exitCode: 2, changes: 'with changes' });
    expect(out.stdout).toBe(
      `${clusterSection(inSync)}${clusterSection(drifted)}${fleetSummary([inSync, drifted], 'with changes')}\n`,
    );
    expect(out.stdout).toContain('Fleet: 2 clusters, 1 with changes (ssh.toml), 0 failed.\n');
  });

  it('JSON: nothing per cluster, then one document holding each cluster’s plan', () => {
    const drifted = outcome('ssh.toml', { changes: true, code: 2 });
    viewFor(PLAN_VIEWS, { json: true, color: false }, clusterSink(drifted)).plan(fresh);
    expect(drifted.json).toBe(fresh);
    expect(drifted.text).toBe('');
    const view = json(FLEET_VIEWS);
    view.cluster(drifted);
    expect(out.stdout).toBe('');
    view.fleet({ command: 'plan', exitCode: 2, changes: 'with changes' });
    expect(out.stdout).toBe(`${JSON.stringify(fleetDocument('plan', [drifted], 2), null, 2)}\n`);
    expect(JSON.parse(out.stdout).clusters[0].plan.nonce).toBe(fresh.nonce);
  });

  it('a cluster’s progress goes to stderr with its label', () => {
    const kept = outcome('ssh.toml', {});
    viewFor(PLAN_VIEWS, { json: true, color: false }, clusterSink(kept)).progress('Gathering facts from 4 hosts...');
    expect(out.stderr).toBe('ssh.toml: Gathering facts from 4 hosts...\n');
  });
});
