// Patroni's view of an HA cluster, asked from the member itself: the dynamic configuration
// (show-config, or GET /config), the members and their roles, and the cluster's scope.
// patroni depends on python3 with yaml, so YAML is turned into JSON on the host.
import { shq } from '../transport/shell.js';
import type { Probe, ProbeContext } from './probe.js';
import { fromBase64 } from './probe.js';
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
  applies: (ctx) => ctx.inventory.patroni !== undefined && ctx.host.role === 'postgres',
  command: (ctx) => {
    const cfg = shq(configPath(ctx));
    const section = (label: string, command: string) =>
      `if out=$({ ${command}; } 2>&1 </dev/null) && [ -n "$out" ]; then printf '${label}|%s\\n' "$(printf '%s' "$out" | base64 -w0)"; ` +
      `else printf 'ERR|%s\\n' "$(printf '%s' "${label}: $out" | base64 -w0)"; fi`;
    return [
      section('SCOPE', `${YAML_TO_JSON.replace('print(json.dumps(yaml.safe_load(sys.stdin)))', 'print(yaml.safe_load(sys.stdin)["scope"])')} < ${cfg}`),
      section('CONFIG', dynamicConfigCommand(ctx)),
      section('MEMBERS', `patronictl -c ${cfg} list -f json`),
    ].join('\n');
  },
  parse(output) {
    const patroni: PatroniFacts = { scope: '', dynamic: null, members: [], errors: [] };
    for (const line of output.split('\n').filter(Boolean)) {
      const [label, data = ''] = line.split('|');
      const text = fromBase64(data);
      try {
        if (label === 'SCOPE') patroni.scope = text.trim();
        else if (label === 'CONFIG') patroni.dynamic = JSON.parse(text) as Record<string, unknown>;
        else if (label === 'MEMBERS') patroni.members = (JSON.parse(text) as Array<Record<string, unknown>>).map(member);
        else patroni.errors.push(text.trim());
      } catch {
        patroni.errors.push(`${label}: unreadable answer: ${text.slice(0, 200)}`);
      }
    }
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
