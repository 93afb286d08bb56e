// Validates the parsed TOML against schemas/bsync.schema.json and turns ajv's errors into
// sentences: the key path as TOML writes it, what is wrong, what is allowed.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { newAjv, type Ajv } from '../ajv.js';
import { projectFile } from '../project-files.js';
import { repoTypes } from '../repositories/index.js';
import { withRepoTypes } from '../repositories/schema.js';
import { keyPart } from './key-lines.js';
import { closest } from '../closest.js';

export { closest } from '../closest.js';
import type { ConfigProblems } from './problems.js';

const require = createRequire(import.meta.url);
const SCHEMA_AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: true };
/**
 * Written next to this module by `npm run build` (scripts: compile-schema), and copied next to
 * the bundle (dist/bundle/), where this module's code runs from bin/bsync.
 */
export const PRECOMPILED_VALIDATOR = 'bsync-schema.validate.cjs';

/** An ajv instance as the config schema needs it. */
export function schemaAjv(options: Options = {}): Ajv {
  const ajv = newAjv({ ...SCHEMA_AJV_OPTIONS, ...options });
  ajv.addKeyword('x-expected');
  ajv.addKeyword('x-why');
  ajv.addKeyword('x-spelling');
  return ajv;
}

/** The config schema: schemas/bsync.schema.json with the registered repository types' parts. */
export function readSchema(): Record<string, unknown> {
  return withRepoTypes(JSON.parse(readFileSync(projectFile('schemas/bsync.schema.json'), 'utf8')));
}

const typeNames = () =>
  repoTypes()
    .map((type) => type.name)
    .join(' ');
/** The types the build's validator was made for: those registered when bsync loads. */
const BUILT_FOR = typeNames();
let compiled: { types: string; validate: ValidateFunction } | undefined;
let read: { types: string; schema: Record<string, unknown> } | undefined;

/** readSchema, read once for the types registered now. */
export function configSchema(): Record<string, unknown> {
  const types = typeNames();
  if (read?.types !== types) read = { types, schema: readSchema() };
  return read.schema;
}

// The build's standalone validator takes ~4 ms to load where compiling takes ~120 ms;
// from the sources (tests, tsx), or once another type is registered, the schema is compiled.
function validator(): ValidateFunction {
  const types = typeNames();
  if (compiled?.types === types) return compiled.validate;
  const precompiled = new URL(`./${PRECOMPILED_VALIDATOR}`, import.meta.url);
  const validate =
    types === BUILT_FOR && existsSync(precompiled)
      ? (require(fileURLToPath(precompiled)) as ValidateFunction)
      : schemaAjv().compile(configSchema());
  compiled = { types, validate };
  return validate;
}

/** `/host/1/zone` → `host[2].zone` (hosts count from 1, as a reader counts [[host]] tables). */
function keyPath(pointer: string): string {
  let path = '';
  for (const part of pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (/^\d+$/.test(part)) path += `[${Number(part) + 1}]`;
    else path += path === '' ? keyPart(part) : `.${keyPart(part)}`;
  }
  return path;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') {
    // A small table of plain values is shown as written: { env = 12 }.
    const entries = Object.entries(value);
    const plain =
      entries.length <= 4 && entries.every(([, inner]) => ['string', 'number', 'boolean'].includes(typeof inner));
    return plain && entries.length > 0
      ? `{ ${entries.map(([key, inner]) => `${keyPart(key)} = ${typeof inner === 'string' ? JSON.stringify(inner) : String(inner)}`).join(', ')} }`
      : 'a table';
  }
  return String(value);
}

/** What is wrong with a table where a secret goes, said precisely: both keys, another key, a $ in a name. */
function secretTableProblem(expected: string | undefined, value: unknown): string | undefined {
  if (!expected?.startsWith('a secret')) return undefined;
  // Where a secret may not be a string (ssh.passphrase), the string is one all the same: never shown.
  if (typeof value === 'string') return `must be ${expected}, got a string (not shown: it is a secret)`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const table = value as Record<string, unknown>;
  const keys = Object.keys(table);
  const other = keys.filter((key) => key !== 'env' && key !== 'file');
  if (other.length > 0)
    return `a secret table holds env or file, not ${other.map((key) => `"${key}"`).join(', ')}: { env = "NAME" } or { file = "path" }`;
  if (keys.length === 2)
    return `give env or file, not both, got ${describeValue(value)}: the secret comes from one place`;
  if (keys.length === 0) return 'is an empty table: give { env = "NAME" } or { file = "path" }';
  const env = table.env;
  if (typeof env === 'string' && /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(env))
    return `env names the variable, without the $: { env = "${env.replace(/^\$\{?|\}$/g, '')}" }, got ${describeValue(value)}`;
  if (typeof env === 'string')
    return `env must be an environment variable's name (letters, digits and _, not starting with a digit), got ${describeValue(value)}`;
  return `must be ${expected}, got ${describeValue(value)}`;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a table',
  array: 'a list ([[...]] tables)',
};

