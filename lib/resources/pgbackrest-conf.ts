// pgbackrest.conf as bsync writes it: [global] then the stanza, keys in a fixed order so
// the same inventory always renders the same bytes.
import { lookupOption } from '../pgbackrest-options/index.js';
import { CONF_HEADER } from './marker.js';
import { type PgbackrestIni, parsePgbackrestIni, pgbackrestValueProblem } from '../formats/pgbackrest-ini.js';
import { BsyncError } from '../errors.js';
import { printable } from '../printable.js';
import type { Part, Template } from './types.js';

export type ConfValue = string | number | Exclude<Part, string>;

export interface ConfSection {
  name: string;
  options: Array<[string, ConfValue]>;
}

/** A section or key name: pgBackRest's characters only. */
function checkedName(name: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name))
    throw new BsyncError(`pgbackrest.conf cannot hold the name ${printable(JSON.stringify(name))}`);
  return name;
}

/** An option whose key is this is a comment line (`# value`): pgBackRest and sameConf skip it. */
export const CONF_COMMENT = '#';

/** The file's one writer: a value that would not read back as itself (a line break would add lines) is refused. */
export function renderConf(sections: ConfSection[]): Template {
  const template: Template = [CONF_HEADER];
  sections.forEach((section, index) => {
    template.push(`${index === 0 ? '' : '\n'}[${checkedName(section.name)}]\n`);
    for (const [key, value] of section.options) {
      if (key === CONF_COMMENT) {
        template.push(`# ${String(value).replace(/[\r\n]+/g, ' ')}\n`);
        continue;
      }
      const problem = typeof value === 'object' ? null : pgbackrestValueProblem(String(value));
      if (problem) throw new BsyncError(`pgbackrest.conf cannot hold [${printable(section.name)}] ${key}: ${problem}`);
      template.push(`${checkedName(key)}=`);
      template.push(typeof value === 'object' ? value : String(value));
      template.push('\n');
    }
  });
  return template;
}

/**
 * The value of a key in a section of an existing pgbackrest.conf, read by pgBackRest's own
 * rules; null when absent, empty, given twice, or when pgBackRest could not read the file.
 */
export function confValue(text: string | undefined, section: string, key: string): string | null {
  if (!text) return null;
  const values = parsePgbackrestIni(text)?.get(section)?.get(key);
  return values?.length === 1 && values[0] !== '' ? values[0] : null;
}

/**
 * Whether two pgbackrest.conf texts configure pgBackRest the same, read by its own rules:
 * the same sections with the same keys and values (a repeated key's values as a list, in
 * order); order of sections and keys, blank lines and comments do not count. A text
 * pgBackRest would refuse is the same as nothing.
 */
export function sameConf(actual: string, wanted: string): boolean {
  const [a, b] = [parsePgbackrestIni(actual), parsePgbackrestIni(wanted)];
  if (a === null || b === null) return false;
  const names = new Set([...a.keys(), ...b.keys()]);
  for (const name of names) {
    const [ours, theirs] = [a.get(name) ?? new Map<string, string[]>(), b.get(name) ?? new Map<string, string[]>()];
    for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
      const [x, y] = [ours.get(key), theirs.get(key)];
      if (x?.join('\n') === y?.join('\n')) continue;
      // An option given with pgBackRest's default reads the same as no option at all (the
      // Ansible role writes repo1-type=posix, bsync leaves it out), unless another section sets
      // it: then the line overrides that (repo1-bundle=n in a stanza under [global]'s y).
      if (x === undefined && isDefault(key, y) && !setElsewhere(a, name, key)) continue;
      if (y === undefined && isDefault(key, x) && !setElsewhere(b, name, key)) continue;
      return false;
    }
  }
  return true;
}

/** Whether a section of a read conf other than `section` gives `key` a value other than pgBackRest's default. */
function setElsewhere(conf: PgbackrestIni, section: string, key: string): boolean {
  return [...conf].some(([name, keys]) => name !== section && keys.has(key) && !isDefault(key, keys.get(key)));
}

/** Whether a key's values are just pgBackRest's default for it (booleans as y/n; bool-like ones default to `n`). */
function isDefault(key: string, values: string[] | undefined): boolean {
  const fallback = lookupOption(key)?.info.default;
  if (values?.length !== 1 || fallback === undefined) return false;
  const value = values[0] === 'y' ? 'true' : values[0] === 'n' ? 'false' : values[0];
  return value === fallback || values[0] === fallback;
}
