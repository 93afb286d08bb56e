// ajv, loaded only when a schema is compiled: loading it costs about 40 ms at start, and
// most runs need no compiler (the config's validator is precompiled by the build).
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { Options } from 'ajv';

export type Ajv = InstanceType<typeof AjvModule.default>;

const require = createRequire(import.meta.url);

export function newAjv(options: Options): Ajv {
  const { default: AjvClass } = require('ajv') as typeof AjvModule;
  return new AjvClass(options);
}
