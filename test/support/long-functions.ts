// How long lib/'s functions are (issue 20: long functions hide what they do): every function
// declaration, method, constructor, accessor, and function or arrow that is a const's or a
// property's value, with its length in lines (first to last, nested functions included).
//   npx tsx test/support/long-functions.ts [LIMIT]   (lists all, longest first; then those over LIMIT, 80)
// test/unit/function-length.test.ts holds lib/ to 100 lines a function.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface FunctionLength {
  /** `lib/dir/file.ts:line` of its first line. */
  where: string;
  /** Its name, with the names of what holds it (`Class.method`, `outer.inner`). */
  name: string;
  lines: number;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The name of a function node worth counting on its own, or undefined for a nameless callback. */
function functionName(node: ts.Node): string | undefined {
  if (ts.isFunctionDeclaration(node)) return node.name?.text ?? 'default';
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node))
    return node.name.getText();
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const holder = node.parent;
    if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
    if (ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) return holder.name.getText();
  }
  return undefined;
}

/** A class's name, or a const's that holds an object (a table of functions, `COMMANDS`). */
function holderName(node: ts.Node): string | undefined {
  if (ts.isClassDeclaration(node)) return node.name?.text;
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer)
    if (ts.isObjectLiteralExpression(node.initializer)) return node.name.text;
  return undefined;
}

/** Every named function of one file's text, as in `FunctionLength` (`file` is the name reported). */
export function functionLengthsOf(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: ts.Node, holders: string[]) => {
    const name = functionName(node);
    const inner = name ?? holderName(node);
    if (name !== undefined) {
      const first = lineOf(node.getStart(source));
      found.push({
        where: `${file}:${first}`,
        name: [...holders, name].join('.'),
        lines: lineOf(node.end) - first + 1,
      });
    }
    ts.forEachChild(node, (child) => visit(child, inner === undefined ? holders : [...holders, inner]));
  };
  visit(source, []);
  return found;
}

/** Every named function of the .ts files below `folder` (lib/ by default), longest first. */
export function functionLengths(folder = join(root, 'lib')): FunctionLength[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .flatMap((name) => functionLengthsOf(relative(root, join(folder, name)), readFileSync(join(folder, name), 'utf8')))
    .sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const limit = Number(process.argv[2] ?? 80);
  const all = functionLengths();
  for (const entry of all) console.log(`${String(entry.lines).padStart(4)}  ${entry.name}  ${entry.where}`);
  const long = all.filter((entry) => entry.lines > limit);
  console.log(`\n${long.length} of ${all.length} functions in lib/ are over ${limit} lines:`);
  for (const entry of long) console.log(`${String(entry.lines).padStart(4)}  ${entry.name}  ${entry.where}`);
}
