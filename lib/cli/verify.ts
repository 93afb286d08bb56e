// bsync verify: per stanza, restore a backup on its verify host, start it, check it,
// remove it. Verify hosts work in parallel; the stanzas of one host one after another.
import { runVerify } from '../apply/verify.js';
import { verifyMetrics, type StanzaVerification, type VerifyReport } from '../verify/report.js';
import { verifyPlans, type VerifyPlan, type VerifySkip } from '../verify/targets.js';
import { runCommand } from './fleet.js';
import { progress } from '../views/sink.js';
import type { GlobalOptions } from './output.js';
import { gatherFacts, openSession, usingFacts } from '../operations/session.js';
import { INTERRUPT_EXIT } from '../operations/interrupt.js';

interface VerifyOptions extends GlobalOptions {
  stanza?: string;
  set?: string;
  recoveryPoint?: boolean;
  promFile?: string;
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

export async function verifyCommand(options: VerifyOptions): Promise<number> {
  return runCommand(options, { name: 'verify', promFile: options.promFile }, async (target, view, context) => {
    const session = await openSession(target.inventory, context.selection, { slots: context.slots });
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
      const recoveryPoint = options.recoveryPoint ?? session.inventory.verify.recoveryPoint;
      const plans = usingFacts(session, facts, (checked) =>
        verifyPlans(session.inventory, checked, { stanza: options.stanza, set: options.set, recoveryPoint }),
      );
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
            view.progress(`${entry.host}: verifying ${entry.zone.stanza} from backup ${entry.backup.label}...`);
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
              backupAgeSeconds:
                entry.backup.stop === undefined ? null : Math.max(0, Math.round(now - entry.backup.stop)),
              sizeBytes: entry.backup.size ?? null,
              recoveryPoint: run.marker ?? null,
              elapsedSeconds: run.elapsedSeconds,
            });
          }
        }),
      );
      const report: VerifyReport = {
        format: 'bsync-verify',
        version: 1,
        generatedAt: new Date().toISOString(),
        configPath: session.inventory.configPath,
        stanzas: plans.map((entry) => results.get(entry.zone.stanza)!),
      };
      view.verify(report);
      const allVerified = report.stanzas.every((result) => result.ok);
      return { code: allVerified ? 0 : 1, success: allVerified, metrics: verifyMetrics(report) };
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      session.close();
    }
  });
}
