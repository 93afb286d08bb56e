// Rules between options that pgBackRest enforces when it loads its configuration, and so
// refuses every command of a pgbackrest.conf that breaks them. Which commands read an
// option comes from pgBackRest's option tables (lib/pgbackrest-options/);
// the rule itself is in pgBackRest's code (cfgLoadUpdateOption), not in its tables:
//   - db-timeout must be less than protocol-timeout, for every command that reads both. When
//     one of the two is pgBackRest's default, pgBackRest moves that one out of the way (the
//     other plus or minus 30 s); only two values both set are refused.
import { optionInfos } from '../pgbackrest-options/index.js';
import type { PgbackrestOptions } from './inventory.js';
import { optionSetting, tablePath } from './pgbackrest-options.js';
import type { ConfigProblems } from './problems.js';

const LESS: Array<[string, string]> = [['db-timeout', 'protocol-timeout']];

/** The value the config sets for a command, and where. */
function setFor(options: PgbackrestOptions, name: string, command: string) {
  const set = optionSetting(options, name, command);
  return set && { value: Number(set.value), where: `${tablePath(set.table)}.${name}`, text: set.value };
}

export function checkOptionRules(options: PgbackrestOptions, problems: ConfigProblems): void {
  for (const [lower, upper] of LESS) {
    const commands = (optionInfos(lower)[0]?.commands ?? []).filter((command) =>
      optionInfos(upper)[0]?.commands.includes(command),
    );
    for (const command of commands) {
      const low = setFor(options, lower, command);
      const high = setFor(options, upper, command);
      if (!low || !high || !(Number.isFinite(low.value) && Number.isFinite(high.value)) || low.value < high.value)
        continue;
      problems.add(
        low.where,
        `${lower} ${low.text} is not less than ${upper} ${high.text} (${high.where}): pgBackRest refuses every command (${command} first) with such a configuration`,
        `Set ${lower} below ${upper}, e.g. ${upper} at least ${low.value + 30} s.`,
      );
      break;
    }
  }
}
