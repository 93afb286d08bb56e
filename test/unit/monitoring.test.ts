// The shipped alert rules and Grafana dashboard (monitoring/): promtool's own rule unit
// tests pass, and every metric they name is one bsync writes (lib/metrics/names.ts), which
// is in turn exactly what the writers produce, so renaming or dropping a metric fails here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { timingsMetrics } from '../../lib/apply/timings.js';
import { fleetMetrics } from '../../lib/cli/fleet.js';
import { METRIC_NAMES, runMetrics } from '../../lib/metrics/prom.js';
import { planMetrics } from '../../lib/plan/metrics.js';
import type { Plan } from '../../lib/plan/types.js';
import { statusMetrics } from '../../lib/status/metrics.js';
import type { StatusReport } from '../../lib/status/report.js';
import { verifyMetrics } from '../../lib/verify/report.js';
import type { VerifyReport } from '../../lib/verify/report.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MONITORING = join(ROOT, 'monitoring');

/** PromQL's words that are not metric names: keywords and aggregation modifiers. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: its identifiers once strings, label
 * matchers, ranges, label lists of by/without/on/ignoring, Grafana's $variables and function
 * calls are taken out (Grafana's `label_values(metric, label)` selects the metric). `{__name__="…"}` selectors are read too.
 */
function promqlMetrics(expr: string): string[] {
  const byName = [...expr.matchAll(/__name__\s*=~?\s*"([^"]*)"/g)].map((match) => match[1]);
  const bare = expr
    // Grafana's label_values(metric, label): the label is not a metric.
    .replace(/\blabel_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)/g, ' $1 ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?[smhdwy]?\b/gi, ' ');
  const words = [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((match) => match[2] === undefined && !KEYWORDS.has(match[1].toLowerCase()))
    .map((match) => match[1]);
  return [...byName, ...words];
}

/** Every PromQL expression of a dashboard: its panels' (rows' too) targets and its query variables. */
function dashboardExpressions(dashboard: { panels: unknown[]; templating?: { list: unknown[] } }): string[] {
  type Panel = { panels?: Panel[]; targets?: Array<{ expr?: string }> };
  const panels = (dashboard.panels as Panel[]).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const targets = panels.flatMap((panel) => panel.targets ?? []).flatMap((target) => target.expr ?? []);
  const variables = ((dashboard.templating?.list ?? []) as Array<{ type: string; definition?: string }>)
    .filter((variable) => variable.type === 'query')
    .map((variable) => variable.definition ?? '');
  return [...targets, ...variables];
}

function ruleExpressions(rules: { groups: Array<{ rules: Array<{ expr: string }> }> }): string[] {
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

/** The names an expression selects that bsync does not write. */
const unknownIn = (expressions: string[]) =>
  expressions.flatMap((expr) =>
    promqlMetrics(expr)
      .filter((name) => !(METRIC_NAMES as readonly string[]).includes(name))
      .map((name) => `${name} in ${expr}`),
  );

const rulesText = readFileSync(join(MONITORING, 'bsync.rules.yml'), 'utf8');
const dashboardText = readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8');

describe('the metric names', () => {
  it('are exactly what the writers write: a metric dropped or renamed in a writer changes this list', () => {
    const written = [
      ...runMetrics('plan', true, 1),
      ...planMetrics({ actions: [], hosts: [], problems: [] } as unknown as Plan),
      ...statusMetrics({ stanzas: [], standbySites: [] } as unknown as StatusReport),
      ...verifyMetrics({ stanzas: [] } as unknown as VerifyReport),
      ...fleetMetrics('plan', []),
      ...timingsMetrics('restore', { phases: [], totalSeconds: 1 }),
    ].map((metric) => metric.name);
    expect([...written].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('reads metric names out of PromQL', () => {
    expect(
      promqlMetrics(
        'min by (stanza, repo) (bsync_backup_age_seconds{type=~"full|diff"}) > 26 * 3600 or increase(bsync_archive_failed_total[1d]) > 0',
      ),
    ).toEqual(['bsync_backup_age_seconds', 'bsync_archive_failed_total']);
    expect(promqlMetrics('time() - bsync_run_timestamp_seconds{command="verify"} > 8 * 86400')).toEqual([
      'bsync_run_timestamp_seconds',
    ]);
    expect(promqlMetrics('label_values(bsync_backups, stanza)')).toEqual(['bsync_backups']);
    expect(promqlMetrics('{__name__="bsync_old"} + 1 - sum without (host) (up)')).toEqual(['bsync_old', 'up']);
  });
});

describe('the alert rules and the dashboard', () => {
  const rules = parse(rulesText);
  const dashboard = JSON.parse(dashboardText);

  it('name only metrics bsync writes', () => {
    expect(ruleExpressions(rules).length).toBeGreaterThan(10);
    expect(unknownIn(ruleExpressions(rules))).toEqual([]);
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(15);
    expect(unknownIn(expressions)).toEqual([]);
  });

  it('use every metric bsync writes, in the dashboard at least', () => {
    const used = new Set(dashboardExpressions(dashboard).flatMap(promqlMetrics));
    expect(METRIC_NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  it('fail the check when a metric they name is renamed (mutation)', () => {
    const renamed = rulesText.replaceAll('bsync_archive_failing', 'bsync_archive_failed');
    expect(unknownIn(ruleExpressions(parse(renamed)))).toEqual(['bsync_archive_failed in bsync_archive_failed == 1']);
    const dropped = JSON.parse(dashboardText.replaceAll('bsync_verify_scratch_bytes', 'bsync_verify_scratch_size'));
    expect(unknownIn(dashboardExpressions(dashboard))).toEqual([]);
    expect(unknownIn(dashboardExpressions(dropped))).toEqual([expect.stringMatching(/^bsync_verify_scratch_size in /)]);
  });
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const skipPromtool = promtool.error !== undefined && !process.env.CI;

describe('promtool', () => {
  it.skipIf(skipPromtool)(
    `${skipPromtool ? '(skip: promtool is not installed; Debian: apt-get install prometheus) ' : ''}checks the rules and passes their unit tests (monitoring/bsync.rules.test.yml)`,
    () => {
      const check = spawnSync('promtool', ['check', 'rules', 'bsync.rules.yml'], { cwd: MONITORING, encoding: 'utf8' });
      expect(check.error, 'promtool must be installed where CI is set (.ci/run installs it)').toBeUndefined();
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const test = spawnSync('promtool', ['test', 'rules', 'bsync.rules.test.yml'], {
        cwd: MONITORING,
        encoding: 'utf8',
      });
      expect(test.status, test.stdout + test.stderr).toBe(0);
      expect(test.stdout).toContain('SUCCESS');
    },
  );
});
