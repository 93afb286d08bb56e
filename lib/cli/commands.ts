// The commands behind bin/bsync: validate, plan, apply, facts.
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/index.js';
import { BsyncError } from '../errors.js';
import { executePlan, type ActionResult } from '../apply/execute.js';
import { acquireLease, clearLease, type HeldLease } from '../apply/lease.js';
import { Redactor } from '../apply/redactor.js';
import { redactFacts } from '../facts/redact.js';
import { renderPlanText } from '../plan/render-text.js';
import { readPlanFile, staleReasons, writePlanFile } from '../plan/saved.js';
import type { Inventory } from '../config/inventory.js';
import { Secret } from '../config/inventory.js';
import { progress, styleFor, writeJson, type GlobalOptions } from './output.js';
import { printable } from '../printable.js';
import { planFromFacts } from './planning.js';
import { withMetrics } from './metrics-file.js';
import { planMetrics } from '../plan/metrics.js';
import { gatherFacts, openSession, type Session } from './session.js';
import { Interrupt, INTERRUPT_EXIT } from './interrupt.js';

export function validateCommand(options: GlobalOptions): number {
  const inventory = loadConfig(options.config);
  for (const warning of inventory.warnings) progress(`warning: ${warning}`);
  if (options.json) writeJson({ valid: true, warnings: inventory.warnings, hosts: inventory.hosts.length }, 0);
  else process.stdout.write(`${options.config}: valid, ${inventory.hosts.length} host${inventory.hosts.length === 1 ? "" : "s"}.\n`);
  return 0;
}

export async function factsCommand(options: GlobalOptions): Promise<number> {
  const session = await openSession(options.config, options.host);
  try {
    const facts = await gatherFacts(session);
    const selected = Object.fromEntries(session.selected.map((host) => [host.name, redactFacts(facts.get(host.name)!)]));
    writeJson(selected);
    return 0;
  } finally {
    session.close();
  }
}

export async function planCommand(options: GlobalOptions & { out?: string; detailedExitcode: boolean; promFile?: string }): Promise<number> {
  return withMetrics(options.promFile, 'plan', async () => {
    const session = await openSession(options.config, options.host);
    try {
      progress(`Gathering facts from ${session.involved.length} host${session.involved.length === 1 ? '' : 's'}...`);
      const { plan } = planFromFacts(session, await gatherFacts(session));
      if (options.json) writeJson(plan);
      else process.stdout.write(renderPlanText(plan, styleFor(options)));
      if (options.out) {
        writePlanFile(options.out, plan);
        progress(`Saved the plan to ${options.out}; apply it with: bsync apply ${options.out}`);
      }
      const metrics = planMetrics(plan);
      if (plan.problems.length > 0) {
        progress(`bsync: error: backups cannot run on ${[...new Set(plan.problems.map((entry) => entry.host))].join(', ')} (see Problems above)`);
        return { code: 1, success: false, metrics };
      }
      return { code: options.detailedExitcode && plan.actions.length > 0 ? 2 : 0, success: true, metrics };
    } finally {
      session.close();
    }
  });
}

async function confirm(): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question('Apply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    prompt.close();
  }
}

function secretsOf(inventory: Inventory): Redactor {
  const redactor = new Redactor();
  const secrets = [inventory.repo.cipherPass, inventory.backupUser.password, inventory.repo.s3?.key, inventory.repo.s3?.keySecret];
  for (const secret of secrets) if (secret instanceof Secret) redactor.add(secret.reveal());
  return redactor;
}

