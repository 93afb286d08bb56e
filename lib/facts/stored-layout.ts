// Where a PostgreSQL host keeps its server when the server cannot say (stopped, or its data
// gone): what the host still holds, read only for a restore (`read.storedLayout`). Each
// source is parsed here into plain values; typed.ts then holds every one to its grammar, so
// a hostile file (a `..` step, a quote, a version that is not digits) is refused by name.
// Which source wins is lib/desired/stored-layout.ts's to say.
import { parse as parseYaml } from 'yaml';
import { parsePgbackrestIni } from '../formats/pgbackrest-ini.js';
import { shq } from '../formats/shell.js';
import { framed, requireFramed } from './framed.js';
import { PGBACKREST_CONF } from './paths.js';
import type { Probe, ProbeContext } from './probe.js';
import type { LayoutSource, StoredLayoutFacts } from './types.js';

/** postgresql-common keeps a cluster's configuration at /etc/postgresql/MAJOR/CLUSTER/. */
const DEBIAN_CONFIGS = '/etc/postgresql/*/*/postgresql.conf';
/** The packaged binary folders: Debian's and PGDG's. */
const BIN_DIRS = '/usr/lib/postgresql/*/bin /usr/pgsql-*/bin';

/** A file's lines that `pattern` (grep -E) matches; exit 1 when there is no such file. */
function linesOf(path: string, pattern: string): string {
  return `[ -f ${shq(path)} ] || exit 1; grep -E ${shq(pattern)} ${shq(path)}; true`;
}

/** pgbackrest.conf's section heads and pgN-path/port/host lines only: its secrets never leave the host. */
const CONF_LINES = '^[[:space:]]*(\\[|pg[0-9]+-(path|port|host)[[:space:]]*=)';

export const storedLayoutProbe: Probe = {
  name: 'stored-layout',
  applies: (ctx) => Boolean(ctx.needs.storedLayout),
  command: (ctx) =>
    [
      framed(linesOf(PGBACKREST_CONF, CONF_LINES)),
      // Each cluster's path, then only its data_directory and port lines (a path line starts with /, they cannot).
      framed(
        `for f in ${DEBIAN_CONFIGS}; do [ -f "$f" ] || continue; printf '%s\\n' "$f"; grep -E '^[[:space:]]*(data_directory|port)([[:space:]]|=)' "$f"; done; true`,
      ),
      framed(`for d in ${BIN_DIRS}; do [ -x "$d/pg_ctl" ] && printf '%s\\n' "$d"; done; true`),
      // Whole, as YAML needs its nesting (the declared state reads it whole too, for replica creation).
      ctx.inventory.patroni
        ? framed(`[ -f ${shq(ctx.inventory.patroni.config)} ] || exit 1; cat ${shq(ctx.inventory.patroni.config)}`)
        : '',
    ]
      .filter(Boolean)
      .join('\n'),
  parse(output, ctx) {
    const [conf, debian, bins, patroni] = output.split('\n');
    const read = (line: string | undefined, what: string) => {
      const result = requireFramed(line, ctx, 'stored-layout', what);
      return result.code === 0 ? result.stdout : null;
    };
    const binDirs = (read(bins, 'the packaged binary folders') ?? '').split('\n').filter(Boolean);
    const patroniText = ctx.inventory.patroni ? read(patroni, ctx.inventory.patroni.config) : null;
    const sources: LayoutSource[] = [
      ...pgbackrestSource(read(conf, PGBACKREST_CONF), ctx),
      ...debianSources(read(debian, DEBIAN_CONFIGS) ?? ''),
      ...pgdgSources(binDirs),
      ...(patroniText !== null && ctx.inventory.patroni
        ? patroniSource(patroniText, ctx.inventory.patroni.config)
        : []),
    ];
    const facts: StoredLayoutFacts = { sources, binDirs };
    return { storedLayout: facts };
  },
};

/** A port as the file says it; a value that is not a port is kept as NaN so that typed.ts refuses it. */
function portOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
}

/** The stanza section bsync wrote: the pgN-path without a pgN-host is this host's own server. */
export function pgbackrestSource(text: string | null, ctx: Pick<ProbeContext, 'stanza'>): LayoutSource[] {
  const section = text === null ? undefined : parsePgbackrestIni(text)?.get(ctx.stanza);
  if (!section) return [];
  for (let n = 1; n <= 256; n++) {
    const path = section.get(`pg${n}-path`)?.at(-1);
    if (path === undefined || section.has(`pg${n}-host`)) continue;
    const port = portOf(section.get(`pg${n}-port`)?.at(-1));
    return [
      {
        source: 'pgbackrest.conf',
        file: PGBACKREST_CONF,
        key: `pg${n}`,
        dataDirectory: path,
        ...(port !== undefined ? { port } : {}),
      },
    ];
  }
  return [];
}

/** A postgresql.conf value as PostgreSQL reads it: quoted with '' (doubled inside), or a bare word; a comment after. */
export function confValue(line: string): [string, string] | null {
  const match = /^\s*([a-z_]+)\s*=?\s*(?:'((?:[^']|'')*)'|([^\s#']+))\s*(?:#.*)?$/.exec(line);
  if (!match) return null;
  return [match[1], match[2] !== undefined ? match[2].replace(/''/g, "'") : match[3]];
}

/** Each postgresql-common cluster: its major and name from its folder, its data_directory and port (the last line wins, as in PostgreSQL). */
export function debianSources(text: string): LayoutSource[] {
  const sources: LayoutSource[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('/')) {
      const major = /^\/etc\/postgresql\/([^/]*)\//.exec(line)?.[1] ?? '';
      sources.push({ source: 'postgresql-common', file: line, configFile: line, major });
      continue;
    }
    const setting = confValue(line);
    const current = sources.at(-1);
    if (!setting || !current) continue;
    if (setting[0] === 'data_directory') current.dataDirectory = setting[1];
    if (setting[0] === 'port') current.port = portOf(setting[1]);
  }
  return sources;
}

/** PGDG's packages: /usr/pgsql-MAJOR/bin means the data in /var/lib/pgsql/MAJOR/data and the unit postgresql-MAJOR. */
export function pgdgSources(binDirs: string[]): LayoutSource[] {
  return binDirs.flatMap((dir) => {
    const major = /^\/usr\/pgsql-([^/]+)\/bin$/.exec(dir)?.[1];
    return major === undefined
      ? []
      : [
          {
            source: 'pgdg' as const,
            file: dir,
            major,
            dataDirectory: `/var/lib/pgsql/${major}/data`,
            binDir: dir,
            serviceUnit: `postgresql-${major}.service`,
          },
        ];
  });
}

/** Patroni's postgresql.data_dir, bin_dir and the port of postgresql.listen (`host:port`, hosts comma-separated). */
export function patroniSource(text: string, file: string): LayoutSource[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  const pg = (doc as { postgresql?: Record<string, unknown> } | null)?.postgresql;
  if (typeof pg !== 'object' || pg === null) return [];
  const textOf = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  const dataDirectory = textOf(pg.data_dir);
  const binDir = textOf(pg.bin_dir);
  const listen = textOf(pg.listen);
  const port = listen === undefined ? undefined : portOf(listen.slice(listen.lastIndexOf(':') + 1));
  return [
    {
      source: 'patroni',
      file,
      ...(dataDirectory !== undefined ? { dataDirectory } : {}),
      ...(binDir !== undefined ? { binDir: binDir.replace(/\/$/, '') } : {}),
      ...(port !== undefined ? { port } : {}),
    },
  ];
}
