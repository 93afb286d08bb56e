// bsync validate: the config alone, no network (so this module loads no transport). --host
// and --zone are checked against it as plan checks them, and so are the files [ssh] names.
import { runCommand } from './fleet.js';
import { showWarnings, type GlobalOptions } from './output.js';
import { selectHosts } from '../operations/selection.js';
import { checkSshFiles } from '../config/ssh-files.js';
import { releaseNotes } from '../desired/option-versions.js';
import { diagnosticLine } from '../views/diagnostics.js';
import { VALIDATE_VIEWS } from '../views/validate.js';

export function validateCommand(options: GlobalOptions): Promise<number> {
  return runCommand(
    options,
    { name: 'validate', view: VALIDATE_VIEWS },
    async ({ config, inventory }, view, { selection }) => {
      selectHosts(inventory, selection);
      const identity = checkSshFiles(inventory);
      showWarnings(view, inventory.warnings);
      // No host's release is known here: what some releases lack or refuse is checked per host by plan.
      for (const note of releaseNotes(inventory)) view.progress(diagnosticLine({ severity: 'note', message: note }));
      view.validate({
        config,
        hosts: inventory.hosts.length,
        warnings: inventory.warnings.map((warning) => warning.message),
        ...(identity ? { identity } : {}),
      });
      return { code: 0, success: true, metrics: [] };
    },
  );
}
