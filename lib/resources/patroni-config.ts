// In an HA cluster Patroni owns PostgreSQL's configuration: archive settings and the
// backup role's pg_hba rules go into its dynamic configuration, changed only where they
// differ, with every other pg_hba line kept. Applied once per cluster, from the leader.
import { shq } from '../formats/shell.js';
import { psqlCommand } from '../psql.js';
import { asAdoption, type MergeResult } from './managed-lines.js';
import type { Change, FieldChange, Step } from './types.js';
import { knownText } from './types.js';

interface DesiredPatroniConfig {
  configPath: string;
  parameters: Record<string, string>;
  /** Patroni 3 with PostgreSQL 12+ keeps restore_command here, not among parameters. */
  recoveryConf: Record<string, string>;
  /** The pg_hba list as it should be, from the current one, with the rules it takes over (see desiredHba). */
  pgHba: (current: string[]) => MergeResult;
}

type Dynamic = {
  postgresql?: { parameters?: Record<string, unknown>; recovery_conf?: Record<string, unknown>; pg_hba?: string[] };
};

/** YAML turns `on` into true: compare as PostgreSQL would read it. */
function settingText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true) return 'on';
  if (value === false) return 'off';
  return String(value);
}

function patronictl(configPath: string, args: string): string {
  return `patronictl -c ${shq(configPath)} ${args}`;
}

export function planPatroniConfig(desired: DesiredPatroniConfig, dynamic: Record<string, unknown>): Change | null {
  const postgresql = (dynamic as Dynamic).postgresql ?? {};
  const fields: FieldChange[] = [];
  const patch: { postgresql: Record<string, unknown> } = { postgresql: {} };
  for (const [section, wanted] of [
    ['parameters', desired.parameters],
    ['recovery_conf', desired.recoveryConf],
  ] as const) {
    const current = (postgresql[section] ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(wanted)) {
      const before = settingText(current[name]);
      if (before === value) continue;
      fields.push({ name: `postgresql.${section}.${name}`, before: before ?? '(unset)', after: value });
      patch.postgresql[section] = { ...(patch.postgresql[section] as object), [name]: value };
    }
  }
  const currentHba = postgresql.pg_hba ?? [];
  const hba = desired.pgHba(currentHba);
  const wantedHba = (knownText(hba.template) ?? '').split('\n').filter((line) => line !== '');
  if (wantedHba.join('\n') !== currentHba.join('\n')) {
    for (const line of wantedHba.filter((entry) => !currentHba.includes(entry)))
      fields.push({ name: 'postgresql.pg_hba', after: `+ ${line}` });
    for (const line of currentHba.filter((entry) => !wantedHba.includes(entry)))
      fields.push({ name: 'postgresql.pg_hba', after: `- ${line}` });
    patch.postgresql.pg_hba = wantedHba;
  }
  if (fields.length === 0) return null;
  return asAdoption(
    {
      action: 'update',
      reason: "Patroni's dynamic configuration: only these keys change",
      fields,
      steps: [
        {
          command: patronictl(desired.configPath, 'edit-config --force --quiet --apply -'),
          stdin: [JSON.stringify(patch)],
        },
      ],
    },
    hba.adopted,
  );
}

/** Waits (bounded) until every member flags the restart a parameter needs, then restarts them through Patroni, one at a time. */
export function planPatroniRestart(configPath: string, scope: string, fields: FieldChange[]): Change | null {
  if (fields.length === 0) return null;
  const waitPending = [
    `for i in $(seq 1 90); do`,
    `  ${patronictl(configPath, 'list -f json')} | python3 -c 'import sys, json; members = json.load(sys.stdin); sys.exit(0 if all(m.get("Pending restart") for m in members) else 1)' && break`,
    `  sleep 1`,
    `done`,
  ].join('\n');
  const restart: Step = {
    command: `${waitPending}\n${patronictl(configPath, `restart ${shq(scope)} --pending --force`)}`,
  };
  return {
    action: 'update',
    reason: 'archive_mode takes effect only on a restart (Patroni restarts members one at a time)',
    fields,
    steps: [restart],
    requiresRestart: true,
  };
}

/** Patroni applies configuration on its own loop: wait until this member runs with it. */
export function planSettingsArrive(
  port: number,
  settings: Record<string, string>,
  fields: FieldChange[],
): Change | null {
  if (fields.length === 0) return null;
  const checks = Object.entries(settings)
    .map(([name, value]) => `[ "$(${psqlCommand(port, '-Atq')} -c ${shq(`SHOW ${name}`)})" = ${shq(value)} ]`)
    .join(' && ');
  return {
    action: 'update',
    reason: 'Patroni applies its configuration within its loop; apply waits until this member runs with it',
    fields,
    steps: [
      {
        user: 'postgres',
        command: `for i in $(seq 1 120); do ${checks} && exit 0; sleep 1; done; echo 'Patroni did not apply the settings within 120 s' >&2; exit 1`,
      },
    ],
  };
}
