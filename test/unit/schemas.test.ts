// The repository types' parts of the checked-in schemas are what the types' modules say
// (lib/repositories/schema.ts): run `npm run schemas` after changing or adding a type.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedSchemas } from '../support/schemas.js';

describe('schemas/ and the repository types', () => {
  it.each(generatedSchemas().map(({ path, schema }) => [path, schema] as const))(
    '%s holds what the types generate (npm run schemas)',
    (path, schema) => {
      // Compared as text of the parsed value, so key order counts (the unknown-key message lists keys in it).
      expect(JSON.stringify(JSON.parse(readFileSync(path, 'utf8')))).toBe(JSON.stringify(schema));
    },
  );
});
