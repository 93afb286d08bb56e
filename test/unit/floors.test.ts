// Imports point one way (docs/architecture.md, The layers): a folder of lib/ imports only
// folders on floors below its own, and no file imports itself back through others, by a
// static import or a dynamic `import()` (a command's module is loaded only when it runs).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Bottom first; `lib` is the files directly in lib/ (errors, printable, psql, …). */
const FLOORS = [
  'lib/formats',
  'lib/pgbackrest-options',
  'lib',
  'lib/repositories',
  'lib/config',
  'lib/transport',
  'lib/facts',
  'lib/resources',
  'lib/desired',
  'lib/metrics',
  'lib/plan',
  'lib/status',
  'lib/verify',
  'lib/recovery',
  'lib/init',
  'lib/apply',
  'lib/views',
  'lib/operations',
  'lib/cli',
  'bin',
];

function sourceImports(): Map<string, string[]> {
  const files = ['lib', 'bin'].flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(root, name)),
  );
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [
        ...text.matchAll(/^(?:import|export|\})[^;]*?from '(\.[^']*)'/gms),
        ...text.matchAll(/\bimport\(\s*'(\.[^']*)'\s*\)/g),
      ].map((match) => normalize(join(dirname(file), match[1])).replace(/\.js$/, '.ts'));
      return [file, targets];
    }),
  );
}

/**
 * What lib/cli may not import: it turns argv into a request and a result into a view, and
 * lib/operations holds sessions, fact gathering, leases and planning (its own modules).
 */
const PLANNING_AND_SESSIONS = [
  /^lib\/transport\//,
  /^lib\/desired\/(?!option-versions\.ts$)/,
  /^lib\/recovery\/(?!requests\.ts$)/,
  /^lib\/resources\//,
  /^lib\/plan\/(build|health)\.ts$/,
  /^lib\/facts\/(gather|space|reads|needs)\.ts$/,
  /^lib\/apply\/(execute|lease|verify)\.ts$/,
  /^lib\/operations\/session\.ts$/,
];

describe('the floors', () => {
  const imports = sourceImports();

  it('every import goes to the same folder or a floor below', () => {
    const upward: string[] = [];
    for (const [file, targets] of imports) {
      const floor = FLOORS.indexOf(dirname(file));
      expect(floor, `${dirname(file)} is on no floor`).toBeGreaterThanOrEqual(0);
      for (const target of targets) if (FLOORS.indexOf(dirname(target)) > floor) upward.push(`${file} -> ${target}`);
    }
    expect(upward).toStrictEqual([]);
  });

  it('sees dynamic imports: the command table loads each command module', () => {
    expect(imports.get('lib/cli/commands.ts')).toContain('lib/cli/apply.ts');
  });

  // What talks to hosts: apply, and operations' sessions; facts only through a connection it is handed.
  it('only apply, operations and facts import transport/', () => {
    const importers = new Set<string>();
    for (const [file, targets] of imports)
      if (dirname(file) !== 'lib/transport' && targets.some((target) => dirname(target) === 'lib/transport'))
        importers.add(dirname(file));
    expect([...importers].sort()).toStrictEqual(['lib/apply', 'lib/facts', 'lib/operations']);
  });

  it('lib/cli holds no planning or session logic: it imports none', () => {
    const found: string[] = [];
    for (const [file, targets] of imports)
      if (dirname(file) === 'lib/cli')
        for (const target of targets)
          if (PLANNING_AND_SESSIONS.some((pattern) => pattern.test(target))) found.push(`${file} -> ${target}`);
    expect(found).toStrictEqual([]);
  });

  it('no file imports itself back through others', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of imports.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of imports.keys()) visit(file, []);
    expect(cycles).toStrictEqual([]);
  });
});
