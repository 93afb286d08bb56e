// Which pgBackRest backup a crontab line runs, read from its command the way the shell
// would split it: so a job the Ansible role (or an operator) wrote is recognised whatever
// its comment, option order, quoting, path to pgbackrest, or the guard in front of it.
import { cronJob } from '../formats/cron.js';

interface BackupJob {
  stanza: string;
  type: string;
  /** --repo=N when the job names one (pgBackRest backs up to repo1 without it). */
  repo?: number;
}

/** Shell words and control operators (`&&`, `||`, `;`, `|`), quotes removed; `#` outside a word starts a comment. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const push = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  for (let i = 0; i < command.length; i += 1) {
    const char = command[i];
    if (/\s/.test(char)) push();
    else if (char === '#' && word === null) break;
    else if (char === "'") {
      const end = command.indexOf("'", i + 1);
      word = (word ?? '') + command.slice(i + 1, end < 0 ? command.length : end);
      i = end < 0 ? command.length : end;
    } else if (char === '"') {
      let text = '';
      for (i += 1; i < command.length && command[i] !== '"'; i += 1)
        text += command[i] === '\\' && i + 1 < command.length ? command[++i] : command[i];
      word = (word ?? '') + text;
    } else if (char === '\\' && i + 1 < command.length) word = (word ?? '') + command[++i];
    // `2>&1`: an `&` right after a redirection belongs to it.
    else if ('&|;'.includes(char) && !(char === '&' && /[<>]$/.test(word ?? ''))) {
      push();
      const double = command[i + 1] === char && char !== ';';
      words.push(double ? char + char : char);
      if (double) i += 1;
    } else word = (word ?? '') + char;
  }
  push();
  return words;
}

const OPERATORS = new Set(['&&', '||', ';', '|', '&']);
const REDIRECT = /^\d*(>>?|<)(&\d*)?$/;

/** The backups a crontab job runs: every simple command whose program is pgbackrest with the backup command. */
export function backupJobs(line: string): BackupJob[] {
  const command = cronJob(line)?.command;
  if (command === undefined) return [];
  const jobs: BackupJob[] = [];
  let simple: string[] = [];
  for (const word of [...shellWords(command), ';']) {
    if (!OPERATORS.has(word)) {
      simple.push(word);
      continue;
    }
    const job = pgbackrestBackup(simple);
    if (job) jobs.push(job);
    simple = [];
  }
  return jobs;
}

/** Programs that run the command they are given (after their own options): the job is the pgbackrest behind them. */
const WRAPPERS = new Set([
  'nice',
  'ionice',
  'flock',
  'timeout',
  'chronic',
  'env',
  'sudo',
  'runuser',
  'setsid',
  'nohup',
  // bsync's own job script (lib/desired/backup-job.ts): its outcome file and lock come first.
  'bsync-backup-job',
]);
const isPgbackrest = (word: string | undefined) => /(^|\/)pgbackrest$/.test(word ?? '');
const program = (word: string) => word.slice(word.lastIndexOf('/') + 1);

/** `[VAR=value…] [nice -n 10 …] [/path/]pgbackrest [options] backup [options]`: its stanza and type, or null. */
function pgbackrestBackup(words: string[]): BackupJob | null {
  let index = 0;
  while (index < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[index])) index += 1;
  if (WRAPPERS.has(program(words[index] ?? ''))) {
    const wrapped = words.findIndex((word, at) => at > index && isPgbackrest(word));
    if (wrapped > 0) index = wrapped;
  }
  if (!isPgbackrest(words[index])) return null;
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = index + 1; i < words.length; i += 1) {
    const word = words[i];
    if (REDIRECT.test(word)) i += 1;
    else if (/^\d*[<>]/.test(word)) continue;
    else if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      if (equals >= 0) options.set(word.slice(2, equals), word.slice(equals + 1));
      // pgBackRest also takes `--option value`; only these two are read here, so only
      // they take the next word (a flag such as --no-online takes none).
      else if (word === '--stanza' || word === '--type' || word === '--repo')
        options.set(word.slice(2), words[++i] ?? '');
    } else positional.push(word);
  }
  const stanza = options.get('stanza');
  // Without --type pgBackRest takes an incremental backup (the backup command's default type).
  const type = options.get('type') ?? 'incr';
  if (!positional.includes('backup') || !stanza || !type) return null;
  const repo = options.get('repo');
  return repo !== undefined && /^\d+$/.test(repo) ? { stanza, type, repo: Number(repo) } : { stanza, type };
}

/** Whether the crontab line runs a backup of this stanza and type. */
export function runsBackup(line: string, stanza: string, type: string, repo = 1): boolean {
  return backupJobs(line).some((job) => job.stanza === stanza && job.type === type && (job.repo ?? 1) === repo);
}
