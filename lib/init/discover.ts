// The config `bsync init` writes, from the request and the hosts' facts: a pure function,
// so unit tests run it on recorded facts. Zones and the cluster's name come from the
// stanzas the hosts' pgbackrest.conf already hold (`pgedge-<name>-<zone>`), else from the
// request, else zone 1; each host's data directory and the PostgreSQL version from the
// running servers; [patroni] where a Patroni config exists.
import { join } from 'node:path';
import { LEGACY_PGBACKREST_CONF, PGBACKREST_CONF } from '../facts/paths.js';
import type { HostFacts } from '../facts/types.js';
import { cronJob } from '../formats/cron.js';
import { parsePgbackrestIni } from '../formats/pgbackrest-ini.js';
import { backupJobs } from '../resources/cron-job.js';
import type { Draft, DraftEntry, DraftSection } from './draft.js';
import { PATRONI_CONFIGS } from './probe.js';
import { repoSections, type FoundConf } from './repo.js';
import { COMMAND_LINE, type InitHost, type InitRequest } from './request.js';

const PGEDGE_STANZA = /^pgedge-([a-z0-9][a-z0-9_-]{0,62})-([1-9][0-9]{0,2})$/;
export const DEFAULT_CLUSTER = 'main';

type Facts = Map<string, HostFacts>;

/**
 * A host's pgbackrest.conf (the legacy place when the new one is absent), as pgBackRest
 * reads it, when it holds a stanza: one without (Debian's package ships a sample) says
 * nothing anyone set up.
 */
function confOf(host: InitHost, facts: HostFacts | undefined, notes: string[]): FoundConf | undefined {
  for (const path of [PGBACKREST_CONF, LEGACY_PGBACKREST_CONF]) {
    const content = facts?.files[path]?.content;
    if (content === undefined) continue;
    const ini = parsePgbackrestIni(content);
    if (!ini) notes.push(`${host.name}:${path} is not a file pgBackRest can read; nothing was taken from it.`);
    else if (stanzasOf({ host, path, ini, version: null }).length > 0)
      return { host, path, ini, version: facts?.pgbackrestVersion ?? null };
    return undefined;
  }
  return undefined;
}

function stanzasOf(conf: FoundConf | undefined): string[] {
  return [...(conf?.ini.keys() ?? [])].filter((name) => name !== 'global' && !name.includes(':'));
}

interface Naming {
  cluster: string;
  /** [cluster].stanza, for a stanza not named pgedge-<name>-<zone>. */
  stanza?: string;
  zones: Map<string, number>;
  notes: string[];
}

/** The cluster's name and each host's zone: from the stanzas found, else the request. */
function naming(request: InitRequest, confs: Map<string, FoundConf>, notes: string[]): Naming {
  const zones = new Map<string, number>();
  const clusters = new Set<string>();
  const custom = new Set<string>();
  for (const host of request.hosts) {
    const stanzas = stanzasOf(confs.get(host.name));
    const pgedge = stanzas.map((name) => PGEDGE_STANZA.exec(name)).find((match) => match !== null);
    for (const name of stanzas) if (!PGEDGE_STANZA.test(name)) custom.add(name);
    if (pgedge) {
      clusters.add(pgedge[1]);
      const zone = Number(pgedge[2]);
      if (host.zone !== undefined && host.zone !== zone)
        notes.push(`${host.name}: zone ${zone}, from its stanza ${pgedge[0]}, not ${host.zone} as given.`);
      zones.set(host.name, zone);
    } else zones.set(host.name, host.zone ?? 1);
  }
  const given = request.cluster;
  const found = [...clusters];
  if (found.length > 1)
    notes.push(`The hosts' stanzas name several clusters (${found.join(', ')}); ${found[0]} is used.`);
  if (found.length > 0 && given !== undefined && given !== found[0])
    notes.push(`The stanzas name the cluster ${found[0]}, not ${given}: the stanza names stay as they are.`);
  const cluster = found[0] ?? given ?? DEFAULT_CLUSTER;
  const customs = [...custom];
  if (found.length === 0 && customs.length === 1) return { cluster, stanza: customs[0], zones, notes };
  if (customs.length > 0 && (found.length > 0 || customs.length > 1))
    notes.push(`Stanzas bsync does not name are left out: ${customs.join(', ')}.`);
  return { cluster, zones, notes };
}

