// A cluster's verify (bsync verify): per stanza, restore a backup on its verify host, start
// it, check it, remove it. Verify hosts work in parallel; the stanzas of one host one after another.
import { runVerify } from '../apply/verify.js';
import type { Inventory } from '../config/inventory.js';
import type { Semaphore } from '../semaphore.js';
import type { StanzaVerification, VerifyReport } from '../verify/report.js';
import { verifyPlans, type VerifyPlan, type VerifySkip } from '../verify/targets.js';
import { progress } from '../views/sink.js';
import { INTERRUPT_EXIT } from './interrupt.js';
import type { HostSelection } from './selection.js';
import { gatherFacts, openSession, usingFacts, type Session } from './session.js';

/** What to verify: a stanza or all, a backup set or the newest, a recovery point or the config's choice. */
export interface VerifyRequest {
  stanza?: string;
  set?: string;
  recoveryPoint?: boolean;
}

function skipped(skip: VerifySkip): StanzaVerification {
  return {
    stanza: skip.zone.stanza,
    zone: skip.zone.zone,
    host: skip.host,
    label: null,
    backupType: null,
    backupAgeSeconds: null,
    sizeBytes: null,
    recoveryPoint: null,
    elapsedSeconds: 0,
    ok: false,
    failedStep: 'backup',
    message: skip.problem,
    checks: [],
    restoreSeconds: null,
    startSeconds: null,
    phases: [],
    databases: [],
    restoredTo: null,
    scratchBytes: null,
    leftoversRemoved: false,
    cleanedUp: null,
  };
}

/** The cluster's verify report; `say` tells which stanza each host verifies. */
export async function verifyCluster(
  inventory: Inventory,
  say: (message: string) => void,
  context: { selection: HostSelection; slots?: Semaphore },
  request: VerifyRequest,
): Promise<VerifyReport> {
  const session = await openSession(inventory, context.selection, { slots: context.slots });
  // Closing the connections is enough: each host's watchdog then stops its server and cleans up.
  const onSignal = () => {
    progress('Interrupted: the verify hosts stop their scratch servers and remove their folders by themselves.');
    session.close();
    process.exit(INTERRUPT_EXIT);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const facts = await gatherFacts(session);
    const recoveryPoint = request.recoveryPoint ?? session.inventory.verify.recoveryPoint;
    const plans = usingFacts(session, facts, (checked) =>
      verifyPlans(session.inventory, checked, { stanza: request.stanza, set: request.set, recoveryPoint }),
    );
    const results = await verifyAll(session, plans, say);
    return {
      format: 'bsync-verify',
      version: 1,
      generatedAt: new Date().toISOString(),
      configPath: session.inventory.configPath,
      stanzas: plans.map((entry) => results.get(entry.zone.stanza)!),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    session.close();
  }
}

/** Each stanza's verdict: the hosts in parallel, each host's stanzas in turn. */
async function verifyAll(
  session: Session,
  plans: Array<VerifyPlan | VerifySkip>,
  say: (message: string) => void,
): Promise<Map<string, StanzaVerification>> {
  const now = Date.now() / 1000;
  const byHost = new Map<string, Array<VerifyPlan | VerifySkip>>();
  for (const entry of plans) byHost.set(entry.host, [...(byHost.get(entry.host) ?? []), entry]);
  const results = new Map<string, StanzaVerification>();
  await Promise.all(
    [...byHost.values()].map(async (entries) => {
      for (const entry of entries) {
        if (!('job' in entry)) {
          results.set(entry.zone.stanza, skipped(entry));
          continue;
        }
        say(`${entry.host}: verifying ${entry.zone.stanza} from backup ${entry.backup.label}...`);
        const run = await runVerify({
          job: entry.job,
          host: entry.host,
          connection: session.connections.get(entry.host)!,
          ...(entry.primary
            ? { primary: { ...entry.primary, connection: session.connections.get(entry.primary.host)! } }
            : {}),
        });
        results.set(entry.zone.stanza, {
          ...run.verdict,
          stanza: entry.zone.stanza,
          zone: entry.zone.zone,
          host: entry.host,
          label: entry.backup.label,
          backupType: entry.backup.type,
          backupAgeSeconds: entry.backup.stop === undefined ? null : Math.max(0, Math.round(now - entry.backup.stop)),
          sizeBytes: entry.backup.size ?? null,
          recoveryPoint: run.marker ?? null,
          elapsedSeconds: run.elapsedSeconds,
        });
      }
    }),
  );
  return results;
}