function sentence(
  error: ErrorObject,
  data: unknown,
  rename: (path: string) => string,
): { path: string; message: string } {
  const path = rename(keyPath(error.instancePath));
  const value = error.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], data);
  const expected = (error.parentSchema as Record<string, unknown> | undefined)?.['x-expected'] as string | undefined;
  // Why a limit is what it is, where the schema says (`x-why`): appended to a range's message.
  const why = (error.parentSchema as Record<string, unknown> | undefined)?.['x-why'] as string | undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
      const guess = closest(key, allowed);
      return {
        path: path ? `${path}.${keyPart(key)}` : keyPart(key),
        message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}; allowed ${path ? `in [${path.replace(/\[\d+\]$/, '')}]` : 'at the top'}: ${allowed.join(', ')}${expected ? `, ${expected}` : ''}`,
      };
    }
    case 'required':
      return {
        path: path ? `${path}.${params.missingProperty}` : String(params.missingProperty),
        message: 'is required',
      };
    case 'type':
      return {
        path,
        message: `must be ${TYPE_WORDS[String(params.type)] ?? params.type}, got ${describeValue(value)}`,
      };
    case 'enum':
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}${why ? `: ${why}` : ''}`,
      };
    case 'minimum':
    case 'maximum':
      return {
        path,
        message: `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${params.limit}, got ${describeValue(value)}${why ? `: ${why}` : ''}`,
      };
    case 'minItems':
      return { path, message: `needs at least ${params.limit} entr${params.limit === 1 ? 'y' : 'ies'}` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'maxLength':
      return { path, message: `must be at most ${params.limit} characters, got ${String(value).length}` };
    case 'pattern':
      return { path, message: `must be ${expected ?? `like ${params.pattern}`}, got ${describeValue(value)}` };
    case 'anyOf':
      return {
        path,
        message:
          secretTableProblem(expected, value)
          ?? `must be ${expected ?? 'one of the allowed forms'}, got ${describeValue(value)}`,
      };
    default:
      return { path, message: error.message ?? 'is not valid' };
  }
}

/** Adds a problem for each way the config fails the schema, once each. */
export function validateSchema(
  data: unknown,
  problems: ConfigProblems,
  rename: (path: string) => string = (path) => path,
): void {
  const validate = validator();
  if (validate(data)) return;
  const errors = validate.errors ?? [];
  const valueAt = (pointer: string) =>
    pointer
      .split('/')
      .slice(1)
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], data);
  // A table-or-list anyOf ([repo] or [[repo]]) holds a list by now (config/index.ts makes
  // one of a table): the list branch's complaints are the ones that explain. (A list where
  // a secret goes is just a wrong value: its anyOf has no list branch.)
  const lists = errors.filter(
    (error) =>
      error.keyword === 'anyOf'
      && (error.schema as Array<{ type?: string }>).some((branch) => branch.type === 'array')
      && Array.isArray(valueAt(error.instancePath)),
  );
  // The table branch can only say "must be a table" of a list (a $ref'd branch's errors
  // carry that schema's own paths), so that complaint and the anyOf's own go.
  const relevant = errors.filter(
    (error) =>
      !lists.some((list) => error === list || (error.instancePath === list.instancePath && error.keyword === 'type')),
  );
  // Any other anyOf (a secret) failing explains itself; its branches' own complaints are noise.
  const anyOfs = relevant.filter((error) => error.keyword === 'anyOf');
  const explained = relevant.filter(
    (error) =>
      error.keyword === 'anyOf'
      || !anyOfs.some(
        (anyOf) =>
          error.instancePath.startsWith(anyOf.instancePath) && error.schemaPath.startsWith(`${anyOf.schemaPath}/`),
      ),
  );
  const seen = new Set<string>();
  for (const { path, message } of explained.map((error) => sentence(error, data, rename))) {
    const key = `${path}: ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.add(path, message);
  }
}
