// Secrets in the config: { env = "NAME" }, { file = "path" }, or inline (warned about).
import { readFileSync, statSync } from 'node:fs';
import { warning, type Diagnostic } from '../diagnostics.js';
import { Secret } from './inventory.js';
import { resolveLocalPath } from './paths.js';
import type { ConfigProblems } from './problems.js';

export type SecretSpec = string | { env: string } | { file: string };

export interface SecretContext {
  configDir: string;
  env: NodeJS.ProcessEnv;
  warnings: Diagnostic[];
  /** Where a secret that cannot be read is reported, with the config's other problems. */
  problems: ConfigProblems;
  /** A read-only command (status, check): secrets in the environment or in files are not read at all. */
  deferSecrets?: boolean;
}

/** The secret, or undefined when it cannot be read (a problem at keyPath says why). */
export function resolveSecret(spec: SecretSpec, keyPath: string, ctx: SecretContext): Secret | undefined {
  if (typeof spec === 'string') {
    ctx.warnings.push(
      warning(
        `${keyPath} is written in the config itself; use { env = "NAME" } or { file = "path" } so it stays out of the file`,
      ),
    );
    return new Secret(spec, 'inline');
  }
  if (ctx.deferSecrets) return Secret.unread(keyPath, 'env' in spec ? `env ${spec.env}` : `file ${spec.file}`);
  if ('env' in spec) {
    const value = ctx.env[spec.env];
    if (value === undefined || value === '') {
      ctx.problems.add(
        keyPath,
        `the environment variable ${spec.env} is not set`,
        `Export ${spec.env} before running bsync, or use { file = "path" }.`,
      );
      return undefined;
    }
    return new Secret(value, `env ${spec.env}`);
  }
  const path = resolveLocalPath(spec.file, ctx.configDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    ctx.problems.add(
      keyPath,
      `cannot read the secret file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
      code === 'ENOENT'
        ? `Create it with the secret on one line, readable by you alone: (umask 077; cat > ${path}), type it, then Ctrl-D.`
        : undefined,
    );
    return undefined;
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    ctx.problems.add(keyPath, `the secret file ${path} is empty`);
    return undefined;
  }
  if ((statSync(path).mode & 0o077) !== 0)
    ctx.warnings.push(warning(`${keyPath}: ${path} can be read by other users; chmod 600 it`));
  return new Secret(value, `file ${path}`);
}
