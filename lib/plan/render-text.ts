// The plan for people, laid out like Terraform's: per host, + create, ~ change, - remove,
// `~ adopt` for what bsync takes over, unified diffs for files, and one closing line.
import { operationCommand, type Plan, type PlanAction } from './types.js';

export interface Style {
  color: boolean;
}

// An adoption changes a file like an update does; the word says it takes over lines.
const SYMBOL = { create: '+', update: '~', delete: '-', adopt: '~ adopt', run: '>' } as const;
const COLOR = { create: 32, update: 33, delete: 31, adopt: 36, run: 35 } as const;

function paint(style: Style, code: number, text: string): string {
  return style.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function diffLine(style: Style, line: string): string {
  if (line.startsWith('+')) return paint(style, 32, line);
  if (line.startsWith('-')) return paint(style, 31, line);
  if (line.startsWith('@@')) return paint(style, 36, line);
  return line;
}

function renderAction(action: PlanAction, style: Style): string[] {
  const symbol = action.conflict ? paint(style, 31, '!') : paint(style, COLOR[action.action], SYMBOL[action.action]);
  const head = `  ${symbol} ${action.kind}${action.name !== undefined ? `[${action.name}]` : ''}  ${action.title}`;
  const lines = [
    action.requiresRestart ? `${head}  ${paint(style, 35, '(restarts PostgreSQL: needs --allow-restart)')}` : head,
  ];
  if (action.conflict) lines.push(`      ${paint(style, 31, 'conflict:')} ${action.conflict}`);
  if (action.reason) lines.push(`      # ${action.reason}`);
  for (const field of action.fields) {
    if (field.before !== undefined && field.after !== undefined)
      lines.push(`      ${field.name}: ${field.before} -> ${field.after}`);
    else if (field.after !== undefined) lines.push(`      ${field.name}: ${field.after}`);
    else lines.push(`      ${field.name}: ${field.before} -> (removed)`);
  }
  if (action.diff)
    lines.push(
      ...action.diff
        .trimEnd()
        .split('\n')
        .map((line) => `      ${diffLine(style, line)}`),
    );
  return lines;
}

function summaryLine(plan: Plan): string {
  if (plan.operation) {
    const steps = plan.actions.length;
    const command = operationCommand(plan.operation.kind);
    return `${command[0].toUpperCase()}${command.slice(1)}: ${steps} step${steps === 1 ? '' : 's'} on ${[...new Set(plan.actions.map((action) => action.host))].join(', ')}.`;
  }
  if (plan.actions.length === 0) {
    return `No changes. ${plan.hosts.length === 1 ? '1 host matches' : `${plan.hosts.length} hosts match`} ${basename(plan.configPath)}.`;
  }
  const { add, change, remove, adopt = 0, conflict } = plan.summary;
  // Said only when there is any, so plans without adoptions read as they always did.
  const adopts = adopt > 0 ? `, ${adopt} to adopt` : '';
  const conflicts = conflict > 0 ? `, ${conflict} conflict${conflict === 1 ? '' : 's'} that apply refuses` : '';
  return `Plan: ${add} to add, ${change} to change, ${remove} to remove${adopts}${conflicts}.`;
}

function problemLines(plan: Plan, style: Style): string[] {
  if (plan.problems.length === 0) return [];
  return [
    paint(style, 31, 'Problems that keep backups from running:'),
    ...plan.problems.map(({ host, problem }) => `  ${host}: ${problem}`),
    '',
  ];
}

export function renderPlanText(plan: Plan, style: Style): string {
  if (plan.actions.length === 0) return `${[...problemLines(plan, style), summaryLine(plan)].join('\n')}\n`;
  const lines: string[] = plan.operation
    ? [
        `bsync will run these steps (${operationCommand(plan.operation.kind)}):`,
        '',
        ...plan.operation.notes.map((note) => paint(style, 33, `! ${note}`)),
        ...(plan.operation.notes.length > 0 ? [''] : []),
      ]
    : ['bsync will make these changes:', ''];
  for (const host of plan.hosts) {
    const actions = plan.actions.filter((action) => action.host === host);
    if (actions.length === 0) continue;
    lines.push(paint(style, 1, host));
    for (const action of actions) lines.push(...renderAction(action, style));
    lines.push('');
  }
  lines.push(...problemLines(plan, style), summaryLine(plan));
  return `${lines.join('\n')}\n`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
