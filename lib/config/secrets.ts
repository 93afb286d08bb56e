// Secrets in the config: { env = "NAME" }, { file = "path" }, or inline (warned about).
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { Secret } from './inventory.js';
import { resolveLocalPath } from './paths.js';

export type SecretSpec = string | { env: string } | { file: string };

export interface SecretContext {
  file: string;
  configDir: string;
  env: NodeJS.ProcessEnv;
  warnings: string[];
}

export function resolveSecret(spec: SecretSpec, keyPath: string, ctx: SecretContext): Secret {
  if (typeof spec === 'string') {
    ctx.warnings.push(
      `${keyPath} is written in the config itself; use { env = "NAME" } or { file = "path" } so it stays out of the file`,
    );
    return new Secret(spec, 'inline');
  }
  if ('env' in spec) {
    const value = ctx.env[spec.env];
    if (value === undefined || value === '') {
      throw new ConfigError(`${keyPath}: the environment variable ${spec.env} is not set`, {
        where: ctx.file,
        hint: `Export ${spec.env} before running bsync, or use { file = "path" }.`,
      });
    }
    return new Secret(value, `env ${spec.env}`);
  }
  const path = resolveLocalPath(spec.file, ctx.configDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${keyPath}: cannot read the secret file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
      { where: ctx.file },
    );
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${keyPath}: the secret file ${path} is empty`, { where: ctx.file });
  if ((statSync(path).mode & 0o077) !== 0)
    ctx.warnings.push(`${keyPath}: ${path} can be read by other users; chmod 600 it`);
  return new Secret(value, `file ${path}`);
}
