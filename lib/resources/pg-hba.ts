// pg_hba.conf rules bsync declares (the backup role from each backup host, the streaming role
// from each standby site), marked `# bsync` and put before the first rule so no earlier rule
// can shadow them. Applied with a reload. A rule
// someone else wrote for the same role and host (the Ansible role's) is taken over where
// it stands, so the file never holds two rules for one purpose.
import { mergeManagedLines, type ManagedLine, type MergeResult } from './managed-lines.js';
import type { FieldChange } from './types.js';
import { COMMENT_MARK } from './marker.js';

const METHOD = 'scram-sha-256';
/** The backup role's databases: pgBackRest's own and replication. */
export const BACKUP_DATABASES = 'postgres,replication';
/** A streaming standby's: the walreceiver's replication connection only. */
export const REPLICATION_DATABASE = 'replication';

/** A peer as its rule names it: the address bsync writes, and the name an existing rule may use instead. */
interface HbaPeer {
  address: string;
  name?: string;
}

/** One rule: a role, from a peer, to these databases. */
export interface HbaRule {
  role: string;
  databases: string;
  peer: HbaPeer;
}

/** An address as pg_hba.conf takes it: IPs get a host mask, names stay names. */
function hbaAddress(address: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return `${address}/32`;
  if (address.includes(':')) return `${address}/128`;
  return address;
}

function hbaRule(role: string, databases: string, address: string): string {
  return `host    ${databases}    ${role}    ${hbaAddress(address)}    ${METHOD}    ${COMMENT_MARK}`;
}

interface HbaToken {
  text: string;
  raw: string;
  quoted: boolean;
}

interface HbaField {
  tokens: HbaToken[];
  start: number;
  end: number;
}

/**
 * The fields of a pg_hba.conf line as PostgreSQL splits them (hba.c): white space between
 * fields, a comma continues a field's list (white space may follow it), `"…"` makes a
 * token literal (`"all"` is a role named all), `#` outside quotes starts a comment.
 */
function hbaFields(line: string): HbaField[] {
  const fields: HbaField[] = [];
  let i = 0;
  const token = (): HbaToken => {
    const begin = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !/[\s,]/.test(line[i]) && !(line[i] === '#' && !quoted)) {
      if (line[i] === '"') {
        quoted = true;
        const close = line.indexOf('"', i + 1);
        const end = close < 0 ? line.length : close;
        text += line.slice(i + 1, end);
        i = end + 1;
      } else text += line[i++];
    }
    return { text, raw: line.slice(begin, i), quoted };
  };
  for (;;) {
    while (i < line.length && /\s/.test(line[i])) i += 1;
    if (i >= line.length || line[i] === '#') return fields;
    const field: HbaField = { tokens: [], start: i, end: i };
    for (;;) {
      field.tokens.push(token());
      field.end = i;
      if (line[i] !== ',') break;
      i += 1;
      while (i < line.length && /\s/.test(line[i])) i += 1;
    }
    fields.push(field);
  }
}

interface HbaRuleFields {
  users: HbaField;
  databases: string;
  method: string;
  address: string;
  /** The mask column, when the address is an IP without /len. */
  mask?: string;
}

/** An IPv4 or IPv6 address (no /len), as opposed to a host name. */
const isIp = (text: string) => /^\d+(\.\d+){3}$/.test(text) || /^[\da-f]*:[\da-f:.]*$/i.test(text);

/** A host/hostssl/hostnossl rule's columns, or null for anything else (local, comments, include). */
function hostRule(line: string): HbaRuleFields | null {
  const fields = hbaFields(line);
  if (!/^host(ssl|nossl)?$/.test(fields[0]?.tokens[0]?.text ?? '') || fields.length < 5) return null;
  const text = (field: HbaField | undefined) => field?.tokens.map((t) => t.raw).join(',') ?? '';
  const address = text(fields[3]);
  const hasMask = fields.length >= 6 && isIp(address) && isIp(text(fields[4]));
  return {
    databases: text(fields[1]),
    users: fields[2],
    address,
    mask: hasMask ? text(fields[4]) : undefined,
    method: text(fields[hasMask ? 5 : 4]),
  };
}

