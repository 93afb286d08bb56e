// The one place that says what is secret in what a host holds, for everything bsync shows or
// saves: `bsync facts`, a plan's file diffs, fields and reasons (and so saved plans), and
// errors that quote a host's answer. A file's rules follow its kind, told by its path (or by
// the resource that knows it better); pgbackrest.conf's secret keys are those pgBackRest's
// own option tables mark `secure`, in any release bsync has the table of.
import {
  redactConninfoPasswords,
  redactOptionArguments,
  redactYamlSecrets,
  SECRET_WORD,
} from '../formats/host-secrets.js';
import { hide, SENSITIVE, type Mask } from '../formats/mask.js';
import { redactConf } from '../formats/pgbackrest-ini.js';
import { redactPgpass } from '../formats/pgpass.js';
import { optionInfos } from '../pgbackrest-options/index.js';
import { isRepoKeyFile, repoTypes } from '../repositories/index.js';
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF } from './paths.js';
import type { HostFacts, PostgresFacts } from './types.js';

/** What a file is, for what in it is secret; `text` is anything else (and a host's answer quoted in an error). */
export type FileKind = 'pgbackrest-conf' | 'pgpass' | 'repo-key' | 'patroni-yaml' | 'postgresql-conf' | 'text';

/** A name no table knows (a newer pgBackRest's option), hidden when named like a secret. */
const SECRET_LIKE = /^[a-z0-9-]*(?:^|-)(?:key|secret|token|pass|passphrase|password)(?:-[a-z0-9-]*)?$/;

/**
 * Whether a pgbackrest.conf key (`repo2-s3-sse-customer-key`, `#`-less) holds a secret: an
 * option some release's table marks secure, in its indexed forms too (repo1- to repoN-), one a
 * repository type declares (`secretOptions`), or a name no table knows that reads like one.
 * Secure in any table is secure: 2.45's table lists repo-s3-sse-customer-key among later
 * releases' options without the mark 2.55's own table gives it.
 */
export function isSecureOption(key: string): boolean {
  const indexed = /^(repo|pg)[0-9]+-(.+)$/.exec(key);
  const infos = [
    ...optionInfos(key).filter((info) => !info.index),
    ...(indexed ? optionInfos(`${indexed[1]}-${indexed[2]}`).filter((info) => info.index) : []),
  ];
  if (infos.some((info) => info.secure)) return true;
  if (indexed?.[1] === 'repo' && repoTypes().some((type) => type.secretOptions?.includes(indexed[2]))) return true;
  return infos.length === 0 && SECRET_LIKE.test(key);
}

type Rule = (text: string, mask: Mask) => string;
const iniKeys: Rule = (text, mask) => redactConf(text, isSecureOption, mask);
const optionArguments: Rule = (text, mask) => redactOptionArguments(text, isSecureOption, mask);
/** A key file's whole content is its secret. */
const whole: Rule = (text, mask) => (text === '' ? '' : mask(text));

const RULES: Record<FileKind, Rule[]> = {
  'pgbackrest-conf': [iniKeys],
  pgpass: [redactPgpass],
  'repo-key': [whole],
  'patroni-yaml': [redactYamlSecrets, redactConninfoPasswords, optionArguments],
  'postgresql-conf': [redactConninfoPasswords, optionArguments],
  text: [optionArguments, iniKeys, redactYamlSecrets, redactConninfoPasswords],
};

/** A file's kind by its path: pgBackRest's conf files, .pgpass, repository key files, YAML, PostgreSQL's settings files. */
export function fileKind(path: string): FileKind {
  if (
    path === PGBACKREST_CONF
    || path === LEGACY_PGBACKREST_CONF
    || /^\/etc\/pgbackrest\/conf\.d\/[^/]+\.conf$/.test(path)
  )
    return 'pgbackrest-conf';
  if (path.endsWith('/.pgpass')) return 'pgpass';
  if (isRepoKeyFile(path)) return 'repo-key';
  if (/\.ya?ml$/.test(path)) return 'patroni-yaml';
  if (/(?:^|\/)(?:postgresql(?:\.auto|\.base)?|recovery)\.conf$/.test(path)) return 'postgresql-conf';
  return 'text';
}

/** A file's text with its secrets masked; `kind` where the caller knows better than the path (a configured patroni.yml). */
export function redactFile(path: string, text: string, options: { kind?: FileKind; mask?: Mask } = {}): string {
  const mask = options.mask ?? hide;
  return RULES[options.kind ?? fileKind(path)].reduce((result, rule) => rule(result, mask), text);
}

/** Text from a host of no known kind (a setting's value, a message, a field): every rule that reads lines. */
export function redactHostText(text: string, mask: Mask = hide): string {
  return redactFile('', text, { kind: 'text', mask });
}

/** A value read from YAML or JSON (Patroni's dynamic configuration): keys named like secrets hidden, strings redacted. */
function redactTree(value: unknown, key = ''): unknown {
  if (SECRET_WORD.test(key) && (typeof value === 'string' || typeof value === 'number')) return SENSITIVE;
  if (typeof value === 'string') return redactHostText(value);
  if (Array.isArray(value)) return value.map((item) => redactTree(item, key));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactTree(item, name)]));
  return value;
}

function redactPostgres(pg: PostgresFacts): void {
  pg.configContent = redactFile(pg.configFile, pg.configContent, { kind: 'postgresql-conf' });
  for (const setting of Object.values(pg.settings)) setting.setting = redactHostText(setting.setting);
  for (const entry of pg.fileSettings) entry.setting = redactHostText(entry.setting);
  for (const role of Object.values(pg.roles)) if (role.password !== null) role.password = SENSITIVE;
  if (pg.error !== undefined) pg.error = redactHostText(pg.error);
}

/**
 * `bsync facts`: what a host holds, minus what is secret there. `kinds` names files whose
 * path does not tell (the config's patroni.yml); the server's own postgresql.conf is known.
 */
export function redactFacts(facts: HostFacts, kinds: Record<string, FileKind> = {}): HostFacts {
  const copy = structuredClone(facts);
  const known: Record<string, FileKind> = { ...kinds };
  if (copy.postgres?.configFile) known[copy.postgres.configFile] ??= 'postgresql-conf';
  for (const [path, file] of Object.entries(copy.files))
    if (file.content !== undefined) file.content = redactFile(path, file.content, { kind: known[path] });
  for (const [user, crontab] of Object.entries(copy.crontabs))
    if (crontab !== null) copy.crontabs[user] = redactHostText(crontab);
  if (copy.postgres) redactPostgres(copy.postgres);
  if (copy.patroni) {
    copy.patroni.dynamic = redactTree(copy.patroni.dynamic) as Record<string, unknown> | null;
    copy.patroni.errors = copy.patroni.errors.map((error) => redactHostText(error));
  }
  for (const repo of copy.repos ?? []) repo.statusMessage = redactHostText(repo.statusMessage);
  if (copy.pgbackrestProblem !== undefined) copy.pgbackrestProblem = redactHostText(copy.pgbackrestProblem);
  return copy;
}