export async function applyCommand(options: GlobalOptions & { planFile?: string; yes: boolean; allowRestart: boolean }): Promise<number> {
  const saved = options.planFile ? readPlanFile(options.planFile) : undefined;
  const interrupt = new Interrupt();
  const session = await openSession(options.config, options.host);
  const leases: HeldLease[] = [];
  try {
    await takeLeases(session, leases);
    const lostHosts = new Map<string, string>();
    for (const lease of leases) lease.startRenewing((message) => lostHosts.set(lease.host, message));
    progress(`Gathering facts from ${session.involved.length} hosts...`);
    const planned = planFromFacts(session, await gatherFacts(session), saved?.nonce);
    if (saved) {
      const reasons = staleReasons(saved, planned.plan);
      if (reasons.length > 0) {
        throw new BsyncError(`the saved plan is stale: the hosts changed since it was made`, {
          where: options.planFile,
          hint: `${reasons.slice(0, 10).join('\n  ')}\n  Make a new plan with: bsync plan --out ${options.planFile}`,
        });
      }
    }
    const style = styleFor(options);
    if (!options.json) process.stdout.write(renderPlanText(planned.plan, style));
    if (planned.plan.actions.length === 0) {
      if (options.json) writeJson({ plan: planned.plan, results: [] });
      return 0;
    }
    if (!saved && !options.yes) {
      if (!process.stdin.isTTY) throw new BsyncError('apply changes hosts: confirm with --yes, or apply a saved plan (bsync plan --out FILE; bsync apply FILE)');
      if (!(await confirm())) {
        progress('Apply cancelled; nothing was changed.');
        return 1;
      }
    }
    if (interrupt.requested) {
      progress('Interrupted before any change; nothing was changed.');
      return INTERRUPT_EXIT;
    }
    const seed = applySeed();
    if (seed !== undefined) progress(`Actions start in a random order (BSYNC_APPLY_SEED=${seed}).`);
    const results = await executePlan(planned, session.connections, {
      allowRestart: options.allowRestart,
      redactor: secretsOf(session.inventory),
      seed,
      stop: interrupt,
      hostProblem: (host) => lostHosts.get(host),
      onEvent: (event) => {
        if (event.status === 'started') progress(`${event.host}: ${event.address.slice(event.host.length + 1)}...`);
        else if (event.status !== 'done') progress(`${event.host}: ${event.address.slice(event.host.length + 1)} ${event.status}${event.message ? `: ${event.message}` : ''}`);
      },
    });
    if (options.json) writeJson({ plan: planned.plan, results, interrupted: interrupt.requested });
    else process.stdout.write(applyReport(results));
    if (interrupt.requested) return INTERRUPT_EXIT;
    return results.every((result) => result.status === 'done') ? 0 : 1;
  } finally {
    await Promise.all(leases.map((lease) => lease.release()));
    interrupt.dispose();
    session.close();
  }
}

/**
 * Every selected host's lease; if one is held elsewhere, none is kept. The first host (by
 * name) is taken alone first, so of two applies started together one wins, not neither.
 */
async function takeLeases(session: Session, leases: HeldLease[]): Promise<void> {
  const [first, ...rest] = session.selected.map((host) => host.name).sort();
  const take = (name: string) => acquireLease(session.connections.get(name)!, progress);
  leases.push(await take(first));
  const settled = await Promise.allSettled(rest.map(take));
  for (const result of settled) if (result.status === 'fulfilled') leases.push(result.value);
  const refused = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (refused.length === 1) throw refused[0];
  if (refused.length > 1) {
    throw new BsyncError(`${refused.length} hosts cannot be changed now:\n${refused.map((error) => `  ${error instanceof BsyncError ? error.describe().replace(/\n/g, '\n  ') : error.message}`).join('\n')}`);
  }
}

/** BSYNC_APPLY_SEED: a whole number that makes apply start ready actions in a random, repeatable order. */
function applySeed(): number | undefined {
  const text = process.env.BSYNC_APPLY_SEED;
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,10}$/.test(text)) throw new BsyncError(`BSYNC_APPLY_SEED=${JSON.stringify(text)} is not a whole number`, { hint: 'Give a number such as 42, or unset it.' });
  return Number(text);
}

export async function unlockCommand(options: GlobalOptions & { leaseId: string }): Promise<number> {
  if (!options.host || options.host.length !== 1) throw new BsyncError('unlock works on one host: name it with --host NAME');
  if (!/^[0-9a-f]{16}$/.test(options.leaseId)) throw new BsyncError(`${JSON.stringify(options.leaseId)} is not a lease id (16 hex digits, as the message naming the holder shows)`);
  const session = await openSession(options.config, options.host, { onlySelected: true });
  try {
    progress(await clearLease(session.connections.get(options.host[0])!, options.leaseId));
    return 0;
  } finally {
    session.close();
  }
}

export function applyReport(results: ActionResult[]): string {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const lines = results.filter((result) => result.status !== 'done').map((result) => `  ${result.status}: ${result.address}${result.message ? `: ${result.message}` : ''}`);
  const stopped = ['not started', 'interrupted'].filter((status) => count(status) > 0).map((status) => `, ${count(status)} ${status}`).join('');
  const complete = results.every((result) => result.status === 'done');
  const head = `Apply ${complete ? 'complete' : 'incomplete'}: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped, ${count('deferred')} deferred${stopped}.`;
  return `${printable([...lines, head].join('\n'))}\n`;
}
