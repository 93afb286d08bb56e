// What `bsync validate` would still refuse in the config init wrote, once the secret files
// its comments name exist: a zone with two backup hosts, a repository type whose table is
// left to the user. Said right away, so the user knows which edits the file needs.
import { parseConfig } from '../config/index.js';
import { BsyncError, ConfigErrors } from '../errors.js';
import type { Draft } from './draft.js';

/** Each problem of `text` (as `validate` words it) but the secret files not created yet. */
export function problemsLeft(text: string, path: string, secretFiles: Draft['secretFiles']): string[] {
  try {
    parseConfig(text, path, {});
    return [];
  } catch (error) {
    if (!(error instanceof BsyncError)) throw error;
    const errors = error instanceof ConfigErrors ? [...error.errors] : [error];
    const missing = (message: string) =>
      secretFiles.some((file) => message.includes(`cannot read the secret file ${file.path}: no such file`));
    return errors.filter((problem) => !missing(problem.message)).map((problem) => problem.describe());
  }
}
