// yargs' "Unknown arguments: dry-run, dryRun" as a person would want it: each word once
// (yargs adds the camelCase twin of a dashed option), said as a command or an option, with
// the nearest known one (did you mean ...?), and pgBackRest's and Terraform's habits
// answered where bsync has another word for them.
import { closest } from '../closest.js';
import { COMMANDS, GLOBAL_OPTIONS, NAME_A_COMMAND, commandSpec } from './commands.js';

/** Options people bring from other tools, and what bsync does instead. */
const OTHER_TOOLS: Record<string, string> = {
  'dry-run': 'bsync plan is the dry run: it changes nothing',
  force: 'bsync apply --yes applies without asking',
  'auto-approve': 'bsync apply --yes applies without asking',
  verbose: 'BSYNC_DEBUG=1 adds stack traces to errors',
};

const camelCase = (word: string) => word.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** The words of yargs' unknown-argument message, less the camelCase twins it adds. */
function unknownWordsOf(message: string): string[] | undefined {
  const match = /^Unknown arguments?: (.+)$/s.exec(message);
  if (!match) return undefined;
  const words = match[1].split(', ');
  return words.filter((word) => !words.some((other) => other !== word && camelCase(other) === word));
}

function optionSentence(word: string, command: string | undefined): string {
  const spec = command === undefined ? undefined : commandSpec(command);
  const names = ['help', 'version', ...Object.keys(GLOBAL_OPTIONS), ...Object.keys(spec?.options ?? {})];
  const elsewhere = Object.entries(COMMANDS)
    .filter(([name, other]) => name !== command && Object.hasOwn(other.options, word))
    .map(([name]) => name);
  const guess = closest(word, names);
  const dash = word.length === 1 ? '-' : '--';
  const advice = OTHER_TOOLS[word]
    ? ` (${OTHER_TOOLS[word]})`
    : elsewhere.length > 0
      ? ` (${elsewhere.map((name) => `bsync ${name}`).join(', ')} ${elsewhere.length === 1 ? 'takes' : 'take'} it)`
      : guess
        ? ` (did you mean --${guess}?)`
        : '';
  return `unknown option ${dash}${word}${command && !OTHER_TOOLS[word] && elsewhere.length === 0 ? ` for ${command}` : ''}${advice}`;
}

/**
 * A better sentence for yargs' unknown-argument message (or its missing positional), given the command line, or
 * undefined for any other message. `args` tells an option (written with dashes) from a word.
 */
export function unknownWordsMessage(message: string, args: readonly string[]): string | undefined {
  const first = args.find((arg) => !arg.startsWith('-'));
  const command = first !== undefined && commandSpec(first) ? first : undefined;
  const positional = command === undefined ? undefined : commandSpec(command)?.positional;
  if (positional && /^Not enough non-option arguments/.test(message))
    return `${command} needs its ${positional.name}: bsync ${commandSpec(command!)?.usage ?? `${command} <${positional.name}>`}`;
  const words = unknownWordsOf(message);
  if (!words) return undefined;
  const written = (word: string) =>
    args.some((arg) => arg.replace(/^--?(no-)?/, '').split('=')[0] === word && arg.startsWith('-'));
  return words
    .map((word) => {
      if (written(word)) return optionSentence(word, command);
      if (command === undefined && word === first) {
        const guess = closest(word, Object.keys(COMMANDS));
        return `unknown command "${word}"${guess ? ` (did you mean ${guess}?)` : `; ${NAME_A_COMMAND}`}`;
      }
      return `unexpected argument "${word}"${command ? ` for ${command}` : ''}`;
    })
    .join('; ');
}