const FULL_MASK = /^(255\.255\.255\.255|(ffff:){7}ffff)$/i;

/** Whether a rule's address column (and mask) names exactly this one host. */
function namesHost(rule: HbaRuleFields, peer: HbaPeer): boolean {
  const ip = isIp(peer.address);
  const wanted = peer.address.toLowerCase();
  const [host, length] = rule.address.toLowerCase().split('/');
  if (!ip) return length === undefined && [wanted, peer.name?.toLowerCase()].includes(host);
  if (length !== undefined) return host === wanted && length === (wanted.includes(':') ? '128' : '32');
  if (rule.mask !== undefined) return host === wanted && FULL_MASK.test(rule.mask);
  return peer.name !== undefined && host === peer.name.toLowerCase();
}

/** The role's own token in a user list: `all`, `+group` and `@file` name others as well, so they are not its rule. */
const namesRole = (token: HbaToken, role: string) => token.text === role && (token.quoted || !/^[+@]/.test(token.raw));

function wantedRule({ role, databases, peer }: HbaRule): ManagedLine {
  const rule = (line: string) => {
    const fields = hostRule(line);
    return fields?.users.tokens.some((token) => namesRole(token, role)) && namesHost(fields, peer) ? fields : null;
  };
  return {
    line: [hbaRule(role, databases, peer.address)],
    adopts: (existing) => rule(existing) !== null,
    describe: `the rule for ${role} from ${peer.address}`,
    adoptionFields: (existing) => {
      const fields = rule(existing)!;
      const changes: FieldChange[] = [];
      if (fields.method !== METHOD) changes.push({ name: 'method', before: fields.method, after: METHOD });
      if (fields.databases !== databases)
        changes.push({ name: 'database', before: fields.databases, after: databases });
      const others = fields.users.tokens.filter((token) => !namesRole(token, role));
      if (others.length > 0)
        changes.push({
          name: 'user',
          before: fields.users.tokens.map((t) => t.raw).join(','),
          after: `${role} (a rule for ${others.map((t) => t.raw).join(',')} stays below it)`,
        });
      return changes;
    },
    // The other users the rule named keep their access: the same rule, without the role.
    leftover: (existing) => {
      const { users } = rule(existing)!;
      const others = users.tokens.filter((token) => !namesRole(token, role));
      return others.length === 0
        ? null
        : `${existing.slice(0, users.start)}${others.map((t) => t.raw).join(',')}${existing.slice(users.end)}`;
    },
  };
}

/** Whether the file holds a rule of bsync's for replication alone: a streaming standby's, kept or to remove. */
export function holdsReplicationRule(current: string): boolean {
  return current
    .split('\n')
    .some((line) => line.trimEnd().endsWith(COMMENT_MARK) && hostRule(line)?.databases === REPLICATION_DATABASE);
}

/** The backup role's rules from these peers (and no other rule of bsync's). */
export function desiredHba(current: string, role: string, peers: HbaPeer[]): MergeResult {
  return desiredHbaRules(
    current,
    peers.map((peer) => ({ role, databases: BACKUP_DATABASES, peer })),
  );
}

/** The file with these rules of bsync's, and no other. */
export function desiredHbaRules(current: string, rules: HbaRule[]): MergeResult {
  return mergeManagedLines(current, {
    isOurs: (line) => line.trimEnd().endsWith(COMMENT_MARK),
    wanted: rules.map(wantedRule),
    insertAt: (lines) => {
      const first = lines.findIndex((line) =>
        /^\s*(local|host|hostssl|hostnossl|hostgssenc|hostnogssenc|include\S*)\s/.test(line),
      );
      return first < 0 ? lines.length : first;
    },
  });
}
