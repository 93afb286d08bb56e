// The quick command-line parser (lib/cli/args.ts) either gives exactly the Invocation yargs
// gives for the same command line, or leaves the line to yargs: it never answers differently.
import { describe, expect, it } from 'vitest';
import { quickInvocation, yargsInvocation, type Invocation } from '../../lib/cli/args.js';
import { COMMANDS } from '../../lib/cli/commands.js';
import { decodeBackupRequest } from '../../lib/recovery/requests.js';
import { seededRandom } from '../support/random.js';

async function viaYargs(args: string[]): Promise<Invocation> {
  let seen: Invocation | undefined;
  await yargsInvocation(args, '0.0.0', async (invocation) => {
    seen = invocation;
    return 0;
  });
  if (!seen) throw new Error(`yargs ran no command for ${JSON.stringify(args)}`);
  return seen;
}

async function expectSameAsYargs(args: string[]): Promise<void> {
  const quick = quickInvocation(args);
  expect(quick, JSON.stringify(args)).toBeDefined();
  expect(quick, JSON.stringify(args)).toStrictEqual(await viaYargs(args));
}

describe('the quick command-line parser', () => {
  it('takes the plain command lines, with the options yargs gives them', async () => {
    for (const args of [
      ['plan'],
      ['plan', '-c', 'fixtures/lab/ssh.toml'],
      ['plan', '--detailed-exitcode', '-c', '/etc/bsync/clusters/'],
      ['plan', '--config=a.toml', '--config', 'b.toml', '-c', 'c.toml', '--parallel', '4'],
      ['plan', '--out', 'plan.json', '--prom-file=/var/lib/node_exporter/bsync.prom', '--json', '--no-color'],
      ['plan', '--host', 'pg1', '--host=pg2', '--zone', '2', '--zone=13', '--color'],
      ['plan', '-c', 'with space.toml', '--host', '123', '--out', 'a=b'],
      ['validate'],
      ['validate', '-c', 'bsync.toml', '--json'],
      ['facts', '--host', 'pg1', '-c', 'x.toml'],
      ['status', '--json', '--prom-file', 'm.prom', '-c', 'x.toml', '--zone', '1'],
    ]) {
      await expectSameAsYargs(args);
    }
  });

  it('leaves help, version, mistakes and anything unusual to yargs', () => {
    for (const args of [
      [],
      ['--help'],
      ['plan', '--help'],
      ['plan', '-h'],
      ['plan', '--version'],
      ['-V'],
      ['plna'],
      ['-c', 'x.toml', 'plan'],
      ['plan', 'extra'],
      ['plan', '--'],
      ['plan', '-c'],
      ['plan', '-c', ''],
      ['plan', '--config='],
      ['plan', '-c', '--json'],
      ['plan', '-c=x.toml'],
      ['plan', '--host'],
      ['plan', '--out', 'a', '--out', 'b'],
      ['plan', '--json', '--json'],
      ['plan', '--color', '--no-color'],
      ['plan', '--json', 'true'],
      ['plan', '--json=false'],
      ['plan', '--no-json'],
      ['plan', '--zone', '0'],
      ['plan', '--zone', '-1'],
      ['plan', '--zone', '1.5'],
      ['plan', '--zone', '02'],
      ['plan', '--zone', 'one'],
      ['plan', '--parallel', '0'],
      ['plan', '--detailedExitcode'],
      ['plan', '--prom-file', "'m.prom'"],
      ['plan', '-c', '"x.toml"'],
      ['validate', '--out', 'x'],
      ['apply', '--yes'],
      ['verify'],
      ['unlock', '0123456789abcdef', '--host', 'pg1'],
      ['constructor'],
    ]) {
      expect(quickInvocation(args), JSON.stringify(args)).toBeUndefined();
    }
  });

  it('agrees with yargs on every command line it takes, among many made at random', async () => {
    const commands = ['plan', 'validate', 'status', 'facts', 'apply', 'verify'];
    const tokens = [
      '-c',
      '--config',
      '--config=a.toml',
      '--config=',
      'b.toml',
      'dir/',
      '--host',
      '--host=pg2',
      'pg1',
      '--zone',
      '--zone=3',
      '--zone=0',
      '1',
      '2',
      '0',
      '-1',
      '1.5',
      '--parallel',
      '--parallel=8',
      '--json',
      '--no-color',
      '--color',
      '--detailed-exitcode',
      '--out',
      '--out=p.json',
      '--prom-file',
      'm.prom',
      'true',
      'false',
      "'q'",
      '"dq"',
      "--host='q'",
      '--out="p.json"',
      '--',
      '-x',
      '--yes',
      '--stanza',
      ' spaced ',
      'a=b',
      '',
    ];
    const random = seededRandom();
    let taken = 0;
    for (let line = 0; line < 3000; line += 1) {
      const args = [commands[random(commands.length)]];
      for (let count = random(7); count > 0; count -= 1) args.push(tokens[random(tokens.length)]);
      if (quickInvocation(args) === undefined) continue;
      taken += 1;
      await expectSameAsYargs(args);
    }
    expect(taken).toBeGreaterThan(200);
  });

  it('names every command of the table when none is given', async () => {
    const refusal = yargsInvocation([], '0.0.0', async () => 0);
    await expect(refusal).rejects.toThrow(/^Name a command: /);
    const message = String(await refusal.catch((error: Error) => error.message));
    const named = message.replace(/^Name a command: |\.$/g, '').split(/, | or /);
    expect(named.sort()).toStrictEqual(Object.keys(COMMANDS).sort());
  });

  it('refuses a number option given twice, as the usage checks always did', async () => {
    const args = ['plan', '--parallel', '8', '--parallel', '8'];
    expect(quickInvocation(args)).toBeUndefined();
    await expect(viaYargs(args)).rejects.toThrow(/needs a whole number/);
  });

  it("leaves a request's options to the request's decoder, which refuses one given twice", async () => {
    const args = ['backup', '--repo=2', '--repo=2'];
    expect(quickInvocation(args)).toBeUndefined();
    const { options } = (await viaYargs(args)) as Extract<Invocation, { command: 'backup' }>;
    expect(() => decodeBackupRequest({ type: options.type, repo: options.repo })).toThrow(
      '--repo ["2","2"]: expected a repository number (1 to 256)',
    );
  });
});
