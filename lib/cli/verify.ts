// bsync verify: each cluster's verify (lib/operations/verify.ts), its report shown; exit 1
// unless every stanza verified.
import { verifyCluster, type VerifyRequest } from '../operations/verify.js';
import { verifyMetrics } from '../verify/report.js';
import { runCommand } from './fleet.js';
import type { GlobalOptions } from './output.js';
import { VERIFY_VIEWS } from '../views/verify.js';

interface VerifyOptions extends GlobalOptions, VerifyRequest {
  promFile?: string;
}

export async function verifyCommand(options: VerifyOptions): Promise<number> {
  return runCommand(
    options,
    { name: 'verify', view: VERIFY_VIEWS, promFile: options.promFile },
    async (target, view, context) => {
      const request = { stanza: options.stanza, set: options.set, recoveryPoint: options.recoveryPoint };
      const report = await verifyCluster(target.inventory, (message) => view.progress(message), context, request);
      view.verify(report);
      const allVerified = report.stanzas.every((result) => result.ok);
      return { code: allVerified ? 0 : 1, success: allVerified, metrics: verifyMetrics(report) };
    },
  );
}
