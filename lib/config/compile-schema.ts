// Build step (npm run build): writes the config schema's validator as standalone code
// next to schema.js, so bsync does not compile the schema each time it starts.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PRECOMPILED_VALIDATOR, readSchema, schemaAjv } from './schema.js';

const require = createRequire(import.meta.url);
const { default: standaloneCode } = require('ajv/dist/standalone') as {
  default: (ajv: unknown, validate: unknown) => string;
};
const ajv = schemaAjv({ code: { source: true } });
const code = standaloneCode(ajv, ajv.compile(readSchema()));
writeFileSync(new URL(`./${PRECOMPILED_VALIDATOR}`, import.meta.url), code);
