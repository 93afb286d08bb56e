// Patroni's view of an HA cluster, asked from the member itself: the dynamic configuration
// (show-config, or GET /config), the members and their roles, and the cluster's scope.
// patroni depends on python3 with yaml, so YAML is turned into JSON on the host.
import { shq } from '../formats/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { firstLine, framed, parseJsonOutput, readFramed, type FramedOutput } from './framed.js';
import type { PatroniFacts, PatroniMember } from './types.js';

function configPath(ctx: ProbeContext): string {
  return ctx.inventory.patroni!.config;
}

const YAML_TO_JSON = `python3 -c 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'`;

function dynamicConfigCommand(ctx: ProbeContext): string {
  const patroni = ctx.inventory.patroni!;
  if (patroni.access === 'rest') {
    const url = `http://${ctx.host.address}:${patroni.restPort}/config`;
    return `python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' ${shq(url)}`;
  }
  return `patronictl -c ${shq(configPath(ctx))} show-config | ${YAML_TO_JSON}`;
}

export const patroniProbe: Probe = {
  name: 'patroni',
  applies: (ctx) => ctx.needs.patroni,
  command: (ctx) => {
    const cfg = shq(configPath(ctx));
    return [
      framed(
        `${YAML_TO_JSON.replace('print(json.dumps(yaml.safe_load(sys.stdin)))', 'print(yaml.safe_load(sys.stdin)["scope"])')} < ${cfg}`,
      ),
      framed(dynamicConfigCommand(ctx)),
      framed(`patronictl -c ${cfg} list -f json`),
    ].join('\n');
  },
  parse(output, ctx) {
    const patroni: PatroniFacts = { scope: '', dynamic: null, members: [], errors: [] };
    const [scope, config, members] = output.split('\n').map((line) => readFramed(line));
    // A command that failed is a fact about Patroni (it does not answer), reported with its stderr.
    const answer = (label: string, result: FramedOutput | null | undefined): string | null => {
      if (result && result.code === 0 && result.stdout.trim() !== '') return result.stdout;
      patroni.errors.push(`${label}: ${firstLine(result ? result.stderr || result.stdout : 'no answer')}`);
      return null;
    };
    const scopeText = answer('scope', scope);
    if (scopeText !== null) patroni.scope = scopeText.trim();
    const configText = answer('dynamic configuration', config);
    if (configText !== null)
      patroni.dynamic = parseJsonOutput<Record<string, unknown>>(
        configText,
        ctx,
        'patroni',
        'the dynamic configuration',
      );
    const membersText = answer('members', members);
    if (membersText !== null)
      patroni.members = parseJsonOutput<Array<Record<string, unknown>>>(
        membersText,
        ctx,
        'patroni',
        'patronictl list -f json',
      ).map(member);
    return { patroni };
  },
};

function member(entry: Record<string, unknown>): PatroniMember {
  return {
    name: String(entry.Member),
    host: String(entry.Host),
    role: String(entry.Role),
    state: String(entry.State),
    pendingRestart: entry['Pending restart'] === '*' || entry['Pending restart'] === true,
  };
}
