// Plans made from hostile facts (issue 27): every field of every host's recorded facts is,
// one at a time, replaced by a hostile value (line breaks, $( ), backticks, quotes, NUL, ESC,
// a very long value, or a string where a number belongs). Either the boundary refuses it,
// naming the host and the field, or the plan made from it does exactly what bsync meant:
// the value stands in no command except as data (single quotes, a quoted heredoc), the
// pgbackrest.conf files hold the sections and keys bsync writes, and bsync's lines in
// authorized_keys and known_hosts are each exactly one key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { desiredResources } from '../../lib/desired/index.js';
import { BsyncError, HostError } from '../../lib/errors.js';
import { typedFacts } from '../../lib/facts/typed.js';
import type { HostFacts } from '../../lib/facts/types.js';
import { parsePgbackrestIni } from '../../lib/formats/pgbackrest-ini.js';
import { OURS } from '../../lib/resources/marker.js';
import { type Resource, knownText } from '../../lib/resources/types.js';
import { FIXTURES } from '../support/bsync.js';
import { ENV, SSH_CONFIG } from '../support/configs.js';
import { seededRandom } from '../support/random.js';
import { unquotedOccurrences } from '../support/shell-words.js';

const CANARY = 'PWNCANARY';
const HOSTILE = [
  `x\n[evil]\npg9-host-cmd=touch /tmp/${CANARY}`,
  `15$(touch /tmp/${CANARY})`,
  `\`touch /tmp/${CANARY}\``,
  `'; touch /tmp/${CANARY}; echo '`,
  `"; touch /tmp/${CANARY}; echo "`,
  `/var/lib/${CANARY}\u0000/etc/shadow`,
  `\u001b]0;${CANARY}\u0007\u001b[2J`,
  `${'A'.repeat(100_000)}${CANARY}`,
  `/tmp/${CANARY} % %p %f`,
  `ssh-ed25519 AAAA${CANARY}\nssh-rsa BBBB command="touch /tmp/x"`,
];
const SEED = Number(process.env.BSYNC_TEST_SEED ?? 20261207);

// Without pg_data the data directory comes from the facts, as it does in most configs.
const inventory = parseConfig(SSH_CONFIG.replace(/^pg_data = .*\n/gm, ''), `${FIXTURES}lab/ssh.toml`, ENV);

function recorded(state: string): Map<string, HostFacts> {
  const all = JSON.parse(readFileSync(`${FIXTURES}facts/ssh-${state}.json`, 'utf8')) as Record<string, HostFacts>;
  return new Map(Object.entries(all));
}

/** Every leaf of a value (string, number, boolean) by its path of keys. */
function leaves(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) =>
      leaves(item, [...path, Array.isArray(value) ? Number(key) : key]),
    );
  return value === null ? [] : [path];
}

function setAt(target: unknown, path: Array<string | number>, value: unknown): void {
  let at = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
}

const KEY = '(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/]+={0,3}';
const OURS_LINE = {
  authorized_keys: {
    mark: OURS.authorizedKey,
    line: new RegExp(`^no-agent-forwarding,no-X11-forwarding,no-port-forwarding ${KEY} bsync:[a-z0-9_.@-]+$`),
  },
  known_hosts: { mark: OURS.knownHost, line: new RegExp(`^[a-z0-9.,\\[\\]:-]+ ${KEY} bsync$`) },
};

/** What a plan sends to hosts and writes there, in the terms this test checks. */
function outcome(resources: Resource[]) {
  const commands = resources.flatMap((resource) => resource.change?.steps.map((step) => step.command) ?? []);
  const confs = resources
    .filter((resource) => resource.kind === 'pgbackrest_conf' && resource.change?.diff)
    .map((resource) => {
      const ini = parsePgbackrestIni(knownText(resource.change!.diff!.after) ?? '') ?? {};
      return `${resource.address}: ${Object.entries(ini)
        .map(([section, keys]) => `[${section}] ${Object.keys(keys).sort().join(',')}`)
        .sort()
        .join(' ')}`;
    });
  // bsync's own lines in files other hosts' keys reach: each exactly one key, as bsync writes it.
  const badLines = resources
    .filter((resource) => resource.kind in OURS_LINE && resource.change?.diff)
    .flatMap((resource) => {
      const ours = OURS_LINE[resource.kind as keyof typeof OURS_LINE];
      const lines = (knownText(resource.change!.diff!.after) ?? '').split('\n');
      return lines
        .filter((line) => ours.mark.test(line) && !ours.line.test(line))
        .map((line) => `${resource.address}: ${line}`);
    });
  return { commands, confs, badLines };
}

describe('plans from hostile facts', () => {
  for (const state of ['fresh', 'converged']) {
    it(`ssh-${state}: every field of every host, hostile, is refused or planned as data (seed ${SEED})`, () => {
      const random = seededRandom(SEED);
      const honest = recorded(state);
      // What bsync writes where it writes everything: the fresh hosts' plan.
      const baseline = outcome(desiredResources(inventory, recorded('fresh')));
      const sameAsBaseline = (entries: string[], all: string[], where: string) => {
        for (const entry of entries) expect(all, where).toContain(entry);
      };
      let refused = 0;
      let planned = 0;
      for (const [host, facts] of honest) {
        for (const path of leaves(facts).filter((entry) => entry[0] !== 'host')) {
          const original = path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], facts);
          const hostile = structuredClone(facts);
          setAt(hostile, path, HOSTILE[random(HOSTILE.length)]);
          const where = `${host} ${path.join('.')} (was ${JSON.stringify(original).slice(0, 60)})`;
          try {
            typedFacts(hostile);
          } catch (error) {
            expect(error, where).toBeInstanceOf(HostError);
            expect((error as HostError).host, where).toBe(host);
            refused += 1;
            continue;
          }
          const facts2 = new Map(honest).set(host, hostile);
          let resources: Resource[];
          try {
            resources = desiredResources(inventory, facts2);
          } catch (error) {
            // A refusal of the plan is fine, as long as it is bsync's own sentence.
            expect(error, `${where}: ${(error as Error).stack}`).toBeInstanceOf(BsyncError);
            refused += 1;
            continue;
          }
          const result = outcome(resources);
          for (const command of result.commands)
            expect(unquotedOccurrences(command, CANARY), `${where}\n${command.slice(0, 400)}`).toEqual([]);
          sameAsBaseline(result.confs, baseline.confs, where);
          expect(result.badLines, where).toEqual([]);
          planned += 1;
        }
      }
      // Both branches were taken: the boundary refuses much, and data fields still plan.
      expect(refused).toBeGreaterThan(50);
      expect(planned).toBeGreaterThan(10);
    });
  }
});
