// bsync validate's view: the config's warnings and notes on stderr, then one line for a
// person, or one JSON line (as validate --json always printed it).
import { progressView, type ProgressView } from './progress.js';
import type { ViewForms } from './view-for.js';

export interface ValidateResult {
  config: string;
  hosts: number;
  warnings: string[];
  /** How an encrypted [ssh] identity is opened: with ssh.passphrase (and its source) or through the agent. */
  identity?: string;
}

export interface ValidateView extends ProgressView {
  validate(result: ValidateResult): void;
}

function validateText({ config, hosts, identity }: ValidateResult): string {
  return `${config}: valid, ${hosts} host${hosts === 1 ? '' : 's'}.\n${identity ? `  ssh.identity: ${identity}.\n` : ''}`;
}

export const VALIDATE_VIEWS: ViewForms<ValidateView> = {
  text: (sink) => ({ ...progressView(sink), validate: (result) => sink.text(validateText(result)) }),
  json: (sink) => ({
    ...progressView(sink),
    validate: ({ warnings, hosts, identity }) =>
      sink.json({ valid: true, warnings, hosts, ...(identity ? { identity } : {}) }, 0),
  }),
};
