// bsync's own pgBackRest defaults beyond pgBackRest's, chosen by measurement
// (`npm run bench:backup`, the table and the reasons in docs/performance.md): zst
// compression, repository bundling and, where the host's release has it, block
// incremental. Each is overridable in [pgbackrest.global] (block also goes wherever bundling
// is turned off); none rewrites or invalidates the backups a repository already holds
// (pgBackRest records each file's compression and format in its backup's manifest).
import type { PgbackrestOption, PgbackrestOptions, Repo } from '../config/inventory.js';
import { optionValue } from '../config/pgbackrest-options.js';
import { availability, lookupOption } from '../pgbackrest-options/index.js';
import type { ConfValue } from '../resources/pgbackrest-conf.js';
import { CONF_COMMENT } from '../resources/pgbackrest-conf.js';
import { repoPrefix } from '../repositories/types.js';

/** The comment above them in pgbackrest.conf, which the plan's diff shows with them. */
const NOTE = "bsync's defaults, measured (docs/performance.md); set them in [pgbackrest.global] to change them";

/** [global]'s: compress-type. */
export function measuredGlobalDefaults(): Array<[string, ConfValue]> {
  return [['compress-type', 'zst']];
}

/**
 * [global]'s options with the note just above the first of bsync's measured defaults
 * (`defaults`, their keys) that kept bsync's value; without one when [pgbackrest.global]
 * (`operator`) gives each its own, since the note would describe none of the lines.
 */
export function withDefaultsNote(
  options: Array<[string, ConfValue]>,
  defaults: string[],
  operator: PgbackrestOption[],
): Array<[string, ConfValue]> {
  const first = options.findIndex(([key]) => defaults.includes(key) && !operator.some((option) => option.key === key));
  return first < 0 ? options : [...options.slice(0, first), [CONF_COMMENT, NOTE], ...options.slice(first)];
}

/**
 * A repository's: repoN-bundle=y, and repoN-block=y when bundling stays on (pgBackRest
 * refuses block without it) for every command that reads block, wherever the config sets
 * bundling ([pgbackrest.global], the stanza's, a command section), and the host's pgBackRest
 * has it released (2.46 on; `version` null, not known: left out until it is).
 */
export function measuredRepoDefaults(
  repo: Repo,
  version: string | null,
  operator: PgbackrestOptions,
): Array<[string, ConfValue]> {
  const p = repoPrefix(repo);
  const readers = lookupOption(`${p}block`)?.info.commands ?? [];
  const bundled = readers.every((command) => (optionValue(operator, `${p}bundle`, command) ?? 'y') === 'y');
  const found = version !== null ? availability('repo-block', version) : null;
  // 2.45 lists repo-block as beta (it wants beta=y): a default takes released options only.
  const block = bundled && found?.ok === true && !found.info.beta;
  return [[`${p}bundle`, 'y'], ...(block ? [[`${p}block`, 'y'] as [string, ConfValue]] : [])];
}
