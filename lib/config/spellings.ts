// A value whose check takes several spellings is stored in one: the schema names the
// spelling of a kind of value (`x-spelling` on its definition), and once the schema has
// checked the config every such value is rewritten to it, so the checks that follow and the
// Inventory hold the same text (a schedule that ends in a newline is not written with it).
import { cronSpelling } from './cron.js';

type SchemaNode = Record<string, unknown>;

/** An absolute path as bsync stores it: one slash between parts, none at the end (pgBackRest's own rule for its paths). */
export function pathSpelling(path: string): string {
  return path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}

const SPELLINGS: Record<string, (value: string) => string> = { cron: cronSpelling, path: pathSpelling };

const isTable = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A table or a list, indexed by key or position. */
type Holder = Record<string | number, unknown>;

/** Every value of `data` whose schema names a spelling, rewritten to it (in place). */
export function spellAsChecked(data: Record<string, unknown>, schema: SchemaNode): void {
  const definitions = (schema.definitions ?? {}) as Record<string, SchemaNode>;
  const spell = (holder: Holder, key: string | number, node: SchemaNode): void => {
    if (typeof node.$ref === 'string') spell(holder, key, definitions[node.$ref.replace('#/definitions/', '')] ?? {});
    const value = holder[key];
    const spelling = SPELLINGS[node['x-spelling'] as string];
    if (spelling && typeof value === 'string') holder[key] = spelling(value);
    for (const branch of (node.anyOf ?? []) as SchemaNode[]) spell(holder, key, branch);
    const items = node.items as SchemaNode | undefined;
    const properties = node.properties as Record<string, SchemaNode> | undefined;
    if (Array.isArray(value) && items)
      for (const index of value.keys()) spell(value as unknown as Holder, index, items);
    if (isTable(value) && properties)
      for (const name of Object.keys(properties)) if (Object.hasOwn(value, name)) spell(value, name, properties[name]);
  };
  spell({ config: data }, 'config', schema);
}
