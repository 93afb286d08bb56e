// pg_hba.conf rules for the backup role from each backup host, marked `# bsync` and put
// before the first rule so no earlier rule can shadow them. Applied with a reload.
import { mergeLines } from './managed-lines.js';
import type { Template } from './types.js';

export const HBA_MARKER = '# bsync';

/** An address as pg_hba.conf takes it: IPs get a host mask, names stay names. */
export function hbaAddress(address: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return `${address}/32`;
  if (address.includes(':')) return `${address}/128`;
  return address;
}

export function hbaRule(role: string, address: string): string {
  return `host    postgres,replication    ${role}    ${hbaAddress(address)}    scram-sha-256    ${HBA_MARKER}`;
}

export function desiredHba(current: string, role: string, addresses: string[]): Template {
  return mergeLines(current, {
    isOurs: (line) => line.trimEnd().endsWith(HBA_MARKER),
    wanted: addresses.map((address) => ({ line: [hbaRule(role, address)] })),
    insertAt: (lines) => {
      const first = lines.findIndex((line) => /^\s*(local|host|hostssl|hostnossl|hostgssenc|hostnogssenc|include\S*)\s/.test(line));
      return first < 0 ? lines.length : first;
    },
  });
}
