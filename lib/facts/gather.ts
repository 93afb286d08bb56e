// Gathers every fact of a host in one round trip: all probes in one script, sent on
// stdin, each section fenced by a marker with a random nonce so no content can fake one.
import { randomBytes } from 'node:crypto';
import type { HostSpec, Inventory } from '../config/inventory.js';
import { HostError } from '../errors.js';
import type { HostConnection } from '../transport/types.js';
import { crontabProbe } from './crontab.js';
import { filesProbe } from './files.js';
import { hostKeysProbe, pgbackrestVersionProbe } from './host-keys.js';
import { osProbe } from './os.js';
import { outcomesProbe } from './outcomes.js';
import { patroniProbe } from './patroni.js';
import { postgresProbe } from './postgres.js';
import { probeContext, type Probe, type ProbeContext } from './probe.js';
import { repoProbe } from './repo.js';
import { storedLayoutProbe } from './stored-layout.js';
import { tlsServerProbe } from './tls-server.js';
import type { FactNeeds } from './needs.js';
import type { HostFacts } from './types.js';
import { typedFacts } from './typed.js';
import { usersProbe } from './users.js';
import { readKnownVersion, rememberVersion } from './version-cache.js';

/** Every probe bsync knows; adding a fact means adding it here and nothing else. */
export const PROBES: Probe[] = [
  osProbe,
  usersProbe,
  filesProbe,
  crontabProbe,
  hostKeysProbe,
  pgbackrestVersionProbe,
  postgresProbe,
  repoProbe,
  patroniProbe,
  storedLayoutProbe,
  tlsServerProbe,
  outcomesProbe,
];

/** The script for `probes` (all of them unless a bench measures one section). */
export function factsScript(ctx: ProbeContext, nonce: string, probes: Probe[] = PROBES): string {
  const sections = probes
    .filter((probe) => probe.applies(ctx))
    // `:` keeps a probe with nothing to ask (no users, say) a valid { } group.
    .map((probe) => `echo '@@${nonce}:${probe.name}'\n{\n${probe.command(ctx) || ':'}\n} 2>/dev/null </dev/null`);
  // $1: the scratch file for framed commands' stderr, made and removed with the script (gatherHostFacts).
  return [
    'export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'bsync_e=$1',
    ...sections,
    `echo '@@${nonce}:end'`,
  ].join('\n');
}

export function parseFactsOutput(output: string, ctx: ProbeContext, nonce: string): HostFacts {
  const sections = new Map<string, string>();
  const parts = output.split(new RegExp(`^@@${nonce}:`, 'm'));
  for (const part of parts.slice(1)) {
    const newline = part.indexOf('\n');
    const name = (newline < 0 ? part : part.slice(0, newline)).trim();
    sections.set(name, newline < 0 ? '' : part.slice(newline + 1).replace(/\n$/, ''));
  }
  if (!sections.has('end')) {
    throw new HostError(ctx.host.name, 'the fact probe did not finish', { hint: output.slice(-300) });
  }
  const facts: HostFacts = {
    host: ctx.host.name,
    os: { id: '', versionId: '', family: 'unknown', pid1: 'unknown' },
    users: {},
    files: {},
    crontabs: {},
    hostKeys: [],
    pgbackrestVersion: null,
  };
  for (const probe of PROBES) {
    if (!probe.applies(ctx)) continue;
    try {
      Object.assign(facts, probe.parse(sections.get(probe.name) ?? '', ctx));
    } catch (error) {
      if (error instanceof HostError) throw error;
      throw new HostError(
        ctx.host.name,
        `probe ${probe.name}: its answer could not be read (${(error as Error).message})`,
      );
    }
  }
  return typedFacts(facts);
}

/**
 * One exec on the host; the script travels on stdin and runs from a private temporary
 * folder that also holds its framed commands' stderr, so that costs no mktemp or rm of its own.
 */
export async function gatherHostFacts(
  connection: HostConnection,
  inventory: Inventory,
  host: HostSpec,
  needs: FactNeeds,
): Promise<HostFacts> {
  const knownPgbackrest = readKnownVersion(inventory, host);
  const ctx = { ...probeContext(inventory, host, needs), knownPgbackrest };
  const nonce = randomBytes(8).toString('hex');
  const result = await connection.exec(
    'd=$(mktemp -d) && cat >"$d/s" && /bin/sh "$d/s" "$d/e" </dev/null; r=$?; rm -rf "$d"; exit $r',
    { stdin: factsScript(ctx, nonce) },
  );
  if (result.code !== 0) {
    throw new HostError(host.name, `gathering facts failed (exit ${result.code})`, {
      hint: result.stderr.trim().slice(0, 500),
    });
  }
  const facts = parseFactsOutput(result.stdout, ctx, nonce);
  rememberVersion(inventory, host, facts, knownPgbackrest);
  return facts;
}