function clusterSection(request: InitRequest, names: Naming, facts: Facts): DraftSection {
  const versions = new Set(
    request.hosts.flatMap((host) => {
      const pg = facts.get(host.name)?.postgres;
      return pg?.running ? [Math.floor(pg.versionNum / 10000)] : [];
    }),
  );
  const entries: DraftEntry[] = [
    {
      key: 'name',
      value: names.cluster,
      comment: names.stanza ? undefined : `stanzas pgedge-${names.cluster}-<zone>`,
    },
  ];
  if (names.stanza) entries.push({ key: 'stanza', value: names.stanza, comment: "the hosts' existing stanza" });
  const notes = [...names.notes];
  if (versions.size === 1)
    entries.push({ key: 'pg_version', value: [...versions][0], comment: 'what the servers run' });
  else if (versions.size > 1)
    notes.push(`The servers run different major versions (${[...versions].join(', ')}): pg_version is left out.`);
  return { table: 'cluster', notes, entries };
}

function sshSection(request: InitRequest): DraftSection {
  const entries: DraftEntry[] = [{ key: 'user', value: request.ssh.user }];
  if (request.ssh.port !== undefined) entries.push({ key: 'port', value: request.ssh.port });
  if (request.ssh.identity !== undefined) entries.push({ key: 'identity', value: request.ssh.identity });
  entries.push({ key: 'known_hosts', value: request.ssh.knownHosts });
  const notes = ['How bsync reached the hosts just now.'];
  if (request.ssh.identity === undefined)
    notes.push('No identity: the ssh-agent (SSH_AUTH_SOCK), else ~/.ssh/id_ed25519.');
  return { table: 'ssh', notes, entries };
}

function patroniSection(request: InitRequest, facts: Facts): DraftSection | undefined {
  const found = request.hosts.flatMap((host) => {
    const path = PATRONI_CONFIGS.find((candidate) => facts.get(host.name)?.files[candidate]?.kind === 'file');
    return path ? [{ host: host.name, path }] : [];
  });
  if (found.length === 0)
    return /^(true|yes|1)$/i.test(request.vars.is_ha_cluster ?? '')
      ? {
          table: 'patroni',
          notes: [
            `is_ha_cluster in ${request.source}; no Patroni config found in the usual places: set config to where Patroni's is.`,
          ],
          entries: [],
        }
      : undefined;
  const paths = [...new Set(found.map((entry) => entry.path))];
  const notes = [
    `Patroni's config found on ${found.map((entry) => entry.host).join(', ')}: archiving goes through Patroni.`,
  ];
  if (paths.length > 1)
    notes.push(`The hosts keep it in different places (${paths.join(', ')}); bsync reads one path.`);
  return { table: 'patroni', notes, entries: [{ key: 'config', value: paths[0] }] };
}

function backupUserSection(request: InitRequest, facts: Facts, secretFiles: Draft['secretFiles']): DraftSection {
  const name = request.vars.backup_user ?? 'backrest';
  const path = join(request.secrets, 'backup_password');
  secretFiles.push({ path, holds: `the password of the backup role ${name} (any new one: the plan sets it)` });
  const holders = request.hosts.filter((host) => facts.get(host.name)?.postgres?.roles[name]);
  const notes = [
    holders.length > 0
      ? `The role ${name} exists on ${holders.map((host) => host.name).join(', ')}: bsync takes it over and sets this password.`
      : `The role ${name} does not exist yet: apply creates it on the primary.`,
  ];
  return {
    table: 'backup_user',
    notes,
    entries: [
      { key: 'name', value: name },
      { key: 'password', value: { file: path } },
    ],
  };
}

/** The schedules of the full and diff backup jobs found for these stanzas, with the crontab each came from. */
function cronSchedules(facts: Facts, stanzas: Set<string>): Map<string, { schedule: string; where: string }[]> {
  const found = new Map<string, { schedule: string; where: string }[]>();
  for (const [host, hostFacts] of facts)
    for (const [user, crontab] of Object.entries(hostFacts.crontabs ?? {}))
      for (const line of (crontab ?? '').split('\n')) {
        const job = cronJob(line);
        if (!job) continue;
        for (const { stanza, type } of backupJobs(line))
          if (stanzas.has(stanza) && (type === 'full' || type === 'diff'))
            found.set(type, [
              ...(found.get(type) ?? []),
              { schedule: job.schedule, where: `${user}'s crontab on ${host}` },
            ]);
      }
  return found;
}

/** [schedule]: what the backup jobs on the hosts run on, else the role's variables, else its defaults. */
function scheduleSection(request: InitRequest, facts: Facts, stanzas: Set<string>): DraftSection {
  const jobs = cronSchedules(facts, stanzas);
  const notes: string[] = [];
  const entry = (type: 'full' | 'diff', fallback: string): DraftEntry => {
    const found = jobs.get(type) ?? [];
    const schedules = [...new Set(found.map((job) => job.schedule))];
    if (schedules.length > 1)
      notes.push(`The ${type} backup jobs run on different schedules (${schedules.join('; ')}).`);
    if (found.length > 0) return { key: type, value: found[0].schedule, comment: `from ${found[0].where}` };
    const variable = request.vars[`${type}_backup_schedule`];
    if (variable !== undefined)
      return { key: type, value: variable, comment: `${type}_backup_schedule in ${request.source}` };
    return { key: type, value: fallback, comment: "the role's default" };
  };
  const entries = [entry('full', '10 0 * * 0'), entry('diff', '10 0 * * 1-6')];
  return { table: 'schedule', notes, entries };
}

