// bsync init's view: what was written and what the user must still do, for a person
// (escaped here: host answers are in it), or the result as it is, one JSON document.
import { printable } from '../printable.js';
import type { ViewForms } from './view-for.js';

/** What bsync init wrote, and the secret files the user must create before validate. */
export interface InitResult {
  config: string;
  /** Each host as the config has it, with what it is (primary, replica, backup host). */
  hosts: Array<{ name: string; zone: number; found: string }>;
  secretFiles: Array<{ path: string; holds: string }>;
  /** What validate would still refuse once the secret files exist: edits the file needs. */
  problems: string[];
}

export interface InitView {
  init(result: InitResult): void;
}

function initText({ config, hosts, secretFiles, problems }: InitResult): string {
  const lines = [`Wrote ${config}:`, ...hosts.map((host) => `  ${host.name} (zone ${host.zone}): ${host.found}`)];
  if (problems.length > 0)
    lines.push(
      'Edit it where validate would refuse it:',
      ...problems.map((problem) => `  ${problem.replace(/\n/g, '\n  ')}`),
    );
  if (secretFiles.length > 0)
    lines.push(
      'Create these files (one line each, chmod 600) before bsync validate:',
      ...secretFiles.map((file) => `  ${file.path}: ${file.holds}`),
    );
  lines.push(`Then: bsync validate -c ${config}; bsync plan -c ${config}`);
  return `${lines.join('\n')}\n`;
}

export const INIT_VIEWS: ViewForms<InitView> = {
  text: (sink) => ({ init: (result) => sink.text(printable(initText(result))) }),
  json: (sink) => ({ init: (result) => sink.json(result) }),
};
