// bsync's command line: parse it (lib/cli/args.ts: a quick parser for plain command lines,
// yargs for the rest), then run the command, whose module is loaded only when that command
// runs (validate need not load ssh2, --help loads none).
import { quickInvocation, yargsInvocation, type Invocation } from '../lib/cli/args.js';
import { printErrorsAsJson, reportError } from '../lib/cli/output.js';
import { packageVersion } from '../lib/project-files.js';

async function run(invocation: Invocation): Promise<number> {
  printErrorsAsJson(invocation.options.json);
  switch (invocation.command) {
    case 'validate':
      return (await import('../lib/cli/validate.js')).validateCommand(invocation.options);
    case 'plan':
      return (await import('../lib/cli/plan.js')).planCommand(invocation.options);
    case 'status':
      return (await import('../lib/cli/status.js')).statusCommand(invocation.options);
    case 'verify':
      return (await import('../lib/cli/verify.js')).verifyCommand(invocation.options);
    case 'apply':
      return (await import('../lib/cli/apply.js')).applyCommand(invocation.options);
    case 'facts':
      return (await import('../lib/cli/facts.js')).factsCommand(invocation.options);
    case 'unlock':
      return (await import('../lib/cli/unlock.js')).unlockCommand(invocation.options);
    case 'backup':
      return (await import('../lib/cli/backup.js')).backupCommand(invocation.options);
    case 'restore':
      return (await import('../lib/cli/restore.js')).restoreCommand(invocation.options);
  }
}

async function main(args: string[]): Promise<number> {
  const version = packageVersion();
  const quick = quickInvocation(args);
  return quick ? run(quick) : yargsInvocation(args, version, run);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error)),
);
