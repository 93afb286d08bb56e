// An Ansible inventory in INI form, as the setup_backrest role's plays use it: hosts of
// the group `pgedge` are PostgreSQL hosts, of `backup` backup hosts. Per host: ansible_host
// (the address), ansible_port (sshd's port), zone and pg_port; the role's variables from
// [all:vars], [pgedge:vars] and [backup:vars] (a later section wins). Other groups and
// variables are not bsync's and are skipped; what cannot be read is said with its line.
import { BsyncError } from '../errors.js';
import { DEFAULT_PG_PORT, parseHostSpec, type InitHost, type InitRole, type RoleVars } from './request.js';

const GROUP_ROLES: Record<string, InitRole> = { pgedge: 'postgres', backup: 'backup' };
const VAR_SECTIONS = ['all:vars', 'pgedge:vars', 'backup:vars'];

// key=value, the value bare or quoted ("…" with \" inside, or '…').
const PAIR = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;

function unquote(value: string): string {
  if (value.startsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  if (value.startsWith("'")) return value.slice(1, -1);
  return value;
}

function pairs(text: string, where: string): Record<string, string> {
  const found: Record<string, string> = {};
  const rest = text.replace(PAIR, (_, key: string, value: string) => {
    found[key] = unquote(value);
    return '';
  });
  if (rest.trim() !== '') throw new BsyncError(`cannot read ${JSON.stringify(rest.trim())}: not key=value`, { where });
  return found;
}

function wholeNumber(value: string | undefined, what: string, max: number, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > max)
    throw new BsyncError(`${what} = ${JSON.stringify(value)} is not a whole number from 1 to ${max}`, { where });
  return Number(value);
}

function hostOf(line: string, role: InitRole, where: string): InitHost {
  const space = line.search(/\s/);
  const name = space < 0 ? line : line.slice(0, space);
  if (/\[.*:.*\]/.test(name))
    throw new BsyncError(`${name}: host ranges are not read`, { where, hint: 'List each host on a line of its own.' });
  const vars = pairs(space < 0 ? '' : line.slice(space), where);
  const address = vars.ansible_host ?? name;
  let spec: ReturnType<typeof parseHostSpec>;
  try {
    spec = parseHostSpec(`${name}=${address.includes(':') ? `[${address}]` : address}:${role}`);
  } catch (error) {
    throw new BsyncError((error as Error).message.replace(/^--host "[^"]*": /, `${name}: `), { where });
  }
  const zone = wholeNumber(vars.zone, 'zone', 999, where);
  const sshPort = wholeNumber(vars.ansible_port, 'ansible_port', 65535, where);
  const pgPort = wholeNumber(vars.pg_port, 'pg_port', 65535, where) ?? DEFAULT_PG_PORT;
  return { ...spec, ...(zone ? { zone } : {}), ...(sshPort ? { sshPort } : {}), pgPort };
}

/** The hosts of `pgedge` and `backup`, and the role's variables. */
export function parseAnsibleInventory(text: string, file: string): { hosts: InitHost[]; vars: RoleVars } {
  const hosts: InitHost[] = [];
  const sections = new Map<string, RoleVars>();
  let section = 'ungrouped';
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const where = `${file}:${index + 1}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      if (/^(pgedge|backup):children$/.test(section))
        throw new BsyncError(`[${section}]: child groups are not read`, {
          where,
          hint: `List the hosts under [${section.split(':')[0]}] itself.`,
        });
      return;
    }
    if (VAR_SECTIONS.includes(section)) sections.set(section, { ...sections.get(section), ...pairs(line, where) });
    else if (Object.hasOwn(GROUP_ROLES, section)) hosts.push(hostOf(line, GROUP_ROLES[section], where));
  });
  const vars = Object.assign({}, ...VAR_SECTIONS.map((name) => sections.get(name) ?? {})) as RoleVars;
  return { hosts, vars };
}
