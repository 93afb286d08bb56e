// Patroni's local configuration (patroni.yml) where bsync.toml declares how replicas are
// built: `postgresql.create_replica_methods` and, for pgbackrest, its method (a delta
// restore of the stanza as a standby, Patroni's own example), so a new or broken replica
// comes from the repository instead of from the primary, with basebackup as fallback.
// Edited in place through YAML's document model (comments and every other key kept), then
// `patronictl reload` makes this member read it again. Replica creation is local config in
// Patroni, not dynamic: every member gets its own edit.
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import type { FileFacts } from '../facts/types.js';
import { shq } from '../formats/shell.js';
import { planEditedFile } from './file.js';
import type { StanzaCommands } from './stanza.js';
import type { Change } from './types.js';

export type ReplicaMethod = 'pgbackrest' | 'basebackup';

/** The pgbackrest method's entry as Patroni runs it (as its own user, with no parameters of its own). */
export function pgbackrestMethod({ stanza, pgbackrest }: StanzaCommands): Record<string, unknown> {
  return {
    command: `${pgbackrest} --stanza=${stanza} --delta --type=standby restore`,
    keep_data: true,
    no_params: true,
  };
}

/** A key path in patroni.yml and the value it should hold; undefined: the key is not there. */
export type PatroniYmlEntry = [string[], unknown];

export function planReplicaMethods(
  path: string,
  file: FileFacts | undefined,
  methods: ReplicaMethod[],
  commands: StanzaCommands,
  scope: string,
  more: PatroniYmlEntry[] = [],
): Change | null {
  const wanted: PatroniYmlEntry[] = [[['postgresql', 'create_replica_methods'], methods]];
  if (methods.includes('pgbackrest')) wanted.push([['postgresql', 'pgbackrest'], pgbackrestMethod(commands)]);
  return planPatroniYml(path, file, [...wanted, ...more], {
    scope,
    reload: true,
    reason: 'replicas are built from the repository first (create_replica_methods)',
  });
}

/**
 * patroni.yml with `wanted` keys set (or removed), every other key and comment kept; with
 * `reload`, this member's Patroni reads it again.
 */
export function planPatroniYml(
  path: string,
  file: FileFacts | undefined,
  wanted: PatroniYmlEntry[],
  { scope, reload, reason }: { scope: string; reload: boolean; reason: string },
): Change | null {
  if (!file?.exists || file.content === undefined) {
    return { action: 'update', conflict: `${path} is not there to declare replica creation in`, steps: [] };
  }
  // PyYAML, Patroni's reader, reads YAML 1.1.
  const document = parseDocument(file.content, { version: '1.1' });
  if (document.errors.length > 0) {
    return {
      action: 'update',
      conflict: `${path} does not read as YAML (${document.errors[0].message.split('\n')[0]}): fix it by hand, then apply again`,
      steps: [],
    };
  }
  const current = document.toJS() ?? {};
  const differs = wanted.filter(([key, value]) => !isDeepStrictEqual(valueAt(current, key), value));
  if (differs.length === 0) return null;
  for (const [key, value] of differs)
    if (value === undefined) document.deleteIn(key);
    else document.setIn(key, document.createNode(value));
  const member = String(document.get('name') ?? '');
  const change = planEditedFile(
    path,
    file.content,
    [document.toString()],
    reload ? [{ command: `patronictl -c ${shq(path)} reload ${shq(scope)} ${shq(member)} --force` }] : [],
    'patroni-yaml',
  );
  return change && { ...change, reason };
}

/** The value at a key path of a YAML document read as plain data; undefined where the path ends. */
function valueAt(data: unknown, key: string[]): unknown {
  let at = data;
  for (const name of key) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[name];
  }
  return at;
}
