// bsync init: argv → a request (lib/init/request.ts), the hosts reached and asked as every
// command does (lib/operations/session.ts), the config discovered (lib/init/discover.ts) and
// written as a new file; then what was written and what the user must still create.
import { readFileSync } from 'node:fs';
import { defaultIdentity, sshFileProblems } from '../config/ssh-files.js';
import { BsyncError } from '../errors.js';
import { parseAnsibleInventory } from '../init/ansible.js';
import { problemsLeft } from '../init/check.js';
import { initDraft } from '../init/discover.js';
import { renderDraft } from '../init/draft.js';
import { initNeeds, probeInventory } from '../init/probe.js';
import {
  checkClusterName,
  checkHosts,
  COMMAND_LINE,
  configPath,
  localPath,
  parseHostSpec,
  type InitHost,
  type InitRequest,
} from '../init/request.js';
import { refuseExisting, writeNewConfig } from '../init/write.js';
import { INIT_VIEWS } from '../views/init.js';
import { viewFor } from '../views/view-for.js';
import type { GlobalOptions } from './output.js';
import { askHosts } from '../operations/facts.js';

export interface InitOptions extends GlobalOptions {
  inventory?: string;
  sshUser: string;
  sshPort?: number;
  identity?: string;
  knownHosts: string;
  out: string;
  cluster?: string;
  secrets: string;
  pgPort: number;
  /** -c was given: init writes --out and reads no config. */
  configGiven: boolean;
}

/** The hosts: each --host, or the inventory's (not both: one list says which hosts are the cluster's). */
function hostsOf(options: InitOptions): { hosts: InitHost[]; source: string; vars: Record<string, string> } {
  if (options.inventory !== undefined) {
    if (options.host?.length) throw new BsyncError('give the hosts with --host or with --inventory, not both');
    let text: string;
    try {
      text = readFileSync(options.inventory, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new BsyncError(
        `cannot read the inventory: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
        {
          where: options.inventory,
        },
      );
    }
    return { ...parseAnsibleInventory(text, options.inventory), source: options.inventory };
  }
  const hosts = (options.host ?? []).map((given) => ({ ...parseHostSpec(given), pgPort: options.pgPort }));
  return { hosts, source: COMMAND_LINE, vars: {} };
}

/** The request the command line makes, checked; no host is asked yet. */
export function initRequest(options: InitOptions): InitRequest {
  if (options.configGiven)
    throw new BsyncError('init reads no config: it writes one, named with --out FILE (default ./bsync.toml)');
  if (options.zone?.length)
    throw new BsyncError('init takes zones per host: --host NAME=ADDRESS:ROLE:ZONE, or zone= in the inventory');
  const { hosts, source, vars } = hostsOf(options);
  checkHosts(hosts, source);
  const cluster =
    checkClusterName(options.cluster, '--cluster') ?? checkClusterName(vars.cluster_name, `${source}: cluster_name`);
  return {
    hosts,
    ssh: {
      user: options.sshUser,
      ...(options.sshPort === undefined ? {} : { port: options.sshPort }),
      ...(options.identity === undefined ? {} : { identity: configPath(options.identity) }),
      knownHosts: configPath(options.knownHosts),
    },
    out: configPath(options.out),
    ...(cluster === undefined ? {} : { cluster }),
    secrets: configPath(options.secrets),
    vars,
    source,
  };
}

/** The identity and known_hosts files, checked before any host is asked, named by their options. */
function checkSshFiles(request: InitRequest, identity: string | undefined): void {
  const problems: string[] = [];
  const flags = { 'ssh.identity': '--identity', 'ssh.known_hosts': '--known-hosts' };
  sshFileProblems({ identity, knownHosts: localPath(request.ssh.knownHosts) }, process.env, (key, message, hint) =>
    problems.push(`${flags[key]}: ${message}${hint ? `\n  ${hint}` : ''}`),
  );
  if (problems.length > 0) throw new BsyncError(problems.join('\n'));
}

export async function initCommand(options: InitOptions): Promise<number> {
  const request = initRequest(options);
  refuseExisting(request.out);
  const identity = request.ssh.identity === undefined ? defaultIdentity() : localPath(request.ssh.identity);
  checkSshFiles(request, identity);
  const inventory = probeInventory(request, identity, localPath(request.ssh.knownHosts));
  const facts = await askHosts(inventory, (host) => initNeeds(host, request));
  const draft = initDraft(request, facts);
  const text = renderDraft(draft);
  writeNewConfig(request.out, text);
  const problems = problemsLeft(text, request.out, draft.secretFiles);
  viewFor(INIT_VIEWS, options).init({
    config: request.out,
    hosts: draft.hosts,
    secretFiles: draft.secretFiles,
    problems,
  });
  return 0;
}