/** What the host is, in a few words: primary, replica, backup host, or a server that did not answer. */
function hostFound(host: InitHost, facts: HostFacts | undefined): string {
  if (host.role === 'backup') return 'backup host';
  const pg = facts?.postgres;
  if (!pg?.running)
    return `PostgreSQL did not answer on port ${host.pgPort} (${(pg?.error ?? 'not asked').split('\n')[0]}): fill in pg_data and pg_port`;
  const version = `${Math.floor(pg.versionNum / 10000)}.${pg.versionNum % 10000}`;
  return `${pg.inRecovery ? 'replica (in recovery)' : 'primary'}, PostgreSQL ${version}`;
}

/** What the host said of itself, for the comment above its [[host]]. */
function hostNote(host: InitHost, facts: HostFacts | undefined, conf: FoundConf | undefined): string {
  const stanzas = stanzasOf(conf);
  const held = stanzas.length > 0 ? `; ${conf!.path} holds ${stanzas.join(', ')}` : '';
  const os = facts?.os.id ? `, ${facts.os.id} ${facts.os.versionId}` : '';
  return `${host.name}: ${hostFound(host, facts)}${os}${held}.`;
}

function hostSection(
  host: InitHost,
  zone: number,
  facts: HostFacts | undefined,
  conf: FoundConf | undefined,
): DraftSection {
  const entries: DraftEntry[] = [{ key: 'name', value: host.name }];
  if (host.address !== host.name) entries.push({ key: 'address', value: host.address });
  entries.push({ key: 'role', value: host.role }, { key: 'zone', value: zone });
  if (host.sshPort !== undefined) entries.push({ key: 'ssh_port', value: host.sshPort });
  const pg = facts?.postgres;
  if (host.role === 'postgres') {
    if (pg?.running && pg.dataDirectory.startsWith('/')) entries.push({ key: 'pg_data', value: pg.dataDirectory });
    entries.push({ key: 'pg_port', value: host.pgPort });
  }
  return { table: 'host', array: true, notes: [hostNote(host, facts, conf)], entries };
}

/** The config for the request and the hosts' facts. */
export function initDraft(request: InitRequest, facts: Facts): Draft {
  const notes: string[] = [];
  const confs = new Map<string, FoundConf>();
  for (const host of request.hosts) {
    const conf = confOf(host, facts.get(host.name), notes);
    if (conf) confs.set(host.name, conf);
  }
  const names = naming(request, confs, notes);
  const byRole = (role: string) =>
    request.hosts.filter((host) => host.role === role).flatMap((host) => confs.get(host.name) ?? []);
  const secretFiles: Draft['secretFiles'] = [];
  const patroni = patroniSection(request, facts);
  const sections = [
    clusterSection(request, names, facts),
    sshSection(request),
    ...repoSections([...byRole('backup'), ...byRole('postgres')], request, secretFiles),
    backupUserSection(request, facts, secretFiles),
    scheduleSection(request, facts, new Set(request.hosts.flatMap((host) => stanzasOf(confs.get(host.name))))),
    ...(patroni ? [patroni] : []),
    ...request.hosts.map((host) =>
      hostSection(host, names.zones.get(host.name)!, facts.get(host.name), confs.get(host.name)),
    ),
  ];
  const hosts = request.hosts.map((host) => ({
    name: host.name,
    zone: names.zones.get(host.name)!,
    found: hostFound(host, facts.get(host.name)),
  }));
  return { header: headerLines(request, secretFiles), sections, secretFiles, hosts };
}

function headerLines(request: InitRequest, secretFiles: Draft['secretFiles']): string[] {
  return [
    `Written by bsync init from the hosts ${request.source === COMMAND_LINE ? 'given on' : 'in'} ${request.source}: what they run now.`,
    'Read it through: each section says where its values came from.',
    '',
    'Before bsync validate, create each secret file, one line, readable by you alone:',
    ...secretFiles.flatMap((file) => [`  ${file.path}: ${file.holds}`]),
    `  e.g. a new password: (umask 077; mkdir -p ${request.secrets}; openssl rand -base64 32 > ${join(request.secrets, 'backup_password')})`,
    `Then: bsync validate -c ${request.out}; bsync plan -c ${request.out} (changes nothing); bsync apply -c ${request.out}.`,
  ];
}
