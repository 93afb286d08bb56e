// bsync's command line: parse it (lib/cli/args.ts: a quick parser for plain command lines,
// yargs for the rest, both from the command table in lib/cli/commands.ts), then run the
// command, whose module is loaded only when that command runs (validate need not load
// ssh2, --help loads none).
import { quickInvocation, yargsInvocation, type Invocation } from '../lib/cli/args.js';
import { runInvocation } from '../lib/cli/commands.js';
import { printErrorsAsJson, reportError } from '../lib/cli/output.js';
import { packageVersion } from '../lib/project-files.js';

async function run(invocation: Invocation): Promise<number> {
  printErrorsAsJson(invocation.options.json);
  return runInvocation(invocation);
}

async function main(args: string[]): Promise<number> {
  // A usage error is machine output too when --json is on the line, before it is parsed.
  printErrorsAsJson(args.includes('--json') || args.includes('--json=true'));
  const version = packageVersion();
  const quick = quickInvocation(args);
  return quick ? run(quick) : yargsInvocation(args, version, run);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error)),
);
