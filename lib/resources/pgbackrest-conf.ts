// pgbackrest.conf as bsync writes it: [global] then the stanza, keys in a fixed order so
// the same inventory always renders the same bytes.
import { parse as parseIni } from 'ini';
import type { Part, Template } from './types.js';

export type ConfValue = string | number | Exclude<Part, string>;

export interface ConfSection {
  name: string;
  options: Array<[string, ConfValue]>;
}

export const CONF_HEADER = '# Managed by bsync: edits here are reported as drift and replaced on apply.\n';

export function renderConf(sections: ConfSection[]): Template {
  const template: Template = [CONF_HEADER];
  sections.forEach((section, index) => {
    template.push(`${index === 0 ? '' : '\n'}[${section.name}]\n`);
    for (const [key, value] of section.options) {
      template.push(`${key}=`);
      template.push(typeof value === 'object' ? value : String(value));
      template.push('\n');
    }
  });
  return template;
}

/** Keys whose values are secrets, in any repoN. */
const SECRET_KEY = /^(repo\d+-(cipher-pass|s3-key|s3-key-secret|s3-token|azure-key|gcs-key)|tls-server-auth)$/;

/** Hides secret values in a pgbackrest.conf text (for plans and facts output). */
export function redactConf(text: string): string {
  return text.replace(/^(\s*)([A-Za-z0-9-]+)(\s*=\s*)(.*)$/gm, (line, lead, key, eq, value: string) =>
    // A placeholder the plan already shows (`(sensitive, known after apply)`) stays as it is.
    SECRET_KEY.test(key) && !value.startsWith('(sensitive') ? `${lead}${key}${eq}(sensitive)` : line,
  );
}

/** The value of a key in a section of an existing pgbackrest.conf (parsed with ini), or null. */
export function confValue(text: string | undefined, section: string, key: string): string | null {
  if (!text) return null;
  const parsed = parseIni(text) as Record<string, Record<string, unknown>>;
  const value = parsed[section]?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}
