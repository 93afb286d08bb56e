// A [[host]]'s address (where bsync connects, and the name in its TLS certificate) and
// backup_address (what pg_hba.conf names) are a host name or an IP address, nothing more:
// a port has keys of its own, and pg_hba.conf has no place for one. The schema lets through
// the characters of all three forms; what the value is, is told here.
import { isIPv4, isIPv6 } from 'node:net';
import type { AddProblem } from '../repositories/types.js';
import type { Sound } from './problems.js';
import type { RawConfig } from './raw.js';

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * RFC 1123: dot-separated labels of letters, digits and hyphens (not at a label's ends), at
 * most 253 characters; the last label is not all digits, so no name reads as an IPv4 address.
 */
function isHostName(value: string): boolean {
  const labels = value.split('.');
  return value.length <= 253 && labels.every((label) => LABEL.test(label)) && !/^[0-9]+$/.test(labels.at(-1)!);
}

const isIp = (value: string) => isIPv4(value) || (isIPv6(value) && !value.includes('%'));

/** What an address is not: null for a host name or an IP address. */
export function addressProblem(value: string): { problem: string; bare?: string; port?: string } | null {
  if (isHostName(value) || isIp(value)) return null;
  const bracketed = /^\[([^\]]*)\](?::([0-9]+))?$/.exec(value);
  if (bracketed && isIPv6(bracketed[1]))
    return {
      problem: bracketed[2] === undefined ? 'is an IPv6 address in brackets' : 'has a port',
      bare: bracketed[1],
      ...(bracketed[2] === undefined ? {} : { port: bracketed[2] }),
    };
  const withPort = /^(.*):([0-9]+)$/.exec(value);
  if (withPort && (isHostName(withPort[1]) || isIPv4(withPort[1])))
    return { problem: 'has a port', bare: withPort[1], port: withPort[2] };
  return { problem: 'is neither a host name nor an IP address' };
}

const FORMS =
  'A host name is dot-separated labels of letters, digits and hyphens whose last label is not all digits; an IP address is IPv4 (10.0.0.5) or IPv6 (fd00::5, without brackets).';

/** Where the port goes instead: ssh_port for the address bsync connects to; pg_hba.conf takes none. */
function portHint(key: 'address' | 'backup_address', port: string): string {
  return key === 'address'
    ? ` and the port as ssh_port = ${port} on this [[host]] (or [ssh].port = ${port} for every host)`
    : " with no port: pg_hba.conf matches only the address the backup host connects from (this host's PostgreSQL port is pg_port)";
}

/** Each host's address (its name where it has none) and backup_address: a host name or an IP address, no port. */
export function checkAddresses(raw: RawConfig, add: AddProblem, sound: Sound): void {
  if (!Array.isArray(raw.host)) return;
  raw.host.forEach((host, index) => {
    const at = `host[${index + 1}]`;
    const given: Array<['address' | 'name' | 'backup_address', string | undefined]> = [
      host.address === undefined ? ['name', host.name] : ['address', host.address],
      ['backup_address', host.backup_address],
    ];
    for (const [key, value] of given) {
      const found = value === undefined || !sound(`${at}.${key}`) ? null : addressProblem(value);
      if (!found) continue;
      const also = key === 'name' ? ' (it is the address too: this [[host]] sets none)' : '';
      add(
        `${at}.${key}`,
        `${JSON.stringify(value)} ${found.problem}${also}; an address is a host name or an IP address alone`,
        found.bare === undefined || key === 'name'
          ? FORMS
          : `Write ${key} = ${JSON.stringify(found.bare)}${found.port === undefined ? '' : portHint(key, found.port)}.`,
      );
    }
  });
}
