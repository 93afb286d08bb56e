// `npm run schemas`: writes the repository types' parts (lib/repositories/schema.ts) into
// schemas/bsync.schema.json and schemas/status.schema.json, then lays them out as Biome does.
// test/unit/schemas.test.ts fails while the checked-in files differ from what this writes.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withRepoTypeNames, withRepoTypes } from '../../lib/repositories/schema.js';
import type { JsonSchema } from '../../lib/repositories/types.js';

/** Each schema file the types write into, with what it holds once they have. */
export function generatedSchemas(): Array<{ path: string; schema: JsonSchema }> {
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;
  return [
    { path: 'schemas/bsync.schema.json', schema: withRepoTypes(read('schemas/bsync.schema.json')) },
    { path: 'schemas/status.schema.json', schema: withRepoTypeNames(read('schemas/status.schema.json')) },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = generatedSchemas();
  for (const { path, schema } of files) writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
  execFileSync('npx', ['biome', 'format', '--write', ...files.map((file) => file.path)], { stdio: 'inherit' });
}
