// The types' part of the JSON Schemas: repo.type's names and description and each type's
// table in schemas/bsync.schema.json, repo.type's names in schemas/status.schema.json. The
// rest of those files is written by hand; `npm run schemas` writes these parts into them and
// test/unit/schemas.test.ts fails when the checked-in files differ from what the types say.
import { repoTypes } from './index.js';
import type { JsonSchema } from './types.js';

/** Marks a table the types wrote, so a type that is gone takes its table with it. */
const GENERATED = 'generated from its type in lib/repositories/ (npm run schemas)';

type Schema = { properties: Record<string, JsonSchema> };

/** The config schema with the registered types' parts: tables keep their place, a new one goes last. */
export function withRepoTypes(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema) as { definitions: { repo: Schema } };
  const repo = copy.definitions.repo;
  const types = repoTypes();
  const tables = new Map(types.flatMap((type) => (type.table ? [[type.name, type.table.schema] as const] : [])));
  const properties: Record<string, JsonSchema> = {};
  for (const [key, value] of Object.entries(repo.properties)) {
    if (key === 'type')
      properties.type = {
        $comment: GENERATED,
        enum: types.map((type) => type.name),
        default: 'ssh',
        description: `${types.map((type) => `${type.name}: ${type.describe}`).join('; ')}.`,
      };
    else if (tables.has(key)) properties[key] = { $comment: GENERATED, ...tables.get(key) };
    else if (value.$comment !== GENERATED) properties[key] = value;
  }
  for (const [name, table] of tables) properties[name] ??= { $comment: GENERATED, ...table };
  repo.properties = properties;
  return copy;
}

/** The status schema with the registered types' names where a repository's type is reported. */
export function withRepoTypeNames(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema) as { properties: { stanzas: { items: { properties: { repo: Schema } } } } };
  copy.properties.stanzas.items.properties.repo.properties.type = { enum: repoTypes().map((type) => type.name) };
  return copy;
}
